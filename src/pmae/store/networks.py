"""The networks of a PostgreSQL store: their roles, added and listed by its administrator.

``add_network(url, "lma-ra")`` creates the login role ``pmae_lma_ra`` (with a new random
password) unless the cluster has it already, registers it as the network ``lma-ra`` of the
store, and grants it what a network may do (:func:`pmae.store.pg_roles.grants`); from then on,
connected as that role, a network reads and publishes under row-level security. The
administrator's URL (a superuser, or a role with ``BYPASSRLS`` and ``CREATEROLE``) is the one
given; it also fills the label tables, which networks only read (:mod:`pmae.store.pg_labels`).

The shared diagnosis: the administrator stores its protected tables
(:func:`save_shared_diagnosis`); a role that cannot read every need reads them
(:func:`network_diagnosis`, with when they were computed; :func:`shared_diagnosis`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as quote_url

import attrs

from pmae.i18n import gettext as _
from pmae.store.connection import StoreError
from pmae.store.pg_roles import grants
from pmae.store.postgres import connect, errors, refresh, transaction

if TYPE_CHECKING:
    import psycopg

    from pmae.sessions import Session

__all__ = ["Network", "StoredDiagnosis", "add_network", "network_diagnosis", "network_url",
           "networks", "save_shared_diagnosis", "shared_diagnosis"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@attrs.define(frozen=True, kw_only=True)
class Network:
    """A network of the store: its source slug and its role."""

    slug: str
    role: str
    can_login: bool


def network_url(url: str, role: str, password: str | None) -> str:
    """``url`` (the administrator's) with the network's role and password instead."""
    scheme, _, rest = url.partition("://")
    # The administrator's user part, as libpq reads it (its password may hold a raw "#" or
    # "?", which urlsplit would take for a fragment or a query): up to the last "@" before
    # the path.
    found = re.match(r"[^/]*@", rest)
    user = quote_url(role, safe="") + (f":{quote_url(password, safe='')}" if password else "")
    return f"{scheme}://{user}@{rest[found.end():] if found else rest}"


def add_network(url: str, slug: str, *, role: str | None = None, timeout: float = 5.0,
                session: Session | None = None) -> tuple[Network, str | None]:
    """Make ``slug`` a network of the store at ``url`` with its own role; the label tables,
    which networks only read, are filled meanwhile (from ``session``: the default one unless
    given; see :func:`pmae.store.postgres.refresh`).

    :returns: the network and the new role's password (``None`` when the role existed: its
        password is left as it was).
    :raises StoreError: a bad slug, a slug or role of another network, no right to do it.
    """
    if not _SLUG.match(slug):
        raise StoreError(_("{slug!r} is not a source slug (lower-case letters, digits, "
                           "'-')").format(slug=slug))
    role = role or "pmae_" + slug.replace("-", "_")
    connection = connect(url, timeout=timeout)
    password = None
    try:
        from psycopg import sql

        # Under the publications' lock: the label tables are written as a publication does.
        with transaction(connection) as held:
            raw = held.raw
            known = raw.execute("SELECT slug, role FROM store_networks WHERE slug = %s "
                                "OR role = %s", (slug, role)).fetchall()
            if known and known != [(slug, role)]:
                raise StoreError(_("{store}: {slug} is already the network of role {role}; "
                                   "choose another slug or --role").format(
                                       store=held.name, slug=known[0][0], role=known[0][1]))
            exists = raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                 (role,)).fetchone()
            if not exists:
                password = secrets.token_urlsafe(24)
                raw.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)))
            raw.execute("INSERT INTO store_networks (slug, role) VALUES (%s, %s) "
                        "ON CONFLICT DO NOTHING", (slug, role))
            refresh(held, session, roles=False)
            for statement in grants(role):
                raw.execute(statement)
        can_login = _can_login(connection.raw, role)
    finally:
        connection.close()
    return Network(slug=slug, role=role, can_login=can_login), password


def _can_login(raw: psycopg.Connection[Any], role: str) -> bool:
    row = raw.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    return bool(row and row[0])


def networks(url: str, *, timeout: float = 5.0) -> list[Network]:
    """The networks of the store at ``url``, by slug."""
    connection = connect(url, timeout=timeout)
    try:
        with errors(connection.name, connection.url):
            return [Network(slug=slug, role=role, can_login=bool(login))
                    for slug, role, login in connection.raw.execute(
                        "SELECT n.slug, n.role, r.rolcanlogin FROM store_networks AS n "
                        "LEFT JOIN pg_roles AS r ON r.rolname = n.role ORDER BY n.slug")]
    finally:
        connection.close()


def save_shared_diagnosis(url: str, name: str, document: dict[str, Any], *,
                          computed_at: str, timeout: float = 5.0) -> None:
    """Store the protected tables of the shared diagnosis ``name`` (what ``pmae needs
    --format json`` prints, computed by the administrator from every network's needs), for
    the networks to read with :func:`shared_diagnosis`."""
    from psycopg.types.json import Jsonb

    connection = connect(url, timeout=timeout)
    try:
        with transaction(connection, lock=False) as held:
            held.raw.execute(
                "INSERT INTO shared_diagnoses (name, computed_at, document) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET computed_at = excluded.computed_at, "
                "document = excluded.document", (name, computed_at, Jsonb(document)))
    finally:
        connection.close()


def shared_diagnosis(url: str, name: str, *, timeout: float = 5.0) -> dict[str, Any] | None:
    """The protected tables of the shared diagnosis ``name``, read through the database's
    function ``pmae_shared_diagnosis`` (a network never reads the needs of the others, only
    these tables), or ``None`` when the administrator has not computed it."""
    connection = connect(url, timeout=timeout)
    try:
        with errors(connection.name, connection.url):
            row = connection.raw.execute("SELECT pmae_shared_diagnosis(%s)", (name,)).fetchone()
    finally:
        connection.close()
    return row[0] if row and row[0] is not None else None


@attrs.define(frozen=True, kw_only=True)
class StoredDiagnosis:
    """The shared diagnosis ``name`` as a role that cannot read every need reads it: the
    protected tables the administrator stored (``None``: not computed yet), when they were
    computed, and when the store's last publication was (ISO 8601 texts)."""

    name: str
    document: dict[str, Any] | None
    computed_at: str | None
    last_publication: str | None

    @property
    def outdated(self) -> bool:
        """Whether the tables were computed before the store's last publication (they do not
        count the needs published since)."""
        if self.computed_at is None or self.last_publication is None:
            return False
        return _instant(self.computed_at) < _instant(self.last_publication)


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def network_diagnosis(url: str, name: str, *, timeout: float = 5.0
                      ) -> StoredDiagnosis | None:
    """The shared diagnosis ``name`` for the role of ``url``: ``None`` when that role reads
    every need (the administrator: a superuser, or ``BYPASSRLS``), which computes it itself;
    for any other role (a network's, the public's), which row-level security keeps from the
    others' needs, the protected tables the administrator stored (:func:`save_shared_diagnosis`),
    read through the database's functions, never a raw need.

    :raises StoreError: the server cannot be reached, or the store predates the function that
        dates the tables (the administrator runs ``pmae db upgrade``).
    """
    connection = connect(url, timeout=timeout)
    try:
        with errors(connection.name, connection.url):
            raw = connection.raw
            row = raw.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles "
                              "WHERE rolname = current_user").fetchone()
            if row and row[0]:
                return None
            dated = raw.execute("SELECT to_regprocedure("
                                "'pmae_shared_diagnosis_computed_at(text)')").fetchone()
            if not (dated and dated[0]):
                raise StoreError(_(
                    "{store}: this store cannot date its shared diagnosis yet; ask its "
                    "administrator to run `pmae db upgrade --db ADMIN_URL`").format(
                        store=connection.name))
            found = raw.execute(
                "SELECT pmae_shared_diagnosis(%s), pmae_shared_diagnosis_computed_at(%s), "
                "(SELECT max(published_at) FROM publications)", (name, name)).fetchone()
            document, computed_at, last = found if found else (None, None, None)
    finally:
        connection.close()
    return StoredDiagnosis(name=name, document=document, computed_at=computed_at,
                           last_publication=last)
