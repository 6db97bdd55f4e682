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
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["Connection", "is_postgres_url", "redacted", "scrubbed", "upgrade",
           "without_password"]


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


#: A URL's password wherever a text quotes one (``scheme://user:PASSWORD@``).
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s:/@\"']*):[^\s@\"']*@")

#: A ``password=`` in a text: a URL's query, libpq's ``key=value`` connection string.
_KEYWORD_PASSWORD = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&\"']+)")


def _passwords(url: str) -> set[str]:
    """Every form of the password(s) ``url`` holds, as written and decoded, even in a URL
    too malformed to parse (a driver's error may quote any of them)."""
    found: set[str] = set()
    # The user part ends at the last "@" before the path, as urlsplit and redacted read it.
    for userinfo in re.findall(r"//([^/?#]*)@", url):
        if ":" in userinfo:
            found.add(userinfo.partition(":")[2])
    found.update(value for _, _, value in re.findall(
        r"(?i)(^|[?&])(password=)([^&#]*)", url.partition("?")[2]))
    found |= {unquote(secret) for secret in found}
    return {secret for secret in found if secret}


def scrubbed(text: str, url: str | os.PathLike[str] | None = None) -> str:
    """``text`` (a driver's error message: psycopg's may quote the connection string) without
    a password: ``url``'s wherever it appears (the URL itself named as :func:`redacted`
    names it), and any other that a URL (``//user:…@``) or a ``password=`` shows."""
    if url is not None:
        raw = os.fspath(url)
        if "://" in raw:
            text = text.replace(raw, redacted(raw))
            # The longest first: a password that holds another is hidden whole.
            for secret in sorted(_passwords(raw), key=len, reverse=True):
                text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    return _KEYWORD_PASSWORD.sub(r"\1***", text)


def without_password(url: str) -> str:
    """``url`` with no password at all (neither in its user part nor in its query), as a
    command can be given it: the password then comes from ``PGPASSWORD`` or ``~/.pgpass``."""
    shown = redacted(url)
    shown = shown.replace(":***@", "@", 1)
    base, mark, query = shown.partition("?")
    kept = [part for part in query.split("&") if part and not part.lower().startswith(
        "password=")]
    return base + (mark + "&".join(kept) if kept else "")


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
