"""The sample bundle shipped with pmae: the démarche PMAE in Rhône-Alpes, 2025 (illustrative).

Real public structures are named, offers are plausible but invented, associations and people
are fictional; contact data uses ``example.org`` addresses and phone numbers reserved for
fiction. ``tools/build_sample.py`` builds the file, deterministically; ``pmae demo`` and the
documentation's examples start from it.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
from typing import Final

from pmae.io.files import parse_json
from pmae.io.pipeline import InvalidBundleError, validate_document
from pmae.model import Bundle

__all__ = ["SAMPLE_FILE", "load_sample", "sample_bytes", "small_bundle"]

#: The name of the sample bundle in the package data (``pmae/data/``).
SAMPLE_FILE: Final = "sample.json"


def sample_bytes() -> bytes:
    """The sample bundle exactly as shipped: JSON bytes, UTF-8."""
    return importlib.resources.files("pmae").joinpath("data", SAMPLE_FILE).read_bytes()


def load_sample() -> Bundle:
    """The sample bundle, parsed and validated like any other bundle.

    :raises InvalidBundleError: if the shipped file has errors (a packaging bug: the build
        script refuses to write a sample with any issue).
    """
    data = parse_json(sample_bytes(), file=SAMPLE_FILE)
    report = validate_document(data, file=SAMPLE_FILE)
    if not report.ok or report.bundle is None:
        raise InvalidBundleError(report.issues)
    return report.bundle


def small_bundle() -> Bundle:
    """A small hand-built bundle of source ``essai``, valid with no issue at all, that exercises
    every audience of the filter (``pmae.testing``'s ``pmae_small_bundle`` fixture):

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
