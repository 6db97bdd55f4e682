"""pytest fixtures for writing and testing pmae plugins (a pytest plugin, like ``tox.pytest``).

Installed with pmae and enabled automatically (entry point ``pytest11``), so a plugin's own
tests can use them without a ``conftest.py``::

    from pmae.plugins import Exporter, hookimpl

    class MyPlugin:
        @hookimpl
        def pmae_register_exporters(self, register):
            register(Exporter(name="count", title="Record count", export=write_count))

    def test_my_exporter(pmae_register, pmae_small_bundle, pmae_export):
        info = pmae_register(MyPlugin())
        assert info.status == "loaded"
        path = pmae_export(pmae_small_bundle, "count")
        assert path.read_bytes() == b"..."

Fixtures:

- :func:`pmae_plugin_manager`: a fresh plugin manager per test, pmae's built-ins only;
- :func:`pmae_register`: register an in-test plugin on that manager, get its
  :class:`~pmae.plugins.PluginInfo`;
- :func:`pmae_session`: a :class:`~pmae.Session` over that manager (pmae's built-ins and the
  plugin under test), and the default session for the test, so ``pmae.validate_document(...)``
  and every function called without ``session=`` see the plugin;
- :func:`pmae_small_bundle`: a small, valid, hand-built bundle that exercises every visibility;
- :func:`pmae_sample_bundle`: the sample bundle shipped with pmae (several hundred records);
- :func:`pmae_export`: export a bundle through pmae's real core (audience filter, atomic
  output) into the test's ``tmp_path``.

This module is imported when pytest starts, in every project of the environment: it imports
nothing of pmae until a fixture is used, so it costs nothing to tests that do not use it.

.. versionadded:: 0.1
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

if TYPE_CHECKING:
    from pmae.model import Bundle
    from pmae.plugins import PluginInfo, PluginManager
    from pmae.sessions import Session

__all__ = [
    "ExportHelper",
    "RegisterHelper",
    "pmae_export",
    "pmae_plugin_manager",
    "pmae_register",
    "pmae_sample_bundle",
    "pmae_session",
    "pmae_small_bundle",
    "small_bundle",
]


class RegisterHelper(Protocol):
    """The type of the :func:`pmae_register` fixture."""

    def __call__(self, plugin: object, name: str | None = None) -> PluginInfo:
        """Register ``plugin`` (a class, an instance or a module) and return its info."""


class ExportHelper(Protocol):
    """The type of the :func:`pmae_export` fixture."""

    def __call__(self, bundle: Bundle, fmt: str, *, audience: str = "public",
                 options: Mapping[str, str] | None = None, lang: str = "fr") -> Path:
        """Export ``bundle`` with the exporter ``fmt``; return the file or folder written."""


@pytest.fixture
def pmae_plugin_manager() -> PluginManager:
    """A fresh :class:`~pmae.plugins.PluginManager` for this test: pmae's built-ins only.

    Installed plugins (entry points) are not loaded, so the test sees only what it registers,
    whatever else is installed. ``strict`` is off whatever ``PMAE_STRICT_PLUGINS`` says, so a
    broken in-test plugin is listed as failed (and warns) rather than raising: build your own
    manager with ``make_plugin_manager(entry_points=False, strict=True)`` to test strict mode.
    """
    from pmae.plugins import make_plugin_manager

    return make_plugin_manager(entry_points=False, strict=False)


@pytest.fixture
def pmae_register(pmae_plugin_manager: PluginManager) -> RegisterHelper:
    """A function that registers an in-test plugin on :func:`pmae_plugin_manager`.

    ``pmae_register(plugin, name=None)`` runs the plugin's hooks at once and returns its
    :class:`~pmae.plugins.PluginInfo`: ``status`` is ``"loaded"``, or ``"failed"`` with the
    ``reason`` (a :class:`~pmae.plugins.PluginWarning` is emitted too). A class is
    instantiated with no arguments, so its hook methods may take ``self``. The plugin's name is
    ``name``, else the class's or module's ``__name__``, else the instance's type name.
    """

    def register(plugin: object, name: str | None = None) -> PluginInfo:
        if inspect.isclass(plugin):
            # Hook methods written with ``self`` need an instance; the class names the plugin.
            name = name or plugin.__name__
            plugin = plugin()
        return pmae_plugin_manager.register(plugin, name=name)

    return register


@pytest.fixture
def pmae_session(pmae_plugin_manager: PluginManager) -> Iterator[Session]:
    """A :class:`~pmae.Session` with pmae's built-ins and the plugin under test.

    It is built over :func:`pmae_plugin_manager`, so a plugin registered with
    :func:`pmae_register` (before or after the session is first used) is part of it, and it is
    the default session during the test (:func:`pmae.sessions.use_session`): library calls
    without ``session=`` (``pmae.validate_document(...)``) use it too. Its date is today and
    its language French; derive others with ``pmae_session.evolve(as_of=..., lang=...)``.

    To test an *installed* distribution instead of an in-test plugin, override
    :func:`pmae_plugin_manager` in your ``conftest.py``::

        @pytest.fixture
        def pmae_plugin_manager():
            return make_plugin_manager(load=["pmae-occitanie"], strict=True)
    """
    from pmae.sessions import Session, use_session

    with use_session(Session(plugins=pmae_plugin_manager)) as chosen:
        yield chosen


@pytest.fixture
def pmae_sample_bundle() -> Bundle:
    """The sample bundle shipped with pmae (``pmae.sample.load_sample()``), validated.

    A few hundred records of every kind, with every visibility, contact persons and speakers.
    """
    from pmae.sample import load_sample

    return load_sample()


@pytest.fixture
def pmae_small_bundle() -> Bundle:
    """A small hand-built bundle, valid with no issue at all (see :func:`small_bundle`)."""
    return small_bundle()


@pytest.fixture
def pmae_export(pmae_plugin_manager: PluginManager, tmp_path: Path) -> ExportHelper:
    """A function that exports a bundle through pmae's core into ``tmp_path``.

    ``pmae_export(bundle, fmt, audience="public", options=None, lang="fr")`` calls
    :func:`pmae.exchange.export_bundle` with :func:`pmae_plugin_manager` (so exporters
    registered with :func:`pmae_register` are found), exactly as ``pmae export`` does: the
    exporter sees only what ``audience`` may see, and its output is written atomically. It
    returns the path written: a file ``export-<n><suffix>``, or a folder ``export-<n>`` for a
    ``directory`` exporter.
    """
    counter = itertools.count(1)

    def export(bundle: Bundle, fmt: str, *, audience: str = "public",
               options: Mapping[str, str] | None = None, lang: str = "fr") -> Path:
        from pmae.exchange import export_bundle

        exporter = pmae_plugin_manager.exporter(fmt)
        suffix = (exporter.suffix or "") if exporter.target == "file" else ""
        output = tmp_path / f"export-{next(counter)}{suffix}"
        export_bundle(bundle, fmt, output, audience=audience, options=options,
                      manager=pmae_plugin_manager, lang=lang)
        return output

    return export


def small_bundle() -> Bundle:
    """A small bundle of source ``essai`` that exercises every audience of the filter.

    - actors: ``essai:reseau`` (public, with an e-mail, a phone and a contact person),
      ``essai:dla69`` (public, member of the network-only ``essai:partenaire``),
      ``essai:partenaire`` (network), ``essai:interne`` (private);
    - offers: ``essai:offre-publique`` (public), ``essai:offre-reseau`` (network),
      ``essai:offre-restreinte`` (restricted to ``autre-reseau``), ``essai:offre-partenaire``
      (public, of the network-only actor), ``essai:offre-interne`` (public, of the private actor);
    - ``essai:asso-1``, ``essai:besoin-1`` and ``essai:orientation-1`` restricted to
      ``autre-reseau``; ``essai:besoin-2`` private, and ``essai:orientation-2`` (restricted to
      ``autre-reseau``) refers to it;
    - a public meeting ``essai:cofil-1`` organised by ``essai:reseau`` and ``essai:partenaire``,
      with two speakers (one a person only), two registrations; a public production, resource
      and programme.

    Persons: Camille Martin (contact), Dominique Bernard and Alex Petit (speakers).
    """
    from pmae.model import (
        Actor,
        Association,
        Bundle,
        Meeting,
        Need,
        Offer,
        Person,
        Production,
        Programme,
        Referral,
        Registration,
        Resource,
        Source,
        Speaker,
    )

    paris = dt.timezone(dt.timedelta(hours=1))
    elsewhere = ("autre-reseau",)
    return Bundle(
        source=Source(slug="essai", name="Réseau d'essai", url="https://reseau.example.org",
                      contact_email="donnees@reseau.example.org"),
        generated_at=dt.datetime(2025, 3, 14, 9, 0, tzinfo=paris),
        actors=(
            Actor(id="essai:reseau", name="Réseau d'essai", actor_type="coordination_associative",
                  territories=("reg:84",), commune="com:69123",
                  email="contact@reseau.example.org", phone="04 99 99 99 01",
                  contacts=(Person(name="Camille Martin", role="chargée de mission",
                                   email="camille.martin@reseau.example.org",
                                   phone="04 99 99 99 02"),)),
            Actor(id="essai:dla69", name="DLA du Rhône", actor_type="dla_departemental",
                  territories=("dep:69",), networks=("essai:partenaire",)),
            Actor(id="essai:partenaire", name="Réseau partenaire", actor_type="reseau_sectoriel",
                  territories=("reg:84",), visibility="network"),
            Actor(id="essai:interne", name="Cellule interne", actor_type="point_appui",
                  territories=("dep:69",), visibility="private"),
        ),
        offers=(
            Offer(id="essai:offre-publique", actor="essai:dla69", title="Premier emploi",
                  themes=("recrutement",), stages=("conseil",), territories=("dep:69",)),
            Offer(id="essai:offre-reseau", actor="essai:reseau", title="Atelier paie",
                  themes=("paie_declarations",), stages=("formation",),
                  territories=("reg:84",), visibility="network"),
            Offer(id="essai:offre-restreinte", actor="essai:dla69", title="Appui renforcé",
                  themes=("contrat_travail",), stages=("appui",), territories=("dep:69",),
                  visibility="restricted", recipients=elsewhere),
            Offer(id="essai:offre-partenaire", actor="essai:partenaire", title="Permanence",
                  themes=("recrutement",), stages=("information",), territories=("reg:84",)),
            Offer(id="essai:offre-interne", actor="essai:interne", title="Suivi interne",
                  themes=("recrutement",), stages=("conseil",), territories=("dep:69",)),
        ),
        associations=(
            Association(id="essai:asso-1", name="Les Amis du quartier", headcount=3,
                        size_band="02", commune="com:69123", recipients=elsewhere),
        ),
        needs=(
            Need(id="essai:besoin-1", theme="recrutement", origin="declare",
                 date=dt.date(2025, 2, 1), association="essai:asso-1", territory="dep:69",
                 recipients=elsewhere),
            Need(id="essai:besoin-2", theme="paie_declarations", origin="declare",
                 date=dt.date(2025, 2, 3), association="essai:asso-1", territory="dep:69",
                 visibility="private"),
        ),
        referrals=(
            Referral(id="essai:orientation-1", need="essai:besoin-1",
                     offer="essai:offre-publique", by="essai:reseau", date=dt.date(2025, 2, 10),
                     recipients=elsewhere),
            Referral(id="essai:orientation-2", need="essai:besoin-2",
                     offer="essai:offre-publique", by="essai:dla69", date=dt.date(2025, 2, 11),
                     recipients=elsewhere),
        ),
        meetings=(
            Meeting(id="essai:cofil-1", kind="cofil", title="COFIL de mars",
                    start=dt.datetime(2025, 3, 14, 9, 0, tzinfo=paris),
                    end=dt.datetime(2025, 3, 14, 12, 30, tzinfo=paris),
                    commune="com:69123", themes=("recrutement",),
                    organisers=("essai:reseau", "essai:partenaire"),
                    speakers=(
                        Speaker(person=Person(name="Dominique Bernard",
                                              email="d.bernard@dla.example.org",
                                              phone="04 99 99 99 03"),
                                organisation="DLA du Rhône", actor="essai:dla69",
                                topic="Le premier emploi"),
                        Speaker(person=Person(name="Alex Petit"), outside=True,
                                topic="Témoignage"),
                    ),
                    registrations=(Registration(actor="essai:reseau", participants=2),
                                   Registration(actor="essai:partenaire"))),
        ),
        productions=(
            Production(id="essai:fiche-1", kind="fiche_thematique", title="Recruter",
                       year=2025, themes=("recrutement",),
                       authors=("essai:reseau", "essai:partenaire"),
                       resources=("essai:ressource-1",), meeting="essai:cofil-1"),
        ),
        resources=(
            Resource(id="essai:ressource-1", title="Guide du premier emploi", kind="guide",
                     url="https://ressources.example.org/premier-emploi"),
        ),
        programmes=(
            Programme(id="essai:programme-2025", year=2025, title="Programme 2025",
                      priorities=("recrutement",), meetings=("essai:cofil-1",),
                      productions=("essai:fiche-1",)),
        ),
    )
