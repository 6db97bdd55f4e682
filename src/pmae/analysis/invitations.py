"""Preparing a meeting: who to invite, and the year's calendar.

:func:`invitation_list` chooses actors by type and territory (territories by containment:
``dep:69`` takes the actors on ``com:69123``), says who already registered and who came to the
last meeting of the same kind, and carries contact data only when the audience may see it: the
core's audience filter (:func:`pmae.io.audience.filter_bundle`) runs first, so a ``public`` list
has no e-mail address, phone number or contact person.

:func:`meetings_of_year` keeps a year's meetings, for a calendar
(:func:`pmae.render.invitations.write_calendar`); the lists are written as text and CSV by
:mod:`pmae.render.invitations`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from pmae.i18n import gettext as _
from pmae.io.audience import filter_bundle
from pmae.model import Actor, Bundle, Meeting
from pmae.model.common import Person
from pmae.sessions import session as current_session
from pmae.territories import Territories, TerritoryError

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["Invitee", "invitation_list", "meetings_of_year"]


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
    referential: Territories | None = None, session: Session | None = None,
) -> tuple[Invitee, ...]:
    """The actors to invite to the meeting ``meeting_id``, sorted by name.

    :param actor_types: keep only actors of these types (all when empty).
    :param territories: keep only actors one of whose territories (or, if it lists none, its
        commune) lies within one of these: ``dep:69`` keeps actors on ``dep:69`` or
        ``com:69123``, not a région-wide one on ``reg:84``. All actors when empty.
    :param audience: who will read the list (``public``, ``network``, ``recipient:…``, ``all``):
        only the actors, and the contact data, that it may see.
    :param referential: the territories containment is computed on (default: the session's).
    :param session: default :func:`pmae.session`.
    :raises KeyError: no meeting of that id visible to the audience.
    :raises pmae.territories.TerritoryError: a filter territory that does not exist.
    :raises pmae.io.audience.UnknownAudienceError: an unknown audience.
    """
    visible = filter_bundle(bundle, audience)
    meeting = next((m for m in visible.meetings if m.id == meeting_id), None)
    if meeting is None:
        hidden = any(m.id == meeting_id for m in bundle.meetings)
        raise KeyError(_("the meeting {id!r} is not visible to the audience {audience!r}")
                       .format(id=meeting_id, audience=audience) if hidden
                       else _("no meeting {id!r} in the bundle").format(id=meeting_id))
    referential = referential or current_session(session).territories
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


# --- the year's calendar --------------------------------------------------------------------


def meetings_of_year(bundle: Bundle, year: int) -> Bundle:
    """``bundle`` with only the meetings that start in ``year`` (cancelled ones included, so a
    calendar shows them cancelled)."""
    return bundle.with_collections({"meetings": [m for m in bundle.meetings
                                                 if m.start.year == year]})
