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
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pmae.sessions import Session

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


#: A password in a URL's query (``?password=…``, which libpq reads too).
_QUERY_PASSWORD = re.compile(r"(?i)(^|&)(password=)[^&]*")


def redacted(url: str | os.PathLike[str]) -> str:
    """``url`` with its password replaced by ``***`` (``postgresql://pmae_a:***@host/db``),
    whether in the URL's user part or in its query (``?password=…``): how a store is named in
    whatever pmae prints (messages, errors, progress, logs). A path, or a URL without a
    password, is returned as it is."""
    text = os.fspath(url)
    if "://" not in text:  # a path
        return text
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:  # a malformed URL: hide everything between "//" and "@"
        return re.sub(r"//[^@/]*@", "//***@", text, count=1)
    # Replaced in the text itself: urlunsplit would not give "sqlite:///x" back.
    if password is not None:
        # The last "@" ends the user part (a password may hold an unescaped "@").
        user, _, host = parts.netloc.rpartition("@")
        text = text.replace(f"//{parts.netloc}", f"//{user.partition(':')[0]}:***@{host}", 1)
    if parts.query:
        base, _, query = text.partition("?")
        text = base + "?" + _QUERY_PASSWORD.sub(r"\1\2***", query)
    return text


def upgrade(path_or_url: str | os.PathLike[str] | None, *, timeout: float = 5.0,
            session: Session | None = None) -> tuple[int, list[int]]:
    """Run the migrations the store at a path or URL lacks, in one transaction (on PostgreSQL,
    then :func:`pmae.store.postgres.refresh`: rights, and labels from ``session``'s referentials).

    :returns: the schema version found and the versions migrated to (empty: up to date).
    """
    if is_postgres_url(path_or_url):
        from pmae.store import postgres

        return postgres.upgrade(str(path_or_url), timeout=timeout, session=session)
    from pmae.store.connection import store_path
    from pmae.store.connection import upgrade as upgrade_file

    return upgrade_file(store_path(path_or_url), timeout=timeout)
