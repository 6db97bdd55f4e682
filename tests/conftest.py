"""Shared test set-up: pmae's built-in plugins only, hypothesis profiles, and the small
documents several suites start from.

pmae's own tests do not depend on which third-party plugins happen to be installed: the whole
run sees pmae's built-in plugins only (:func:`_builtin_plugins_only`), in-process and in the
``pmae`` subprocesses the tests start. A test that needs an installed plugin says so
(``make_plugin_manager(load=["pmae-ical"])``, or its own ``PMAE_LOAD_PLUGINS``).

``PMAE_HYPOTHESIS_PROFILE=ci`` runs every property on 500 examples (the CI setting);
the default profile runs 100, to keep a local run fast.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.metadata
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from pmae.sessions import reset_default_session

# The strategies live beside the tests and are imported as a plain module.
sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("PMAE_HYPOTHESIS_PROFILE", "default"))

#: A small bundle document, valid through every layer, that the catalogue breaks one way at a time.
VALID_DOCUMENT: dict[str, Any] = {
    "format_version": "1.0.0",
    "source": {"slug": "lma-ra", "name": "Le Mouvement associatif Rhône-Alpes"},
    "generated_at": "2025-03-14T09:00:00+01:00",
    "licence": "etalab-2.0",
    "actors": [
        {"id": "lma-ra:lma", "name": "Le Mouvement associatif",
         "actor_type": "coordination_associative",
         "territories": ["reg:84"], "commune": "com:69123", "siret": "73282932000074"},
        {"id": "lma-ra:dla69", "name": "DLA du Rhône", "actor_type": "dla_departemental",
         "territories": ["dep:69"]},
    ],
    "offers": [
        {"id": "lma-ra:offre-1", "actor": "lma-ra:dla69", "title": "Premier emploi",
         "themes": ["recrutement"], "stages": ["conseil"], "territories": ["dep:69"],
         "valid_from": "2025-01-01", "valid_until": "2025-12-31"},
    ],
    "associations": [
        {"id": "lma-ra:asso-1", "name": "Les Amis du quartier", "siren": "732829320",
         "siret": "73282932000074", "headcount": 3, "size_band": "02", "commune": "com:69123"},
    ],
    "needs": [
        {"id": "lma-ra:besoin-1", "theme": "recrutement", "origin": "declare",
         "date": "2025-02-01", "association": "lma-ra:asso-1", "territory": "dep:69"},
    ],
    "referrals": [
        {"id": "lma-ra:orientation-1", "need": "lma-ra:besoin-1", "offer": "lma-ra:offre-1",
         "by": "lma-ra:lma", "date": "2025-02-10"},
    ],
    "meetings": [
        {"id": "lma-ra:cofil-1", "kind": "cofil", "title": "COFIL de mars",
         "start": "2025-03-14T09:00:00+01:00", "end": "2025-03-14T12:30:00+01:00",
         "organisers": ["lma-ra:lma"]},
    ],
}


def valid_document() -> dict[str, Any]:
    """A fresh deep copy of :data:`VALID_DOCUMENT`, free to break."""
    return copy.deepcopy(VALID_DOCUMENT)


@pytest.fixture
def document() -> dict[str, Any]:
    """A valid bundle document, to break."""
    return valid_document()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pmae_plugins(*names): the installed plugins this test loads, by entry-point "
        "name (skipped when one is not installed); other tests see pmae's built-ins only")


#: The environment every test of pmae runs in, set before its fixtures (even module- or
#: session-scoped ones) and undone after them, so plugins/*/tests see the real one.
_environment = pytest.MonkeyPatch()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """pmae's tests see pmae's built-in plugins only, whatever else is installed.

    ``PMAE_LOAD_PLUGINS`` is the real allow-list: set and empty, the default session, the
    process-wide plugin manager (one per value of the ``PMAE_*_PLUGINS`` variables, so this one
    is loaded once for the run) and every ``pmae`` subprocess (which inherits the environment)
    load no installed plugin. A test marked ``@pytest.mark.pmae_plugins("pmae-ical")`` loads
    those plugins, and is skipped when one is not installed.
    """
    marker = item.get_closest_marker("pmae_plugins")
    wanted = marker.args if marker else ()
    _environment.setenv("PMAE_LOAD_PLUGINS", ",".join(wanted))
    _environment.delenv("PMAE_DISABLE_PLUGINS", raising=False)
    _environment.delenv("PMAE_STRICT_PLUGINS", raising=False)
    # The tests are written in the language of the sources, English, whatever the machine's
    # locale (pmae speaks French when the locale is not English): a test of another language
    # asks for it (--lang fr, or its own LANGUAGE; see tests/test_i18n.py).
    _environment.setenv("LANGUAGE", "en")
    installed = {e.name for e in importlib.metadata.entry_points(group="pmae")}
    if missing := [name for name in wanted if name not in installed]:
        pytest.skip(f"needs the plugin(s) {', '.join(missing)}: pip install -e "
                    f"plugins/{missing[0]}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    try:
        yield
    finally:
        _environment.undo()


#: A plugin module that adds an exporter, a theme and (``{check}``) a check that warns on
#: every bundle, for :func:`plugin_distribution`.
EXTRA_PLUGIN = """
from pmae.issues import Issue
from pmae.plugins import Check, Exporter, Term, VocabularyExtension, hookimpl


def _export(bundle, stream, context):
    stream.write(b"extra")


@hookimpl
def pmae_register_exporters(register):
    register(Exporter(name="extra", title="Extra", export=_export, suffix=".txt"))


@hookimpl
def pmae_register_vocabularies(register):
    register(VocabularyExtension(vocabulary="themes", namespace="{namespace}", terms=(
        Term(code="{namespace}:{code}", label_fr="Tiers-lieux", label_en="Third places"),)))


def _always(bundle, context):
    return [Issue(code="{namespace}:always", severity="warning", message="extra check ran")]


@hookimpl
def pmae_register_checks(register):
    if {check}:
        register(Check(name="always", title="Always", check=_always,
                       codes=("{namespace}:always",)))
"""


def write_distribution(folder: Path, name: str, source: str) -> Path:
    """An installed distribution ``name`` in ``folder``: a module and its ``*.dist-info``.

    The module (``name`` with ``_`` for ``-``) holds ``source``; the entry point of the group
    ``pmae`` is named ``name``. Put ``folder`` on ``PYTHONPATH`` (subprocesses) or on
    ``sys.path`` (in-process, see :func:`plugin_distribution`) and it is installed.
    """
    module = name.replace("-", "_")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(source, encoding="utf-8")
    info = folder / f"{module}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[pmae]\n{name} = {module}\n", encoding="utf-8")
    return folder


@pytest.fixture
def plugin_distribution(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Install a small plugin distribution for this test, in-process; return its folder.

    ``plugin_distribution(name="pmae-extra", namespace="extra", code="tiers_lieux",
    check=False)`` writes :data:`EXTRA_PLUGIN` (an exporter ``extra``, the theme
    ``<namespace>:<code>`` and, with ``check``, a check warning on every bundle) as a
    distribution, puts it on ``sys.path`` and clears importlib's caches, so that
    ``importlib.metadata`` finds its entry point; all of it is undone after the test.
    """
    added: list[tuple[Path, str]] = []

    def install(name: str = "pmae-extra", namespace: str = "extra", code: str = "tiers_lieux",
                check: bool = False) -> Path:
        source = EXTRA_PLUGIN.format(namespace=namespace, code=code, check=check)
        folder = write_distribution(tmp_path / f"site-{len(added)}", name, source)
        sys.path.insert(0, str(folder))
        importlib.invalidate_caches()
        added.append((folder, name.replace("-", "_")))
        return folder

    yield install
    for folder, module in added:
        sys.path.remove(str(folder))
        sys.modules.pop(module, None)
    importlib.invalidate_caches()
    reset_default_session()


# --- the store on both backends ---------------------------------------------------------------
# What the store's tests share: pmae's built-ins alone (what installed plugins do cannot change
# them), and the sample as a file (test_store.py, test_store_postgres.py).


@pytest.fixture(scope="module")
def core() -> Any:
    """A session of pmae's built-ins alone."""
    from pmae.sessions import make_session

    return make_session(load=[])


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded sample bundle, as a file."""
    from pmae.sample import sample_bytes

    path = tmp_path_factory.mktemp("sample") / "sample.json"
    path.write_bytes(sample_bytes())
    return path


# The PostgreSQL store's tests start their own throwaway cluster (tests/pg_cluster.py), once per
# run. Without PostgreSQL they are skipped locally; under CI=true a missing PostgreSQL is an
# error, so CI never passes without running them.

_DATABASES = iter(range(1, 1_000_000))


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A running throwaway PostgreSQL cluster (tests/pg_cluster.py), stopped at the end."""
    import pg_cluster

    missing = None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing = "psycopg is not installed (pip install -e '.[test]')"
    if missing is None and pg_cluster.binaries() is None:
        missing = ("PostgreSQL's initdb and pg_ctl were not found (Debian: apt-get install "
                   "postgresql-15)")
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the store's tests on PostgreSQL too: {missing}")
        pytest.skip(f"the PostgreSQL store tests need PostgreSQL: {missing}")
    cluster = pg_cluster.start()
    yield cluster
    cluster.close()


def new_database(cluster: Any) -> str:
    """The URL of a new empty database of ``cluster``."""
    import psycopg

    name = f"pmae_test_{next(_DATABASES)}"
    with psycopg.connect(cluster.url(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return str(cluster.url(name))


def drop_database(cluster: Any, url: str) -> None:
    """Drop the database of ``url`` (its connections closed first), to keep the cluster small."""
    import psycopg

    name = url.partition("@/")[2].partition("?")[0]
    with psycopg.connect(cluster.url(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(postgres: Any) -> Iterator[str]:
    """A new empty PostgreSQL database: a store once something is published into it."""
    url = new_database(postgres)
    yield url
    drop_database(postgres, url)


@pytest.fixture(params=["sqlite", "postgres"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new store goes, on each backend: a file path, or an empty database's URL."""
    if request.param == "sqlite":
        return str(tmp_path / "s.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def new_store_at(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Callable[[], contextlib.AbstractContextManager[str]]:
    """On each backend, a function giving where a new store goes, for a ``with`` block (the
    store is deleted after it): for properties, which make many stores in one test."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("stores")

        @contextlib.contextmanager
        def new_file() -> Iterator[str]:
            path = folder / f"s{next(_DATABASES)}.db"
            yield str(path)
            for leftover in folder.glob(path.name + "*"):
                leftover.unlink()
        return new_file
    return request.getfixturevalue("new_pg_at")


@pytest.fixture(scope="session")
def new_pg_at(postgres: Any) -> Callable[[], contextlib.AbstractContextManager[str]]:
    """A function giving a new empty PostgreSQL database for a ``with`` block (dropped after
    it)."""

    @contextlib.contextmanager
    def new_pg() -> Iterator[str]:
        url = new_database(postgres)
        yield url
        drop_database(postgres, url)
    return new_pg
