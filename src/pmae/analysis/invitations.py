"""Preparing a meeting: who to invite, and the year's calendar.

:func:`invitation_list` chooses actors by type and territory (territories by containment:
``dep:69`` takes the actors on ``com:69123``), says who already registered and who came to the
last meeting of the same kind, and carries contact data only when the audience may see it: the
core's audience filter (:func:`pmae.io.audience.filter_bundle`) runs first, so a ``public`` list
has no e-mail address, phone number or contact person.

:func:`write_calendar` writes a year's meetings as iCalendar through the ``ical`` exporter of the
pmae-ical plugin, when it is installed.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from typing import Final, TextIO

import attrs

from pmae.exchange import export_bundle
from pmae.io.audience import filter_bundle
from pmae.model import Actor, Bundle, Meeting
from pmae.model.common import Person
from pmae.plugins.manager import PluginManager, get_plugin_manager
from pmae.territories import Territories, TerritoryError, core_territories

__all__ = [
    "CSV_COLUMNS",
    "ICAL_PLUGIN_HINT",
    "Invitee",
    "NoCalendarExporterError",
    "invitation_list",
    "meetings_of_year",
    "write_calendar",
    "write_csv",
]

#: The columns of :func:`write_csv`, in order.
CSV_COLUMNS: Final = (
    "actor", "name", "actor_type", "territories", "email", "phone", "contact_name",
    "contact_role", "contact_email", "contact_phone", "registered", "attended_last",
)

#: How to get the ``ical`` exporter.
ICAL_PLUGIN_HINT: Final = "pip install ./plugins/pmae-ical"


@attrs.define(kw_only=True, frozen=True)
class Invitee:
    """An actor to invite to a meeting.

    ``email``, ``phone`` and ``contacts`` are empty when the audience may not see them.
    ``attended_last`` is whether the actor came to the last meeting of the same kind held before
    this one: ``None`` when there is no such meeting or its attendance is not known for the
    actor, ``False`` when it was not registered or did not come.
    """

    actor: str
    name: str
    actor_type: str
    territories: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    contacts: tuple[Person, ...] = ()
    registered: bool = False
    attended_last: bool | None = None


def invitation_list(
    bundle: Bundle, meeting_id: str, *, actor_types: Iterable[str] = (),
    territories: Iterable[str] = (), audience: str = "network",
    referential: Territories | None = None,
) -> tuple[Invitee, ...]:
    """The actors to invite to the meeting ``meeting_id``, sorted by name.

    :param actor_types: keep only actors of these types (all when empty).
    :param territories: keep only actors one of whose territories (or, if it lists none, its
        commune) lies within one of these: ``dep:69`` keeps actors on ``dep:69`` or
        ``com:69123``, not a région-wide one on ``reg:84``. All actors when empty.
    :param audience: who will read the list (``public``, ``network``, ``recipient:…``, ``all``):
        only the actors, and the contact data, that it may see.
    :param referential: the territories containment is computed on (pmae's by default).
    :raises KeyError: no meeting of that id visible to the audience.
    :raises pmae.territories.TerritoryError: a filter territory that does not exist.
    :raises pmae.io.audience.UnknownAudienceError: an unknown audience.
    """
    visible = filter_bundle(bundle, audience)
    meeting = next((m for m in visible.meetings if m.id == meeting_id), None)
    if meeting is None:
        hidden = any(m.id == meeting_id for m in bundle.meetings)
        raise KeyError(f"the meeting {meeting_id!r} is not visible to the audience {audience!r}"
                       if hidden else f"no meeting {meeting_id!r} in the bundle")
    referential = referential or core_territories()
    wanted_types = set(actor_types)
    wanted_places = tuple(territories)
    for code in wanted_places:
        referential.parse(code)  # a filter that does not exist is the caller's mistake
    registered = {r.actor for r in meeting.registrations}
    last = _last_meeting(visible.meetings, meeting)
    came = {r.actor: r.attended for r in last.registrations} if last else {}
    invitees = [
        Invitee(actor=actor.id, name=actor.name, actor_type=actor.actor_type,
                territories=actor.territories, email=actor.email, phone=actor.phone,
                contacts=actor.contacts, registered=actor.id in registered,
                attended_last=None if last is None else came.get(actor.id, False))
        for actor in visible.actors
        if (not wanted_types or actor.actor_type in wanted_types)
        and (not wanted_places or _within(actor, wanted_places, referential))
    ]
    invitees.sort(key=lambda i: (i.name.casefold(), i.actor))
    return tuple(invitees)


def _within(actor: Actor, places: Sequence[str], referential: Territories) -> bool:
    codes = actor.territories or ((actor.commune,) if actor.commune else ())
    for code in codes:
        for place in places:
            try:
                if referential.contains(place, code):
                    return True
            except TerritoryError:  # a code no referential knows is in no filter territory
                continue
    return False


def _last_meeting(meetings: Iterable[Meeting], meeting: Meeting) -> Meeting | None:
    before = [m for m in meetings if m.kind == meeting.kind and m.status == "tenue"
              and m.id != meeting.id and m.start < meeting.start]
    return max(before, key=lambda m: (m.start, m.id), default=None)


def write_csv(invitees: Iterable[Invitee], stream: TextIO) -> None:
    """One row per actor for a mail merge (RFC 4180: ``,`` and CRLF).

    The ``contact_*`` columns hold the actor's first contact person; ``territories`` are
    separated by spaces; ``registered`` and ``attended_last`` are ``true``, ``false`` or empty
    (not known).
    """
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for invitee in invitees:
        first = invitee.contacts[0] if invitee.contacts else None
        writer.writerow([
            invitee.actor, invitee.name, invitee.actor_type, " ".join(invitee.territories),
            invitee.email or "", invitee.phone or "",
            first.name if first else "", (first.role or "") if first else "",
            (first.email or "") if first else "", (first.phone or "") if first else "",
            _flag(invitee.registered), _flag(invitee.attended_last),
        ])


def _flag(value: bool | None) -> str:
    return "" if value is None else "true" if value else "false"


# --- the year's calendar --------------------------------------------------------------------


class NoCalendarExporterError(LookupError):
    """No ``ical`` exporter is registered: the pmae-ical plugin is not installed."""


def meetings_of_year(bundle: Bundle, year: int) -> Bundle:
    """``bundle`` with only the meetings that start in ``year`` (cancelled ones included, so a
    calendar shows them cancelled)."""
    return bundle.with_collections({"meetings": [m for m in bundle.meetings
                                                 if m.start.year == year]})


def write_calendar(
    bundle: Bundle, year: int, output: str | os.PathLike[str], *, audience: str = "public",
    lang: str = "fr", manager: PluginManager | None = None,
) -> Bundle:
    """Write the meetings of ``year`` as an ``.ics`` file with the ``ical`` exporter, atomically.

    :returns: the bundle the exporter was given (filtered for ``audience``).
    :raises NoCalendarExporterError: when no plugin registers an ``ical`` exporter.
    """
    manager = manager or get_plugin_manager()
    try:
        manager.exporter("ical")
    except KeyError:
        raise NoCalendarExporterError(
            "no iCalendar exporter is installed: install the pmae-ical plugin "
            f"({ICAL_PLUGIN_HINT}, from a pmae source checkout)") from None
    return export_bundle(meetings_of_year(bundle, year), "ical", output, audience=audience,
                         manager=manager, lang=lang)

