"""The audience filter pmae's core applies before any exporter sees a bundle."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from pmae.exchange import export_bundle
from pmae.io.audience import UnknownAudienceError, filter_bundle
from pmae.io.bundles import bundle_to_data, dumps_bundle
from pmae.io.pipeline import validate_document
from pmae.model import COLLECTIONS, Actor, Bundle, Meeting
from pmae.plugins import ExportContext, Exporter, PluginManager, hookimpl
from pmae.testing import ExportHelper, RegisterHelper

PUBLIC = {
    "actors": ["essai:reseau", "essai:dla69"],
    "offers": ["essai:offre-publique"],
    "meetings": ["essai:cofil-1"],
    "productions": ["essai:fiche-1"],
    "resources": ["essai:ressource-1"],
    "programmes": ["essai:programme-2025"],
}
NETWORK = {
    **PUBLIC,
    "actors": ["essai:reseau", "essai:dla69", "essai:partenaire"],
    "offers": ["essai:offre-publique", "essai:offre-reseau", "essai:offre-partenaire"],
}
RECIPIENT = {
    **NETWORK,
    "offers": ["essai:offre-publique", "essai:offre-reseau", "essai:offre-restreinte",
               "essai:offre-partenaire"],
    "associations": ["essai:asso-1"],
    "needs": ["essai:besoin-1"],
    "referrals": ["essai:orientation-1"],  # orientation-2 refers to the private besoin-2
}
EVERYTHING = {
    "actors": ["essai:reseau", "essai:dla69", "essai:partenaire", "essai:interne"],
    "offers": ["essai:offre-publique", "essai:offre-reseau", "essai:offre-restreinte",
               "essai:offre-partenaire", "essai:offre-interne"],
    "associations": ["essai:asso-1"],
    "needs": ["essai:besoin-1", "essai:besoin-2"],
    "referrals": ["essai:orientation-1", "essai:orientation-2"],
    "meetings": ["essai:cofil-1"],
    "productions": ["essai:fiche-1"],
    "resources": ["essai:ressource-1"],
    "programmes": ["essai:programme-2025"],
}
PERSONS = ("Camille Martin", "Dominique Bernard", "Alex Petit")
# A French phone number, national or international, not part of a longer number (a SIRET).
PHONE = re.compile(r"(?<![0-9])(?:\+33[ .]?|0)[1-9](?:[ .-]?[0-9]{2}){4}(?![0-9])")


def _ids(bundle: Bundle) -> dict[str, list[str]]:
    return {name: [r.id for r in getattr(bundle, name)] for name in COLLECTIONS
            if getattr(bundle, name)}


@pytest.mark.parametrize(("audience", "expected"), [
    ("public", PUBLIC),
    ("network", NETWORK),
    ("recipient:autre-reseau", RECIPIENT),
    ("recipient:autre-reseau:dla", RECIPIENT),  # an actor of that network
    ("recipient:personne", NETWORK),  # restricted records name other recipients
    ("all", EVERYTHING),
])
def test_each_audience_keeps_exactly_what_it_may_see(
    pmae_small_bundle: Bundle, audience: str, expected: dict[str, list[str]],
) -> None:
    filtered = filter_bundle(pmae_small_bundle, audience)
    assert _ids(filtered) == expected
    report = validate_document(bundle_to_data(filtered))
    assert [i for i in report.issues if i.severity == "error"] == []


def test_the_small_bundle_is_valid_without_any_issue(pmae_small_bundle: Bundle) -> None:
    assert validate_document(bundle_to_data(pmae_small_bundle)).issues == []
    assert filter_bundle(pmae_small_bundle, "all") == pmae_small_bundle


def test_unknown_audience(pmae_small_bundle: Bundle) -> None:
    with pytest.raises(UnknownAudienceError, match="unknown audience 'everyone'"):
        filter_bundle(pmae_small_bundle, "everyone")


def test_public_has_no_personal_data(pmae_small_bundle: Bundle) -> None:
    public = filter_bundle(pmae_small_bundle, "public")
    text = dumps_bundle(public).decode()
    assert "@" not in text
    assert PHONE.findall(text) == []
    assert [name for name in PERSONS if name in text] == []
    # The original holds all of it, so the scan above would have found it.
    original = dumps_bundle(pmae_small_bundle).decode()
    assert len(PHONE.findall(original)) == 3
    assert [name for name in PERSONS if name in original] == list(PERSONS)

    reseau = public.actors[0]
    assert isinstance(reseau, Actor)
    assert (reseau.email, reseau.phone, reseau.contacts) == (None, None, ())
    assert public.source.contact_email is None
    meeting = public.meetings[0]
    assert isinstance(meeting, Meeting)
    # The speaker known only as a person is dropped; the other keeps organisation and topic.
    assert [(s.person, s.organisation, s.actor, s.topic) for s in meeting.speakers] == [
        (None, "DLA du Rhône", "essai:dla69", "Le premier emploi")]


def test_network_keeps_personal_data(pmae_small_bundle: Bundle) -> None:
    network = filter_bundle(pmae_small_bundle, "network")
    assert network.actors[0] == pmae_small_bundle.actors[0]
    assert network.meetings[0].speakers == pmae_small_bundle.meetings[0].speakers
    assert network.source == pmae_small_bundle.source


def test_hidden_records_are_dropped_or_unreferenced(pmae_small_bundle: Bundle) -> None:
    public = filter_bundle(pmae_small_bundle, "public")
    index = public.index()
    # Offers of hidden actors are dropped (network-only and private actors).
    assert "essai:offre-partenaire" not in index
    assert "essai:offre-interne" not in index
    # Optional references to the hidden network-only actor are cleared.
    assert index["essai:dla69"].networks == ()  # type: ignore[union-attr]
    assert index["essai:cofil-1"].organisers == ("essai:reseau",)  # type: ignore[union-attr]
    assert [r.actor for r in index["essai:cofil-1"].registrations] == [  # type: ignore[union-attr]
        "essai:reseau"]
    assert index["essai:fiche-1"].authors == ("essai:reseau",)  # type: ignore[union-attr]
    # Network sees the partner, so its references stay.
    network = filter_bundle(pmae_small_bundle, "network").index()
    assert network["essai:dla69"].networks == ("essai:partenaire",)  # type: ignore[union-attr]


def test_a_referral_to_a_hidden_need_is_dropped(pmae_small_bundle: Bundle) -> None:
    filtered = filter_bundle(pmae_small_bundle, "recipient:autre-reseau")
    assert [r.id for r in filtered.referrals] == ["essai:orientation-1"]
    assert [n.id for n in filtered.needs] == ["essai:besoin-1"]


def _personal_data_in(bundle: Bundle) -> set[str]:
    names = {c.name for a in bundle.actors for c in a.contacts}
    names |= {s.person.name for m in bundle.meetings for s in m.speakers if s.person}
    return names


def test_public_export_of_the_sample_has_no_personal_or_restricted_data(
    pmae_sample_bundle: Bundle, pmae_export: ExportHelper,
) -> None:
    persons = _personal_data_in(pmae_sample_bundle)
    assert persons  # the sample has contacts and speakers: the scan means something
    restricted = {r.id for _, r in pmae_sample_bundle.records()
                  if r.visibility in ("restricted", "private", "network")}
    assert restricted

    text = pmae_export(pmae_sample_bundle, "json").read_text(encoding="utf-8")
    assert "@" not in text
    assert PHONE.findall(text) == []
    assert sorted(name for name in persons if name in text) == []
    assert sorted(record_id for record_id in restricted if f'"{record_id}"' in text) == []
    report = validate_document(bundle_to_data(filter_bundle(pmae_sample_bundle, "public")))
    assert [i for i in report.issues if i.severity == "error"] == []


def test_an_exporter_cannot_bypass_the_filter(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    pmae_small_bundle: Bundle, tmp_path: Path,
) -> None:
    seen: list[tuple[Bundle, ExportContext]] = []

    def record(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
        seen.append((bundle, context))
        stream.write(b"ok")

    class Recorder:
        @hookimpl
        def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> None:
            register(Exporter(name="recorder", title="Records its input", export=record))

    pmae_register(Recorder)
    for audience in ("public", "network", "recipient:autre-reseau"):
        returned = export_bundle(pmae_small_bundle, "recorder", tmp_path / "out",
                                 audience=audience, manager=pmae_plugin_manager)
        bundle, context = seen[-1]
        assert bundle == filter_bundle(pmae_small_bundle, audience) == returned
        assert context.audience == audience
    assert "@" not in dumps_bundle(seen[0][0]).decode()
    # The default audience is public: forgetting it cannot leak anything.
    export_bundle(pmae_small_bundle, "recorder", tmp_path / "out", manager=pmae_plugin_manager)
    assert seen[-1][0] == filter_bundle(pmae_small_bundle, "public")


def test_directory_exporters_are_filtered_too(
    pmae_register: RegisterHelper, pmae_small_bundle: Bundle, pmae_export: ExportHelper,
) -> None:
    def write_ids(bundle: Bundle, folder: Any, context: ExportContext) -> None:
        for name in COLLECTIONS:
            ids = [r.id for r in getattr(bundle, name)]
            if ids:
                (Path(folder) / f"{name}.txt").write_text("\n".join(ids) + "\n")

    class Folders:
        @hookimpl
        def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> None:
            register(Exporter(name="folders", title="One file a collection", export=write_ids,
                              target="directory"))

    pmae_register(Folders)
    folder = pmae_export(pmae_small_bundle, "folders", audience="public")
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.txt" for n in PUBLIC)
    assert (folder / "offers.txt").read_text() == "essai:offre-publique\n"


def test_a_restricted_record_without_recipients_is_its_publishers_alone() -> None:
    import datetime as dt

    from pmae import Association, Bundle, Source
    from pmae.io.audience import filter_bundle

    bundle = Bundle(
        source=Source(slug="lma-ra", name="LMA"),
        generated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        associations=(Association(id="lma-ra:a1", name="Asso", visibility="restricted"),
                      Association(id="rnma:a2", name="Autre", visibility="restricted",
                                  recipients=("lma-ra",))),
    )
    def kept(audience: str) -> list[str]:
        return [a.id for a in filter_bundle(bundle, audience).associations]

    assert kept("recipient:lma-ra") == ["lma-ra:a1", "rnma:a2"]
    assert kept("recipient:lma-ra:dla-69") == ["rnma:a2"]  # an actor needs to be named
    assert kept("recipient:rnma") == ["rnma:a2"]
    assert kept("recipient:cress") == []
    assert kept("network") == [] and kept("public") == []
    assert kept("all") == ["lma-ra:a1", "rnma:a2"]


def test_references_to_other_networks_survive_every_audience() -> None:
    import datetime as dt

    from pmae import Actor, Bundle, Offer, Source
    from pmae.io.audience import filter_bundle

    bundle = Bundle(
        source=Source(slug="lma-occ", name="LMA Occitanie"),
        generated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        actors=(Actor(id="lma-occ:a1", name="DLA 31", actor_type="dla_departemental"),
                Actor(id="lma-occ:a2", name="Réseau", actor_type="reseau_sectoriel",
                      visibility="network")),
        offers=(Offer(id="lma-occ:o1", actor="lma-occ:a1", title="Accueil"),
                # carried by an actor another network publishes: not in this bundle
                Offer(id="lma-occ:o2", actor="pmae-ra:lma-ra", title="Webinaire commun"),
                Offer(id="lma-occ:o3", actor="lma-occ:a2", title="Réservée au réseau")),
    )
    for audience, expected in (("all", ["lma-occ:o1", "lma-occ:o2", "lma-occ:o3"]),
                               ("network", ["lma-occ:o1", "lma-occ:o2", "lma-occ:o3"]),
                               ("public", ["lma-occ:o1", "lma-occ:o2"])):
        assert [o.id for o in filter_bundle(bundle, audience).offers] == expected, audience


def test_an_actor_sees_only_what_names_it_or_its_network() -> None:
    import datetime as dt

    from pmae import Bundle, Offer, Source
    from pmae.io.audience import filter_bundle

    bundle = Bundle(
        source=Source(slug="pmae-ra", name="PMAE RA"),
        generated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        offers=(Offer(id="pmae-ra:o1", actor="x:a", title="Pour les DLA",
                      visibility="restricted", recipients=("pmae-ra:dla-69",)),
                Offer(id="pmae-ra:o2", actor="x:a", title="Pour le réseau",
                      visibility="restricted", recipients=("pmae-ra",)),
                Offer(id="pmae-ra:o3", actor="x:a", title="Interne", visibility="restricted")),
    )
    def kept(audience: str) -> list[str]:
        return [o.id for o in filter_bundle(bundle, audience).offers]

    assert kept("recipient:pmae-ra:dla-69") == ["pmae-ra:o1", "pmae-ra:o2"]
    assert kept("recipient:pmae-ra:mda-lyon") == ["pmae-ra:o2"]
    assert kept("recipient:pmae-ra") == ["pmae-ra:o1", "pmae-ra:o2", "pmae-ra:o3"]


def test_a_public_export_of_a_merged_bundle_holds_no_contact_address() -> None:
    import datetime as dt

    from pmae import Actor, Bundle, Source, merge_bundles
    from pmae.io.audience import filter_bundle
    from pmae.io.bundles import dumps_bundle

    source = Source(slug="lma-ra", name="LMA", contact_email="jeanne.dupont@example.org")
    bundle = Bundle(source=source, generated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                    actors=(Actor(id="lma-ra:a1", name="DLA", actor_type="dla_departemental"),
                            Actor(id="lma-ra:a2", name="Interne", actor_type="autre",
                                  visibility="private")))
    merged = merge_bundles([bundle], files=["/home/jeanne/lma.json"],
                           source=Source(slug="fusion", name="Fusion",
                                         contact_email="contact@fusion.example.org")).bundle
    public = dumps_bundle(filter_bundle(merged, "public"))
    assert b"@" not in public
    assert b"/home/jeanne" not in public
    assert [p.records for p in filter_bundle(merged, "public").provenance] == [0]
    assert [p.records for p in filter_bundle(merged, "network").provenance] == [2]
