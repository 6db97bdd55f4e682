"""pmae-ical, tested for real: files parsed back with icalendar, raw bytes checked where the
format is at stake, and the whole path run through pmae's plugin manager, core and CLI.

Needs the distribution installed (``pip install -e plugins/pmae-ical[test]``): the entry point is
what makes pmae find the plugin.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import icalendar
import pmae
import pytest
from click.testing import CliRunner
from pmae.cli import cli
from pmae.exchange import export_bundle
from pmae.plugins import ExportContext, TerritoryReferential, hookimpl, make_plugin_manager
from pmae.plugins.manager import get_plugin_manager
from pmae.territories import read_territories

import pmae_ical

PARIS = ZoneInfo("Europe/Paris")
WINTER = dt.timezone(dt.timedelta(hours=1))
SUMMER = dt.timezone(dt.timedelta(hours=2))
GENERATED = dt.datetime(2025, 2, 1, 8, 30, tzinfo=dt.UTC)
SOURCE = pmae.Source(slug="lma-ra", name="Le Mouvement associatif Rhône-Alpes",
                     contact_email="contact@lma-ra.example")
SPEAKER = pmae.Person(name="Claire Martin", role="chargée de mission",
                      email="claire.martin@fa.example", phone="+33 4 72 00 00 00")


def rencontre(**changes: object) -> pmae.Meeting:
    """A Rencontre régionale in winter, with an outside speaker and three workshops."""
    fields: dict[str, object] = dict(
        id="lma-ra:rr-2025-03", kind="rencontre_regionale",
        title="Rencontre régionale : le modèle économique",
        start=dt.datetime(2025, 3, 14, 9, tzinfo=WINTER),
        end=dt.datetime(2025, 3, 14, 17, tzinfo=WINTER),
        place="Maison des associations", commune="com:69123",
        themes=("modele_economique", "aides_emploi"), organisers=("lma-ra:lma",),
        speakers=(
            pmae.Speaker(person=SPEAKER, organisation="France Active", outside=True,
                         topic="Hybrider ses ressources"),
            pmae.Speaker(actor="lma-ra:lma", topic="Ouverture"),
        ),
        workshops=(
            pmae.Workshop(title="Recruter son premier salarié", themes=("recrutement",),
                          facilitators=("lma-ra:lma",),
                          start=dt.datetime(2025, 3, 14, 14, tzinfo=WINTER),
                          end=dt.datetime(2025, 3, 14, 15, 30, tzinfo=WINTER), room="Salle B"),
            pmae.Workshop(title="Échanges libres"),
            pmae.Workshop(title="Financer un poste",
                          start=dt.datetime(2025, 3, 14, 15, 45, tzinfo=WINTER)),
        ),
    )
    fields.update(changes)
    return pmae.Meeting(**fields)  # type: ignore[arg-type]


def cofil(**changes: object) -> pmae.Meeting:
    """A planned COFIL half-day in summer (+02:00)."""
    fields: dict[str, object] = dict(
        id="lma-ra:cofil-2025-06", kind="cofil", title="COFIL de juin", status="prevue",
        start=dt.datetime(2025, 6, 20, 9, tzinfo=SUMMER),
        end=dt.datetime(2025, 6, 20, 12, 30, tzinfo=SUMMER), place="CRESS AURA, Lyon",
        commune="com:69123",
    )
    fields.update(changes)
    return pmae.Meeting(**fields)  # type: ignore[arg-type]


def make_bundle(*meetings: pmae.Meeting) -> pmae.Bundle:
    actor = pmae.Actor(id="lma-ra:lma", name="Le Mouvement associatif AURA",
                       actor_type="coordination_associative", email="info@lma.example")
    return pmae.Bundle(source=SOURCE, generated_at=GENERATED, actors=(actor,),
                       meetings=meetings or (rencontre(), cofil()))


class LyonPlugin:
    """An in-test plugin naming one commune, so LOCATION can show a commune name."""

    @staticmethod
    @hookimpl
    def pmae_register_territories(register):  # type: ignore[no-untyped-def]
        register(TerritoryReferential(name="communes-test", title="Communes (test)",
                                      level="com", entries=(("com:69123", "Lyon", ()),)))


def manager(*plugins: object):  # type: ignore[no-untyped-def]
    # Only this distribution among the installed ones: other plugins in the environment (one is
    # broken on purpose) must not change what these tests see.
    return make_plugin_manager(load=["pmae-ical"], strict=True, plugins=plugins)


def context(lang: str = "fr", **changes: object) -> ExportContext:
    plugins = manager(LyonPlugin())
    fields: dict[str, object] = dict(audience="public", vocabularies=plugins.vocabularies(),
                                     territories=plugins.territories(), lang=lang)
    fields.update(changes)
    return ExportContext(**fields)  # type: ignore[arg-type]


def export(bundle: pmae.Bundle, ctx: ExportContext | None = None) -> bytes:
    stream = io.BytesIO()
    pmae_ical.export_ical(bundle, stream, ctx or context())
    return stream.getvalue()


def parse(raw: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(raw)
    assert isinstance(calendar, icalendar.Calendar)
    return calendar


def events(raw: bytes) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in parse(raw).walk("VEVENT")}


def unfolded_lines(raw: bytes) -> list[str]:
    return raw.decode("utf-8").replace("\r\n ", "").split("\r\n")


# -- the calendar --------------------------------------------------------------------------------


def test_calendar_header_and_timezone() -> None:
    calendar = parse(export(make_bundle()))
    assert calendar.name == "VCALENDAR"
    assert str(calendar["PRODID"]) == "-//pmae//pmae-ical 0.1.0//FR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Réunions PMAE — Le Mouvement associatif Rhône-Alpes"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert calendar.get_missing_tzids() == set()


def test_events_and_uids() -> None:
    raw = export(make_bundle(cofil(), rencontre()))
    # Meetings sorted by start, each followed by its timed workshops; untimed ones have no event
    # but count in the numbering.
    assert [str(e["UID"]) for e in parse(raw).walk("VEVENT")] == [
        "lma-ra:rr-2025-03@pmae",
        "lma-ra:rr-2025-03#workshop-1@pmae",
        "lma-ra:rr-2025-03#workshop-3@pmae",
        "lma-ra:cofil-2025-06@pmae",
    ]


def test_meeting_event_fields() -> None:
    found = events(export(make_bundle()))
    meeting = found["lma-ra:rr-2025-03@pmae"]
    assert str(meeting["SUMMARY"]) == "Rencontre régionale : le modèle économique"
    assert str(meeting["LOCATION"]) == "Maison des associations, Lyon"
    assert str(meeting["DESCRIPTION"]) == "\n".join([
        "Rencontre régionale",
        "Thèmes : Modèle économique, Aides à l'emploi",
        "Intervenant extérieur : France Active — Hybrider ses ressources",
        "Intervention : Le Mouvement associatif AURA — Ouverture",
        "Ateliers :",
        "- Recruter son premier salarié (14:00–15:30, Salle B) — Recrutement ; "
        "animé par Le Mouvement associatif AURA",
        "- Échanges libres",
        "- Financer un poste (15:45)",
    ])
    assert meeting["CATEGORIES"].cats == ["Rencontre régionale"]
    assert str(meeting["STATUS"]) == "CONFIRMED"
    assert meeting["DTSTAMP"].dt == GENERATED
    planned = found["lma-ra:cofil-2025-06@pmae"]
    # The place already names the commune: it is not repeated.
    assert str(planned["LOCATION"]) == "CRESS AURA, Lyon"
    assert str(planned["DESCRIPTION"]) == "Comité de pilotage (COFIL)"
    assert planned["CATEGORIES"].cats == ["Comité de pilotage (COFIL)"]
    assert str(planned["STATUS"]) == "TENTATIVE"


def test_status_mapping() -> None:
    bundle = make_bundle(rencontre(status="tenue", workshops=()),
                         cofil(status="prevue"),
                         cofil(id="lma-ra:cofil-2025-10", status="annulee",
                               start=dt.datetime(2025, 10, 3, 9, tzinfo=SUMMER),
                               end=dt.datetime(2025, 10, 3, 12, tzinfo=SUMMER)))
    assert {uid: str(e["STATUS"]) for uid, e in events(export(bundle)).items()} == {
        "lma-ra:rr-2025-03@pmae": "CONFIRMED",
        "lma-ra:cofil-2025-06@pmae": "TENTATIVE",
        "lma-ra:cofil-2025-10@pmae": "CANCELLED",
    }


def test_commune_left_out_when_no_referential_names_it() -> None:
    plain = manager()  # pmae names the communes of the COG
    ctx = ExportContext(audience="public", vocabularies=plain.vocabularies(),
                        territories=plain.territories())
    found = events(export(make_bundle(rencontre(place=None)), ctx))
    assert str(found["lma-ra:rr-2025-03@pmae"]["LOCATION"]) == "Lyon"
    # A referential without a commune list names none: the code alone is left out.
    bare = read_territories(files("pmae").joinpath("data", "geo.json"))
    found = events(export(make_bundle(rencontre(place=None)), attrs.evolve(ctx, territories=bare)))
    assert "LOCATION" not in found["lma-ra:rr-2025-03@pmae"]
    assert str(found["lma-ra:rr-2025-03#workshop-1@pmae"]["LOCATION"]) == "Salle B"


def test_english_labels() -> None:
    found = events(export(make_bundle(rencontre(speakers=(), workshops=())), context(lang="en")))
    meeting = found["lma-ra:rr-2025-03@pmae"]
    assert str(meeting["DESCRIPTION"]) == (
        "Regional meeting\nThemes: Business model, Employment subsidies")
    assert meeting["CATEGORIES"].cats == ["Regional meeting"]


# -- times ------------------------------------------------------------------------------------


def test_winter_and_summer_times_are_paris_wall_clock() -> None:
    raw = export(make_bundle())
    found = events(raw)
    winter, summer = found["lma-ra:rr-2025-03@pmae"], found["lma-ra:cofil-2025-06@pmae"]
    assert winter["DTSTART"].dt == dt.datetime(2025, 3, 14, 9, tzinfo=PARIS)
    assert winter["DTSTART"].dt.tzinfo.key == "Europe/Paris"
    assert winter["DTSTART"].dt.utcoffset() == dt.timedelta(hours=1)
    assert winter["DTEND"].dt == dt.datetime(2025, 3, 14, 17, tzinfo=PARIS)
    assert summer["DTSTART"].dt == dt.datetime(2025, 6, 20, 9, tzinfo=PARIS)
    assert summer["DTSTART"].dt.utcoffset() == dt.timedelta(hours=2)
    assert summer["DTEND"].dt == dt.datetime(2025, 6, 20, 12, 30, tzinfo=PARIS)
    lines = unfolded_lines(raw)
    assert "DTSTART;TZID=Europe/Paris:20250314T090000" in lines
    assert "DTSTART;TZID=Europe/Paris:20250620T090000" in lines
    assert "DTEND;TZID=Europe/Paris:20250620T123000" in lines
    assert lines.count("DTSTAMP:20250201T083000Z") == 4


def test_times_given_in_utc_are_converted() -> None:
    meeting = cofil(start=dt.datetime(2025, 6, 20, 7, tzinfo=dt.UTC),
                    end=dt.datetime(2025, 6, 20, 10, 30, tzinfo=dt.UTC))
    lines = unfolded_lines(export(make_bundle(meeting)))
    assert "DTSTART;TZID=Europe/Paris:20250620T090000" in lines
    assert "DTEND;TZID=Europe/Paris:20250620T123000" in lines


def test_vtimezone_onsets_are_the_real_transitions() -> None:
    """RFC 5545 §3.6.5: an onset is local time in TZOFFSETFROM; check it against zoneinfo."""
    (timezone,) = parse(export(make_bundle())).walk("VTIMEZONE")
    transitions = []
    for observance in timezone.walk():
        if observance.name not in ("STANDARD", "DAYLIGHT"):
            continue
        offset_from, offset_to = observance.TZOFFSETFROM, observance.TZOFFSETTO
        onsets = [observance.DTSTART] + [start for start, _ in observance.rdates]
        for onset in onsets:
            if offset_from == offset_to:
                continue
            instant = (onset - offset_from).replace(tzinfo=dt.UTC)
            assert (instant - dt.timedelta(seconds=1)).astimezone(PARIS).utcoffset() == offset_from
            assert instant.astimezone(PARIS).utcoffset() == offset_to
            transitions.append((observance.name, onset))
    assert transitions == [("DAYLIGHT", dt.datetime(2025, 3, 30, 2)),
                           ("STANDARD", dt.datetime(2025, 10, 26, 3))]


# -- text -------------------------------------------------------------------------------------


TRICKY_TITLE = "Emploi; gouvernance, paie \\ RH"
TRICKY_PLACE = "Salle 1, bâtiment C:\\Nouveau; 2e étage"
TRICKY_TOPIC = "Ligne 1\nLigne 2; a, b \\ c"


def test_escaping_in_raw_bytes() -> None:
    meeting = rencontre(title=TRICKY_TITLE, place=TRICKY_PLACE, commune=None,
                        speakers=(pmae.Speaker(organisation="France Active", outside=True,
                                               topic=TRICKY_TOPIC),),
                        workshops=(), themes=())
    lines = unfolded_lines(export(make_bundle(meeting)))
    assert "SUMMARY:Emploi\\; gouvernance\\, paie \\\\ RH" in lines
    assert "LOCATION:Salle 1\\, bâtiment C:\\\\Nouveau\\; 2e étage" in lines
    assert ("DESCRIPTION:Rencontre régionale\\nIntervenant extérieur : France Active — "
            "Ligne 1\\nLigne 2\\; a\\, b \\\\ c") in lines


def test_escaping_round_trips_through_the_parser() -> None:
    meeting = rencontre(title=TRICKY_TITLE, place=TRICKY_PLACE, commune=None,
                        speakers=(pmae.Speaker(organisation="France Active", outside=True,
                                               topic=TRICKY_TOPIC),),
                        workshops=(), themes=())
    event = events(export(make_bundle(meeting)))["lma-ra:rr-2025-03@pmae"]
    assert str(event["SUMMARY"]) == TRICKY_TITLE
    assert str(event["LOCATION"]) == TRICKY_PLACE
    assert str(event["DESCRIPTION"]) == (
        "Rencontre régionale\nIntervenant extérieur : France Active — " + TRICKY_TOPIC)


def test_carriage_returns_and_controls() -> None:
    event = events(export(make_bundle(cofil(title="A\r\nB\rC\x07D\tE"))))
    assert str(event["lma-ra:cofil-2025-06@pmae"]["SUMMARY"]) == "A\nB\nCD\tE"


def test_lines_are_folded_at_75_octets_without_splitting_characters() -> None:
    long_topic = "Économie sociale et solidaire — “emploi” € 🤝 " * 12
    meeting = rencontre(speakers=(pmae.Speaker(organisation="Réseau ÉSS", outside=True,
                                               topic=long_topic),))
    raw = export(make_bundle(meeting))
    physical = raw.split(b"\r\n")
    assert physical[-1] == b""
    assert max(len(line) for line in physical) <= 75
    for line in physical:
        line.decode("utf-8")  # raises if a fold cut a multi-byte character
    description = next(line for line in physical if line.startswith(b"DESCRIPTION:Renc"))
    assert len(description) > 60  # the long value did need folding…
    assert physical[physical.index(description) + 1].startswith(b" ")  # …and was folded
    event = events(raw)["lma-ra:rr-2025-03@pmae"]
    assert f"Intervenant extérieur : Réseau ÉSS — {long_topic}" in str(event["DESCRIPTION"])


def test_lines_end_with_crlf() -> None:
    raw = export(make_bundle())
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert raw.count(b"\r") == raw.count(b"\r\n")


def test_deterministic() -> None:
    first = export(make_bundle(rencontre(), cofil()))
    assert export(make_bundle(rencontre(), cofil())) == first
    # The order of the bundle does not matter either (merged bundles).
    assert export(make_bundle(cofil(), rencontre())) == first


# -- workshops --------------------------------------------------------------------------------


def test_workshop_events() -> None:
    found = events(export(make_bundle()))
    first = found["lma-ra:rr-2025-03#workshop-1@pmae"]
    assert str(first["SUMMARY"]) == "Recruter son premier salarié"
    assert str(first["RELATED-TO"]) == "lma-ra:rr-2025-03@pmae"
    assert first["DTSTART"].dt == dt.datetime(2025, 3, 14, 14, tzinfo=PARIS)
    assert first["DTEND"].dt == dt.datetime(2025, 3, 14, 15, 30, tzinfo=PARIS)
    assert str(first["LOCATION"]) == "Salle B, Maison des associations, Lyon"
    assert str(first["DESCRIPTION"]) == (
        "Atelier de la réunion « Rencontre régionale : le modèle économique »\n"
        "Thèmes : Recrutement\nAnimé par Le Mouvement associatif AURA")
    assert first["CATEGORIES"].cats == ["Atelier"]
    assert str(first["STATUS"]) == "CONFIRMED"
    third = found["lma-ra:rr-2025-03#workshop-3@pmae"]
    assert third["DTSTART"].dt == dt.datetime(2025, 3, 14, 15, 45, tzinfo=PARIS)
    assert "DTEND" not in third
    assert str(third["RELATED-TO"]) == "lma-ra:rr-2025-03@pmae"
    assert "lma-ra:rr-2025-03#workshop-2@pmae" not in found


def test_a_workshop_without_a_start_is_warned_about() -> None:
    # It has no event of its own (it stays in its meeting's description): pmae's warning
    # channel says so, naming the meeting.
    ctx = context()
    pmae_ical.build_calendar(make_bundle(), ctx)
    assert ctx.notes.entries == [
        ("a workshop without a start time is not an event of its own", "lma-ra:rr-2025-03")]


def test_bundle_without_meetings_is_a_valid_calendar() -> None:
    calendar = parse(export(pmae.Bundle(source=SOURCE, generated_at=GENERATED)))
    assert calendar.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


# -- through pmae's core ----------------------------------------------------------------------


def test_entry_point_registers_the_exporter() -> None:
    plugins = manager()
    exporter = plugins.exporter("ical")
    assert (exporter.name, exporter.target, exporter.suffix) == ("ical", "file", ".ics")
    assert exporter.export is pmae_ical.export_ical
    info = plugins.infos["pmae-ical"]
    assert (info.distribution, info.version, info.status, info.builtin) == (
        "pmae-ical", "0.1.0", "loaded", False)
    assert info.items == (("exporter", "ical"),)


@pytest.mark.parametrize("audience", ["public", "network", "all"])
def test_export_bundle_never_writes_persons(tmp_path: Path, audience: str) -> None:
    hidden = cofil(id="lma-ra:cofil-interne", title="COFIL interne", visibility="network",
                   start=dt.datetime(2025, 9, 12, 9, tzinfo=SUMMER),
                   end=dt.datetime(2025, 9, 12, 12, tzinfo=SUMMER))
    target = tmp_path / "meetings.ics"
    export_bundle(make_bundle(rencontre(), cofil(), hidden), "ical", target, audience=audience,
                  manager=manager(LyonPlugin()))
    raw = target.read_bytes()
    for personal in (b"Claire", b"Martin", b"claire.martin", b"fa.example", b"72 00 00",
                     b"info@lma", b"contact@lma-ra", b"mailto"):
        assert personal not in raw
    uids = set(events(raw))
    assert ("lma-ra:cofil-interne@pmae" in uids) == (audience != "public")
    assert str(events(raw)["lma-ra:rr-2025-03@pmae"]["LOCATION"]) == (
        "Maison des associations, Lyon")


@pytest.fixture
def only_this_plugin(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The CLI uses the process-wide manager: build it afresh, with this plugin only."""
    monkeypatch.setenv("PMAE_LOAD_PLUGINS", "pmae-ical")
    monkeypatch.delenv("PMAE_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("PMAE_STRICT_PLUGINS", raising=False)
    get_plugin_manager.cache_clear()
    yield
    get_plugin_manager.cache_clear()


def test_cli_plugins_lists_pmae_ical(only_this_plugin: None) -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listed["pmae-ical"] == {
        "name": "pmae-ical", "distribution": "pmae-ical", "version": "0.1.0",
        "builtin": False, "status": "loaded", "reason": None,
        "hooks": ["pmae_register_exporters"],
        "items": [{"kind": "exporter", "name": "ical", "options": []}],  # it takes none
    }


def test_cli_export(tmp_path: Path, only_this_plugin: None,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # pmae speaks French by default; this test, English
    bundle_file = tmp_path / "bundle.json"
    pmae.write_bundle(make_bundle(), bundle_file)
    output = tmp_path / "meetings.ics"
    result = CliRunner().invoke(cli, ["export", str(bundle_file), "--to", "ical",
                                      "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {output} ")  # the rest is the core's wording
    # Same bytes as the library call: the JSON round trip loses nothing the calendar shows.
    plugins = manager()
    ctx = ExportContext(audience="public", vocabularies=plugins.vocabularies(),
                        territories=plugins.territories(), lang="en")  # the run's language
    assert output.read_bytes() == export(pmae.load_bundle(bundle_file), ctx)
    assert set(events(output.read_bytes())) == {
        "lma-ra:rr-2025-03@pmae", "lma-ra:rr-2025-03#workshop-1@pmae",
        "lma-ra:rr-2025-03#workshop-3@pmae", "lma-ra:cofil-2025-06@pmae"}
