"""pmae-ical: the meetings of a PMAE bundle as an iCalendar file (RFC 5545).

Registers the exporter ``ical`` (``pmae export BUNDLE --to ical -o meetings.ics``). The file holds
one VCALENDAR with a VTIMEZONE for Europe/Paris, one VEVENT per meeting and one VEVENT per
workshop that has a start time, linked to its meeting by RELATED-TO.

What a calendar shows is meant to be pinned on a shared agenda, so it never carries personal data:
no speaker's, facilitator's or contact's name, e-mail address or phone number, whatever the
audience of the export. pmae's core has already removed what the audience may not see (records
and, for ``public``, persons); this exporter only ever writes organisations, places and times.

The output is deterministic: the same bundle gives the same bytes (DTSTAMP is the bundle's
``generated_at``, events are sorted), so a published ``.ics`` only changes when the data does.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Final
from zoneinfo import ZoneInfo

import icalendar
from icalendar.prop import vText
from pmae.model import Actor, Bundle, Meeting, Workshop
from pmae.plugins import ExportContext, Exporter, hookimpl
from pmae.territories import Territories, core_territories
from pmae.vocab import Vocabulary, core_vocabularies

__all__ = [
    "PRODID",
    "STATUSES",
    "TZID",
    "build_calendar",
    "export_ical",
    "meeting_uid",
    "pmae_register_exporters",
    "workshop_uid",
]

__version__: Final = "0.1.0"

#: Who wrote the file (RFC 5545 §3.7.3): a formal public identifier, stable across runs.
PRODID: Final = f"-//pmae//pmae-ical {__version__}//FR"

#: The démarche is French: every time is written as Paris wall-clock time with this TZID.
TZID: Final = "Europe/Paris"
_PARIS: Final = ZoneInfo(TZID)

#: Meeting status (vocabulary ``meeting_statuses``) -> iCalendar STATUS of a VEVENT.
STATUSES: Final[Mapping[str, str]] = {
    "tenue": "CONFIRMED",
    "prevue": "TENTATIVE",
    "annulee": "CANCELLED",
}

# Headings of the DESCRIPTION, in the two languages pmae exports in.
_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "fr": {
        "calendar": "Réunions PMAE — {source}",
        "themes": "Thèmes : {labels}",
        "outside_speaker": "Intervenant extérieur : {text}",
        "speaker": "Intervention : {text}",
        "workshops": "Ateliers :",
        "workshop_of": "Atelier de la réunion « {title} »",
        "led_by": "animé par {names}",
    },
    "en": {
        "calendar": "PMAE meetings — {source}",
        "themes": "Themes: {labels}",
        "outside_speaker": "Outside speaker: {text}",
        "speaker": "Talk: {text}",
        "workshops": "Workshops:",
        "workshop_of": "Workshop of the meeting “{title}”",
        "led_by": "led by {names}",
    },
}

# RFC 5545 §3.3.11: TEXT may hold any character but the controls (HTAB excepted); line breaks
# are escaped, the other controls have no escape and are dropped.
_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Text(vText):
    """A TEXT value escaped exactly as RFC 5545 §3.3.11 says.

    icalendar's own escaping first turns a literal backslash followed by ``N`` into a line break
    (``C:\\Nouveau`` becomes ``C:`` + newline + ``ouveau``), which loses data that a network may
    well type in a place or a title. Escaping the backslash first, and nothing else before it,
    keeps every value intact through a round trip.
    """

    def to_ical(self) -> bytes:
        """The escaped value, UTF-8 encoded (folding is done later, per content line)."""
        text = _CONTROLS.sub("", str(self))
        text = (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
                .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))
        return text.encode("utf-8")


def _words(context: ExportContext) -> Mapping[str, str]:
    return _WORDS.get(context.lang, _WORDS["fr"])


def _vocabulary(context: ExportContext, vocabulary_id: str) -> Vocabulary | None:
    """The vocabulary the core gave (with plugins' extensions), else pmae's own."""
    vocabulary = context.vocabularies.get(vocabulary_id)
    if vocabulary is None:
        vocabulary = core_vocabularies().get(vocabulary_id)
    return vocabulary


def _label(context: ExportContext, vocabulary_id: str, code: str) -> str:
    vocabulary = _vocabulary(context, vocabulary_id)
    if vocabulary is None:
        return code
    return vocabulary.label(code, "en" if context.lang == "en" else "fr")


def _commune_name(context: ExportContext, code: str | None) -> str | None:
    """The commune's name when a referential gives it; ``None`` otherwise.

    pmae names the communes of the COG; a code no referential names (a referential without a
    commune list) is left out, since an INSEE code means nothing to someone reading a calendar.
    """
    if code is None:
        return None
    territories = context.territories
    if not isinstance(territories, Territories):
        territories = core_territories()
    try:
        return territories.name(code)
    except ValueError:  # TerritoryError: a code no referential knows
        return None


def _paris(moment: dt.datetime) -> dt.datetime:
    """``moment`` as Paris wall-clock time; a naive datetime is taken as Paris time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_PARIS)
    return moment.astimezone(_PARIS)


def _utc(moment: dt.datetime) -> dt.datetime:
    """DTSTAMP must be UTC (RFC 5545 §3.8.7.2); a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _join(parts: Iterable[str | None], separator: str) -> str:
    return separator.join(part for part in parts if part)


def _location(context: ExportContext, place: str | None, commune: str | None) -> str | None:
    commune_name = _commune_name(context, commune)
    if place and commune_name and _simplified(commune_name) in _simplified(place):
        commune_name = None  # "Maison des associations, Lyon" already says where
    return _join((place, commune_name), ", ") or None


def _simplified(text: str) -> str:
    """Case- and accent-insensitive form, to see whether a place already names its commune."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _organisation(actors: Mapping[str, Actor], name: str | None,
                  actor_id: str | None) -> str | None:
    if name:
        return name
    actor = actors.get(actor_id) if actor_id else None
    return actor.name if actor else None


def _time_span(meeting: Meeting, workshop: Workshop) -> str | None:
    """``10:30–12:00``; the date too when the workshop is not on the meeting's first day."""
    if workshop.start is None:
        return None
    start = _paris(workshop.start)
    pattern = "%H:%M" if start.date() == _paris(meeting.start).date() else "%d/%m/%Y %H:%M"
    text = start.strftime(pattern)
    if workshop.end is not None:
        end = _paris(workshop.end)
        text += "–" + end.strftime("%H:%M" if end.date() == start.date() else "%d/%m/%Y %H:%M")
    return text


def _themes_line(context: ExportContext, themes: tuple[str, ...]) -> str | None:
    if not themes:
        return None
    labels = ", ".join(_label(context, "themes", code) for code in themes)
    return _words(context)["themes"].format(labels=labels)


def _facilitators(actors: Mapping[str, Actor], workshop: Workshop) -> str | None:
    # Facilitators are actor ids: only organisations are named, never people.
    names = [actors[i].name for i in workshop.facilitators if i in actors]
    return ", ".join(names) or None


def _meeting_description(context: ExportContext, meeting: Meeting,
                         actors: Mapping[str, Actor]) -> str:
    words = _words(context)
    lines = [_label(context, "meeting_kinds", meeting.kind)]
    themes = _themes_line(context, meeting.themes)
    if themes:
        lines.append(themes)
    # Outside experts first: they are what a Rencontre régionale is announced with.
    for speaker in sorted(meeting.speakers, key=lambda s: not s.outside):
        text = _join((_organisation(actors, speaker.organisation, speaker.actor), speaker.topic),
                     " — ")
        if text:
            lines.append(words["outside_speaker" if speaker.outside else "speaker"].format(
                text=text))
    if meeting.workshops:
        lines.append(words["workshops"])
        for workshop in meeting.workshops:
            details = _join((_time_span(meeting, workshop), workshop.room), ", ")
            line = f"- {workshop.title}" + (f" ({details})" if details else "")
            themes_labels = ", ".join(_label(context, "themes", c) for c in workshop.themes)
            facilitators = _facilitators(actors, workshop)
            extra = _join((themes_labels,
                           words["led_by"].format(names=facilitators) if facilitators else None),
                          " ; " if context.lang != "en" else "; ")
            lines.append(line + (f" — {extra}" if extra else ""))
    return "\n".join(lines)


def _workshop_description(context: ExportContext, meeting: Meeting, workshop: Workshop,
                          actors: Mapping[str, Actor]) -> str:
    words = _words(context)
    lines = [words["workshop_of"].format(title=meeting.title)]
    themes = _themes_line(context, workshop.themes)
    if themes:
        lines.append(themes)
    facilitators = _facilitators(actors, workshop)
    if facilitators:
        led_by = words["led_by"].format(names=facilitators)
        lines.append(led_by[:1].upper() + led_by[1:])
    return "\n".join(lines)


def meeting_uid(meeting: Meeting) -> str:
    """The UID of a meeting's VEVENT: stable, since pmae ids are unique across networks."""
    return f"{meeting.id}@pmae"


def workshop_uid(meeting: Meeting, number: int) -> str:
    """The UID of the ``number``-th workshop (from 1, counting every workshop of the meeting).

    Counting untimed workshops too keeps a workshop's UID when an earlier one gets its times.
    """
    return f"{meeting.id}#workshop-{number}@pmae"


def _event(*, uid: str, stamp: dt.datetime, start: dt.datetime, end: dt.datetime | None,
           summary: str, location: str | None, description: str, category: str,
           status: str | None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("DTSTAMP", stamp)
    event.add("DTSTART", _paris(start))
    if end is not None:
        event.add("DTEND", _paris(end))
    event.add("SUMMARY", _Text(summary))
    if location:
        event.add("LOCATION", _Text(location))
    event.add("DESCRIPTION", _Text(description))
    event.add("CATEGORIES", [category])
    if status:
        event.add("STATUS", status)
    return event


def _timezone(meetings: Iterable[Meeting], fallback: dt.datetime) -> icalendar.Timezone:
    """A VTIMEZONE for Europe/Paris that covers every meeting and workshop of the calendar.

    Bounded to the years in use (rather than icalendar's 1970–2038 default) so the file stays
    small; the bounds depend on the data only, so the output stays deterministic.
    """
    years = [_paris(fallback).year]
    for meeting in meetings:
        moments = [meeting.start, meeting.end]
        for workshop in meeting.workshops:
            moments += [m for m in (workshop.start, workshop.end) if m is not None]
        years += [_paris(moment).year for moment in moments]
    first, last = min(years), max(years) + 1
    timezone = icalendar.Timezone.from_tzinfo(_PARIS, TZID, first_date=dt.date(first, 1, 1),
                                              last_date=dt.date(last, 1, 1))
    for observance in timezone.walk():
        if isinstance(observance, icalendar.TimezoneStandard | icalendar.TimezoneDaylight):
            _fix_onsets(observance)
    return timezone


def _fix_onsets(observance: icalendar.TimezoneStandard | icalendar.TimezoneDaylight) -> None:
    """Write each onset as the wall-clock time *before* the change, as RFC 5545 §3.6.5 says.

    icalendar (up to 7.x at least) writes a DAYLIGHT onset as the first wall-clock time after
    the change (``03:00`` for the spring change in Paris, which happens at ``02:00`` in
    TZOFFSETFROM time): a client that reads the VTIMEZONE rather than its own zone database
    would switch an hour late. Each onset is recomputed from the real transition instant.
    """
    offset_from: dt.timedelta = observance.TZOFFSETFROM
    offset_to: dt.timedelta = observance.TZOFFSETTO
    if offset_from == offset_to:
        return  # the observance in force at the start of the range: not a transition

    def corrected(onset: dt.datetime) -> dt.datetime:
        for candidate in (onset - offset_from, onset - offset_to):
            instant = candidate.replace(tzinfo=dt.UTC)
            before = (instant - dt.timedelta(seconds=1)).astimezone(_PARIS).utcoffset()
            if before == offset_from and instant.astimezone(_PARIS).utcoffset() == offset_to:
                return candidate + offset_from
        return onset

    observance.DTSTART = corrected(observance.DTSTART)
    rdates = [corrected(start) for start, _ in observance.rdates]
    if rdates:
        observance.pop("RDATE")
        observance.add("RDATE", rdates)


def build_calendar(bundle: Bundle, context: ExportContext) -> icalendar.Calendar:
    """The iCalendar of ``bundle``'s meetings, as an :class:`icalendar.Calendar`.

    ``bundle`` is taken as given: pass one filtered for its audience (``pmae.exchange`` does).
    """
    words = _words(context)
    actors = {actor.id: actor for actor in bundle.actors}
    stamp = _utc(bundle.generated_at)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    name = words["calendar"].format(source=bundle.source.name)
    calendar.add("NAME", _Text(name))  # RFC 7986
    calendar.add("X-WR-CALNAME", _Text(name))  # what most clients still read
    # A calendar needs at least one component (RFC 5545 §3.4): the VTIMEZONE is always there,
    # so a bundle without meetings still gives a valid file.
    calendar.add_component(_timezone(bundle.meetings, bundle.generated_at))
    # Sorted so that the file does not depend on the order of the bundle (merged bundles).
    meetings = sorted(bundle.meetings, key=lambda m: (_utc(m.start), m.id))
    for meeting in meetings:
        status = STATUSES.get(meeting.status)
        uid = meeting_uid(meeting)
        location = _location(context, meeting.place, meeting.commune)
        calendar.add_component(_event(
            uid=uid, stamp=stamp, start=meeting.start, end=meeting.end, summary=meeting.title,
            location=location, description=_meeting_description(context, meeting, actors),
            category=_label(context, "meeting_kinds", meeting.kind), status=status))
        for number, workshop in enumerate(meeting.workshops, start=1):
            if workshop.start is None:
                # An event needs a start: the workshop stays in its meeting's description.
                context.warn("a workshop without a start time is not an event of its own",
                             record=meeting.id)
                continue
            event = _event(
                uid=workshop_uid(meeting, number), stamp=stamp, start=workshop.start,
                end=workshop.end, summary=workshop.title,
                location=_join((workshop.room, location), ", ") or None,
                description=_workshop_description(context, meeting, workshop, actors),
                category=_label(context, "meeting_kinds", "atelier"), status=status)
            event.add("RELATED-TO", uid)  # RELTYPE defaults to PARENT (RFC 5545 §3.2.15)
            calendar.add_component(event)
    return calendar


def export_ical(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """Write the meetings of ``bundle`` as iCalendar bytes (UTF-8, CRLF, folded at 75 octets)."""
    stream.write(build_calendar(bundle, context).to_ical())


@hookimpl
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``ical``: the meetings as an ``.ics`` file for calendar applications."""
    register(Exporter(
        name="ical", title="Agenda des réunions (iCalendar)", export=export_ical, suffix=".ics",
        options=(),  # it takes none: pmae refuses any --option before it runs
        description="Meetings and timed workshops as iCalendar (RFC 5545) events, in "
                    "Europe/Paris time, without any personal data."))
