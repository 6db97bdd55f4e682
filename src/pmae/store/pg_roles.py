"""Networks as PostgreSQL roles, and the row-level security that lets each see what it may."""

from __future__ import annotations

__all__ = ["after_migration"]


def after_migration(number: int) -> list[str]:
    """What PostgreSQL adds after migration ``number``: grants and row-level security."""
    return []
