"""Invitation lists (:func:`pmae.analysis.invitations.invitation_list`) as text and CSV, and a
year's meetings as an iCalendar file.

:func:`write_calendar` writes through the ``ical`` exporter of the pmae-ical plugin, when the
session has it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final, TextIO

from pmae.analysis.invitations import Invitee, meetings_of_year
from pmae.exchange import export_bundle
from pmae.i18n import gettext as _
from pmae.io.csv_writer import safe_writer
from pmae.model import Bundle
from pmae.render.labels import Labels, audience_label, format_date
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = [
    "CSV_COLUMNS",
    "ICAL_PLUGIN_HINT",
    "NoCalendarExporterError",
    "invitations_csv",
    "invitations_text",
    "write_calendar",
]

#: The columns of :func:`invitations_csv`, in order.
CSV_COLUMNS: Final = (
    "actor", "name", "actor_type", "territories", "email", "phone", "contact_name",
    "contact_role", "contact_email", "contact_phone", "registered", "attended_last",
)

#: The audience of a list, in words (as the report says it).
_AUDIENCES: Final[dict[str, dict[str, str]]] = {
    "fr": {"audience_public": "tout public", "audience_network": "membres des réseaux",
           "audience_all": "usage interne (tout)", "audience_recipient": "destinataire {who}"},
    "en": {"audience_public": "public", "audience_network": "network members",
           "audience_all": "internal use (everything)", "audience_recipient": "recipient {who}"},
}

#: How to get the ``ical`` exporter.
ICAL_PLUGIN_HINT: Final = "pip install ./plugins/pmae-ical"


def invitations_csv(invitees: Iterable[Invitee], stream: TextIO) -> None:
    """One row per actor for a mail merge (RFC 4180: ``,`` and CRLF).

    The ``contact_*`` columns hold the actor's first contact person; ``territories`` are
    separated by spaces; ``registered`` and ``attended_last`` are ``true``, ``false`` or empty
    (not known).
    """
    writer = safe_writer(stream)
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


def invitations_text(title: str, start: dt.datetime, invitees: Sequence[Invitee], audience: str,
                     lang: str, *, session: Session | None = None) -> str:
    """The list for a terminal: the meeting, then each actor with its contact data, whether
    it registered and whether it came to the previous meeting of the kind. Actor types,
    territories and the audience are said in words (labels of the session's vocabularies and
    territories), the date as ``lang`` writes it."""
    fr = lang == "fr"
    s = current_session(session)
    labels = Labels(lang, s.vocabularies, s.territories)
    yes, no, unknown = ("oui", "non", "?") if fr else ("yes", "no", "?")
    who = audience_label(audience, _AUDIENCES[lang])
    lines = [f"{title} — {format_date(start.date(), lang)}",
             (f"Acteurs à inviter : {len(invitees)} ({who})" if fr
              else f"Actors to invite: {len(invitees)} ({who})")]
    for i in invitees:
        reach = ", ".join(x for x in (i.email, i.phone) if x)
        people = "; ".join(", ".join(x for x in (p.name, p.role, p.email, p.phone) if x)
                           for p in i.contacts)
        last = unknown if i.attended_last is None else yes if i.attended_last else no
        places = ", ".join(labels.territory(t) for t in i.territories)
        lines.append(f"- {i.name} ({i.actor}) · {labels.code('actor_types', i.actor_type)} · "
                     f"{places}")
        if reach or people:
            lines.append(f"    {' ; '.join(x for x in (reach, people) if x)}")
        lines.append(f"    {'inscrit' if fr else 'registered'} : "
                     f"{yes if i.registered else no} · "
                     f"{'présent à la précédente' if fr else 'came to the previous one'} : {last}")
    return "\n".join(lines) + "\n"


class NoCalendarExporterError(LookupError):
    """No ``ical`` exporter is registered: the pmae-ical plugin is not installed."""


def write_calendar(
    bundle: Bundle, year: int, output: str | os.PathLike[str], *, audience: str = "public",
    lang: str | None = None, session: Session | None = None,
) -> Bundle:
    """Write the meetings of ``year`` as an ``.ics`` file with the ``ical`` exporter, atomically.

    :param lang: ``fr`` or ``en`` (default: the session's language).
    :param session: whose plugins export (default: :func:`pmae.session`).
    :returns: the bundle the exporter was given (filtered for ``audience``).
    :raises NoCalendarExporterError: when no plugin registers an ``ical`` exporter.
    """
    s = current_session(session)
    try:
        s.exporter("ical")
    except KeyError:
        raise NoCalendarExporterError(
            _("no iCalendar exporter is installed: install the pmae-ical plugin "
              "({command}, from a pmae source checkout)").format(
                  command=ICAL_PLUGIN_HINT)) from None
    return export_bundle(meetings_of_year(bundle, year), "ical", output, audience=audience,
                         session=s, lang=lang)
