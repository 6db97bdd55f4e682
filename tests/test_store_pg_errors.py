"""What pmae prints when a PostgreSQL store cannot be used: psycopg's own texts (which may
quote the connection string, password included) scrubbed of any password, saying what failed
and what to do, in French and in English; and a store of an older schema naming a command
that runs as printed."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from pmae.cli import cli
from pmae.sessions import Session
from pmae.store import open_store, schema
from pmae.store.backend import redacted, scrubbed, without_password
from pmae.store.networks import network_url

SECRET = "s3cret-Hunter2"
#: A role that logs in with a password (the test cluster trusts the others).
ROLE = "pmae_password_check"


def _pmae(session: Session, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env={"LANGUAGE": None, "LC_ALL": None, "LANG": "de_DE.UTF-8",
                          **(env or {})}).invoke(cli, list(args), obj=session,
                                                 prog_name="pmae")


def _both(session: Session, *args: str) -> tuple[str, str]:
    """The output in French and in English, neither holding the password."""
    outputs = []
    for lang in ("fr", "en"):
        result = _pmae(session, "--lang", lang, *args)
        out = result.stdout + result.stderr
        assert result.exit_code == 2, out
        assert SECRET not in out and "Hunter2" not in out, out
        outputs.append(" ".join(out.split()))
    return outputs[0], outputs[1]


@pytest.fixture(scope="module")
def password_role(postgres: Any) -> str:
    """The URL of a role that must give its password (``scram-sha-256`` for it alone)."""
    hba = postgres.data / "pg_hba.conf"
    line = f"local all {ROLE} scram-sha-256\n"
    if line not in hba.read_text():
        hba.write_text(line + hba.read_text())  # first match wins: this role only
    with psycopg.connect(postgres.url(), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                  (ROLE,)).fetchone():
            connection.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD 'the-right-one'")
        connection.execute("SELECT pg_reload_conf()")
    return str(postgres.url("postgres", user=ROLE))


def test_a_wrong_password_says_so_without_printing_it(password_role: str, core: Session) -> None:
    url = network_url(password_role, ROLE, SECRET)
    french, english = _both(core, "db", "info", "--db", url)
    assert f'password authentication failed for user "{ROLE}"' in english
    assert "check the URL (host, port, database's name, role)" in english
    assert "and the role's password" in english and ":***@" in english
    assert "impossible d’utiliser la base PostgreSQL" in french
    assert "vérifiez l’URL (hôte, port, nom de la base de données, rôle)" in french


def test_a_wrong_host_or_an_unknown_database_says_so(postgres: Any, core: Session) -> None:
    french, english = _both(core, "db", "info", "--db",
                            f"postgresql://bob:{SECRET}@127.0.0.1:1/pmae")
    assert "Connection refused" in english and "that the server runs" in english
    assert "que le serveur tourne" in french
    unknown = network_url(postgres.url("no_such_database"), postgres.user, SECRET)
    french, english = _both(core, "offers", "--db", unknown)
    assert 'database "no_such_database" does not exist' in english
    assert "database's name" in english and "nom de la base de données" in french


@pytest.mark.parametrize("url", [
    # libpq quotes what it cannot parse: here the password itself, then the whole URL.
    f"postgresql://bob:{SECRET}%zz@127.0.0.1:1/pmae",
    f"postgresql://bob:{SECRET}@[::1/pmae",
    f"postgresql://bob@127.0.0.1:1/pmae?password={SECRET}&nonsense",
])
def test_what_libpq_cannot_parse_is_told_without_the_password(url: str, core: Session) -> None:
    french, english = _both(core, "db", "info", "--db", url)
    assert "check the URL" in english and "vérifiez l’URL" in french


@pytest.mark.parametrize("url", [
    # libpq reads a raw "#" or "?" in the user part as the password's (urlsplit would take
    # them for a fragment or a query), and a percent-encoded name of the query's password.
    f"postgresql://bob:ab#{SECRET}@127.0.0.1:1/pmae",
    f"postgresql://bob:ab?{SECRET}@127.0.0.1:1/pmae",
    f"postgresql://bob:ab%23{SECRET}@127.0.0.1:1/pmae",
    f"postgresql://bob@127.0.0.1:1/pmae?pass%77ord={SECRET}",
])
def test_a_password_as_libpq_reads_it_is_never_printed(url: str, core: Session) -> None:
    french, english = _both(core, "db", "info", "--db", url)
    assert "Connection refused" in english and "***" in english and "***" in french
    assert SECRET not in redacted(url) and "***" in redacted(url)


def test_a_network_s_url_takes_the_administrator_s_user_part_away_whole() -> None:
    # The administrator's password is not carried into the network's URL, "#" or "?" in it.
    for admin in (f"postgresql://bob:ab#{SECRET}@h:1/pmae?sslmode=require",
                  f"postgresql://bob:ab?{SECRET}@h:1/pmae?sslmode=require"):
        assert network_url(admin, "pmae_a", "p w") == \
            "postgresql://pmae_a:p%20w@h:1/pmae?sslmode=require"
    assert network_url("postgresql:///pmae?host=/tmp", "pmae_a", None) == \
        "postgresql://pmae_a@/pmae?host=/tmp"


def test_a_short_password_is_hidden_where_it_is_not_in_the_words_around() -> None:
    url = "postgresql://bob:on@h/connections"
    assert redacted(url) == "postgresql://bob:***@h/connections"
    assert scrubbed(f'no connections on port 1 for "on" at {url}', url) == \
        'no connections on port 1 for "***" at postgresql://bob:***@h/connections'


def test_a_url_that_is_not_valid_text_is_told_so(core: Session) -> None:
    # Bytes that are not UTF-8, as the shell passes them to Python (surrogate escapes).
    url = f"postgresql://bob:{SECRET}\udcff@127.0.0.1:1/pmae"
    french, english = _both(core, "db", "info", "--db", url)
    assert "this URL is not valid text" in english and "UTF-8" in english
    assert "n’est pas un texte valide" in french


def test_scrubbed_hides_every_form_of_a_password() -> None:
    url = f"postgresql://bob:{SECRET}%21@h/db?sslmode=require"
    assert scrubbed(f'bad token "{SECRET}%21" or "{SECRET}!" in {url}', url) == \
        'bad token "***" or "***" in postgresql://bob:***@h/db?sslmode=require'
    # Whatever the URL given, a text quoting another URL's password or a password= has it
    # hidden.
    assert scrubbed("postgresql://a:b@c/d and password=x host=h and PASSWORD = 'y z'") == \
        "postgresql://a:***@c/d and password=*** host=h and PASSWORD = ***"
    # A password holding "@" is hidden whole, and nothing else is replaced.
    assert scrubbed("at postgresql://bob:p@ss@h/db", "postgresql://bob:p@ss@h/db") == \
        "at postgresql://bob:***@h/db"


def test_without_password_leaves_a_url_a_command_can_take() -> None:
    assert without_password("postgresql://bob:x%40y@h:5/db?sslmode=verify-full&password=z"
                            "&port=6") == "postgresql://bob@h:5/db?sslmode=verify-full&port=6"
    assert without_password("postgresql://bob:x@/db?password=z") == "postgresql://bob@/db"
    assert without_password("postgresql://bob@/db?host=/tmp") == "postgresql://bob@/db?host=/tmp"


def test_an_older_store_names_an_upgrade_that_runs_as_printed(
        pg_url: str, core: Session, sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pmae.store import connection, postgres

    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
    following = schema.SCHEMA_VERSION + 1
    monkeypatch.setattr(connection, "SCHEMA_VERSION", following)
    monkeypatch.setattr(postgres, "SCHEMA_VERSION", following)
    monkeypatch.setitem(schema.MIGRATIONS, following, lambda: [])
    user = pg_url.partition("://")[2].partition("@")[0]
    url = network_url(pg_url, user, SECRET)
    french, english = _both(core, "db", "info", "--db", url)
    assert "lancez d’abord `pmae db upgrade --db '" in french
    assert "la commande ne contient pas de mot de passe" in french
    assert "run `pmae db upgrade --db '" in english and "as the store's administrator" in english
    assert "give the administrator's in PGPASSWORD or ~/.pgpass" in english
    command = english.split("run `", 1)[1].split("`", 1)[0]
    assert "***" not in command and shlex.split(command)[-1] == without_password(url)
    # Without a password in the URL, no note about one.
    plain = _pmae(core, "--lang", "en", "db", "info", "--db", pg_url)
    assert plain.exit_code == 2 and "run `pmae db upgrade --db " in plain.stderr
    assert "holds no password" not in plain.stderr
    # As printed, with the password where the note says (the test cluster trusts the role).
    upgraded = _pmae(core, *shlex.split(command)[1:], env={"PGPASSWORD": SECRET})
    assert upgraded.exit_code == 0, upgraded.output
    assert _pmae(core, "db", "info", "--db", url).exit_code == 0
