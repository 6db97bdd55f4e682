"""What the two backends of the store share: the connection they are used through, and how a
store is named.

The modules that publish and read (:mod:`~pmae.store.publish`, :mod:`~pmae.store.rows`,
:mod:`~pmae.store.read`, :mod:`~pmae.store.query`, :mod:`~pmae.store.listing`) take a
:class:`Connection`: an :class:`sqlite3.Connection`, or the PostgreSQL connection of
:mod:`pmae.store.postgres`, which runs the same statements (SQLite's placeholders and the few
constructs it translates). A store is named by a path, an ``sqlite:///`` URL, or a
``postgresql://`` (``postgres://``) URL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Connection", "is_postgres_url", "redacted", "upgrade"]


class Connection(Protocol):
    """A DB-API connection running SQLite's dialect of the store's statements."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        """Run one statement; the cursor iterates and fetches its rows."""

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any:
        """Run one statement for each row of parameters."""

    def create_function(self, name: str, narg: int, func: Any, *,
                        deterministic: bool = False) -> None:
        """Make ``func`` callable from SQL (PostgreSQL: the schema has it already)."""

    def close(self) -> None:
        """Close the connection."""


_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(path_or_url: str | os.PathLike[str] | None) -> bool:
    """Whether ``path_or_url`` names a PostgreSQL store (``postgresql://…``)."""
    return isinstance(path_or_url, str) and path_or_url.startswith(_SCHEMES)


def redacted(url: str) -> str:
    """``url`` without its password, to be printed in messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = re.sub(r":[^@]*@", ":***@", parts.netloc, count=1)
    return urlunsplit(parts._replace(netloc=netloc))


def upgrade(path_or_url: str | os.PathLike[str] | None, *, timeout: float = 5.0
            ) -> tuple[int, list[int]]:
    """Run the migrations the store at a path or URL lacks, in one transaction.

    :returns: the schema version found and the versions migrated to (empty: up to date).
    """
    if is_postgres_url(path_or_url):
        from pmae.store import postgres

        return postgres.upgrade(str(path_or_url), timeout=timeout)
    from pmae.store.connection import store_path
    from pmae.store.connection import upgrade as upgrade_file

    return upgrade_file(store_path(path_or_url), timeout=timeout)
