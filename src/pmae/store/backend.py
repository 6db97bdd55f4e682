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
from urllib.parse import quote, unquote

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


#: The user part of a URL, as libpq reads it past a ``#`` or ``?`` (which ``urlsplit`` would
#: take for a fragment or a query): up to the last ``@`` before the path's ``/`` (a password
#: may hold an unescaped ``@``).
_USERINFO = re.compile(r"^([a-zA-Z][\w+.-]*://)([^/]*)@")


def _libpq_password(url: str) -> str | None:
    """The password libpq reads in ``url`` (``None``: none, no psycopg, or a URL libpq cannot
    parse, whose password the other rules find)."""
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return None
    try:
        found = conninfo_to_dict(url).get("password")
    except (psycopg.Error, ValueError):  # libpq cannot parse it; not UTF-8 (ValueError)
        return None
    return found if isinstance(found, str) and found else None


def _hide_query_password(query: str) -> str:
    """A URL's query with the value of every ``password`` hidden, its name decoded as libpq
    decodes it (``pass%77ord``)."""
    parts = []
    for part in query.split("&"):
        key, equals, _ = part.partition("=")
        hidden = equals and unquote(key).strip().lower() == "password"
        parts.append(f"{key}=***" if hidden else part)
    return "&".join(parts)


def redacted(url: str | os.PathLike[str]) -> str:
    """``url`` with its password replaced by ``***`` (``postgresql://pmae_a:***@host/db``),
    whether in the URL's user part (read as libpq reads it: a ``#`` or ``?`` in it included)
    or in its query (``?password=…``, ``?pass%77ord=…``): how a store is named in whatever
    pmae prints (messages, errors, progress, logs). A path, or a URL without a password, is
    returned as it is."""
    text = os.fspath(url)
    if "://" not in text:  # a path
        return text
    password = _libpq_password(text)
    user = _USERINFO.match(text)
    if user and ":" in user.group(2):
        name = user.group(2).partition(":")[0]
        text = f"{user.group(1)}{name}:***@" + text[user.end():]
    base, mark, query = text.partition("?")
    if mark:
        text = base + mark + _hide_query_password(query)
    if password and "***" not in text:  # libpq found one where the structure did not
        text = _hide(text, _forms(password))
    return text


def _forms(password: str | None) -> set[str]:
    """A password as a URL may write it: as it is, and percent-encoded."""
    if not password:
        return set()
    return {password, quote(password, safe=""), quote(password)}


def _hide(text: str, secrets: Iterable[str]) -> str:
    # The longest first: a password that holds another is hidden whole.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


#: A URL's password wherever a text quotes one (``scheme://user:PASSWORD@``).
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s:/@\"']*):[^\s@\"']*@")

#: A ``password=`` in a text: a URL's query, libpq's ``key=value`` connection string.
_KEYWORD_PASSWORD = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&\"']+)")

#: Where a driver's text may quote a password: a quoted value (libpq quotes what it cannot
#: parse), a ``password=`` value, or a URL (named as :func:`redacted` names it). A password is
#: hidden there only, not in the words around (a password ``on`` would make ``connection``
#: into ``c***nection``).
_QUOTING = re.compile(r"""(?P<url>[a-zA-Z][\w+.-]*://[^\s"']*)|"[^"]*"|'[^']*'"""
                      r"|(?i:password\s*=\s*)\S+")


def _passwords(url: str) -> set[str]:
    """Every form of the password(s) ``url`` holds, as written and decoded, even in a URL
    too malformed to parse (a driver's error may quote any of them)."""
    found: set[str] = set()
    # The user part ends at the last "@" before the path, as urlsplit and redacted read it.
    for userinfo in re.findall(r"//([^/?#]*)@", url):
        if ":" in userinfo:
            found.add(userinfo.partition(":")[2])
    user = _USERINFO.match(url)
    if user and ":" in user.group(2):
        found.add(user.group(2).partition(":")[2])
    found.update(value for key, _, value in re.findall(
        r"(^|[?&])([^&=#]*)=([^&#]*)", url.partition("?")[2])
        if unquote(key).strip().lower() == "password")
    found |= {unquote(secret) for secret in found} | _forms(_libpq_password(url))
    return {secret for secret in found if secret}


def scrubbed(text: str, url: str | os.PathLike[str] | None = None) -> str:
    """``text`` (a driver's error message: psycopg's may quote the connection string) without
    a password: ``url``'s wherever a URL, a quoted value or a ``password=`` shows it (the URL
    itself named as :func:`redacted` names it), and any other that a URL (``//user:…@``) or a
    ``password=`` shows."""
    if url is not None:
        raw = os.fspath(url)
        if "://" in raw:
            text = text.replace(raw, redacted(raw))
            secrets = _passwords(raw)
            text = _QUOTING.sub(lambda found: redacted(found.group(0)) if found.group("url")
                                else _hide(found.group(0), secrets), text)
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
