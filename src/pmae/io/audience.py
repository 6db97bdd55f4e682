"""Who may see what: the audience filter pmae's core applies before any exporter runs.

Audiences:

- ``public``: records whose visibility is ``public``, with personal data removed (contact
  persons, speakers' names, e-mail addresses and phone numbers);
- ``network``: ``public`` and ``network`` records, personal data kept, the files of a merged
  bundle's provenance reduced to their names (no folders of the publisher's machine);
- ``recipient:<network>``: what ``network`` sees, plus the ``restricted`` records whose
  ``recipients`` name that network, and those it published itself (the source in their id): a
  restricted record with no recipients is its publisher's alone;
- ``recipient:<actor id>``: what ``network`` sees, plus the ``restricted`` records whose
  ``recipients`` name that actor or its network (the source in its id);
- ``all``: everything, ``private`` records included (backups between a network's own tools).

The filtered bundle records its audience (``Bundle.audience``, the narrower one when filtered
twice; ``all``, which hides nothing, leaves it as it was), so an import of it over a fuller
bundle knows what it could not hold and keeps it (:func:`pmae.io.upsert.upsert`).

A record that needs a record the audience may not see (an offer of a hidden actor, a referral to
a hidden need) is left out; an optional reference to a hidden record is cleared. A reference to
another network's record, which is not in the bundle at all, is kept as it is. So the filtered
bundle holds nothing the audience may not see, and validates as well as the bundle did.
"""

from __future__ import annotations

import re
from typing import Any, Final

import attrs

from pmae.i18n import gettext as _
from pmae.model import COLLECTIONS, FORMAT_VERSION, Actor, Bundle, Meeting, Record

AUDIENCES: Final = ("public", "network", "all")
_RECIPIENT = re.compile(r"^recipient:([a-z0-9][a-z0-9-]*(?::[A-Za-z0-9][A-Za-z0-9._~-]*)?)$")

#: Required single references: the record is dropped when its target is hidden.
_REQUIRED: Final = {
    "offers": ("actor",),
    "diagnoses": ("association",),
    "referrals": ("need", "offer", "by"),
}
#: Optional references: cleared (None, or removed from the tuple) when the target is hidden.
_OPTIONAL: Final = {
    "actors": ("networks",),
    "diagnoses": ("needs", "advisor"),
    "needs": ("association", "diagnosis"),
    "meetings": ("organisers", "productions"),
    "productions": ("authors", "resources", "meeting"),
    "programmes": ("meetings", "productions"),
    "responses": ("actors", "meeting", "programme", "offers", "productions"),
    "practices": ("actors", "meeting", "resources"),
}


class UnknownAudienceError(ValueError):
    """The audience is not one of ``public``, ``network``, ``recipient:<who>``, ``all``."""


def check_audience(audience: str) -> str:
    """Return ``audience`` if it is valid, else raise :class:`UnknownAudienceError`."""
    if audience in AUDIENCES or _RECIPIENT.match(audience):
        return audience
    raise UnknownAudienceError(
        _("unknown audience {audience!r}: use public, network, "
          "recipient:<network-or-actor-id> or all").format(audience=audience))


def _visible(record: Record, audience: str, recipient: str | None) -> bool:
    visibility = record.visibility
    if audience == "all" or visibility == "public":
        return True
    if audience == "public":
        return False
    if visibility == "network":
        return True
    if visibility == "restricted" and recipient is not None:
        slug, _, actor = recipient.partition(":")
        if recipient in record.recipients or slug in record.recipients:
            return True
        # A network sees the restricted records it published itself; one of its actors sees
        # only those that name it (or the whole network) as recipients.
        return not actor and record.id.partition(":")[0] == slug
    return False


def _without_personal_data(record: Record) -> Record:
    if isinstance(record, Actor):
        return attrs.evolve(record, contacts=(), email=None, phone=None)
    if isinstance(record, Meeting):
        speakers = tuple(attrs.evolve(s, person=None) for s in record.speakers
                         if s.organisation or s.actor)  # a speaker needs one of the three
        return attrs.evolve(record, speakers=speakers)
    return record


def filter_bundle(bundle: Bundle, audience: str) -> Bundle:
    """The part of ``bundle`` that ``audience`` may see (see the module docs)."""
    check_audience(audience)
    match = _RECIPIENT.match(audience)
    recipient = match[1] if match else None
    level = "network" if recipient else audience
    kept: dict[str, list[Record]] = {
        name: [r for r in getattr(bundle, name) if _visible(r, level, recipient)]
        for name in COLLECTIONS
    }
    # Only what the filter hid counts: a reference to another network's record (not in the
    # bundle at all) is kept as it is. Dropping a record can orphan another (an offer of a
    # hidden actor, then a referral to that offer): repeat until nothing changes.
    visible_ids = {r.id for records in kept.values() for r in records}
    hidden = {r.id for _, r in bundle.records()} - visible_ids
    while True:
        changed = False
        for name, fields in _REQUIRED.items():
            dropped = [r for r in kept[name] if any(getattr(r, f) in hidden for f in fields)]
            if dropped:
                hidden.update(r.id for r in dropped)
                kept[name] = [r for r in kept[name] if r.id not in hidden]
                changed = True
        if not changed:
            break
    for name, fields in _OPTIONAL.items():
        kept[name] = [_clear_hidden(r, fields, hidden) for r in kept[name]]
    kept["meetings"] = [_clear_meeting(m, hidden) for m in kept["meetings"]]  # type: ignore[arg-type]
    if audience == "public":
        kept = {name: [_without_personal_data(r) for r in records]
                for name, records in kept.items()}
    source, provenance = bundle.source, bundle.provenance
    if audience == "public":
        # Contact addresses are personal data, file paths are the publisher's business, and
        # record counts would tell how much was hidden.
        source = attrs.evolve(source, contact_email=None)
        provenance = tuple(
            attrs.evolve(p, source=attrs.evolve(p.source, contact_email=None), file=None,
                         records=0)
            for p in provenance)
    elif audience != "all":
        # A file's folder tells about the publisher's machine (/home/…/dossiers-rh/): only
        # its name goes to another network.
        provenance = tuple(attrs.evolve(p, file=file_name(p.file)) if p.file else p
                           for p in provenance)
    if audience != "all":
        # ``all`` hides nothing: the bundle stays what it was (and says what it said).
        bundle = attrs.evolve(bundle, audience=narrowest(bundle.audience, audience),
                              format_version=_written_format(bundle.format_version))
    return attrs.evolve(bundle, source=source, provenance=provenance).with_collections(kept)


#: How wide each kind of audience is: a bundle filtered twice is for the narrower one.
_WIDTH: Final = {"public": 0, "network": 1, "recipient": 2, "all": 3}


def narrowest(before: str | None, audience: str) -> str:
    """The audience of a bundle filtered for ``audience`` after being filtered for
    ``before`` (``None``: not filtered): the narrower of the two. Two different recipients see
    in common at least what ``network`` sees, and it is that which is recorded."""
    if before is None or before == audience:
        return audience
    width = [_WIDTH[a.partition(":")[0]] for a in (before, audience)]
    if width[0] == width[1]:  # two different recipients
        return "network"
    return before if width[0] < width[1] else audience


def _written_format(version: str) -> str:
    # ``audience`` came with format 1.1.0: a bundle that carries it says so, so that a reader
    # of 1.0 reads it (without the field) rather than refusing it.
    def minor(text: str) -> tuple[int, int]:
        match = re.match(r"(\d+)\.(\d+)\.", text)
        return (int(match[1]), int(match[2])) if match else (0, 0)

    return version if minor(version) >= minor(FORMAT_VERSION) else FORMAT_VERSION


def file_name(path: str) -> str:
    """The last part of a path, whether written with ``/`` or ``\\`` (``C:\\x\\a.json``)."""
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path


def _clear_hidden(record: Record, fields: tuple[str, ...], hidden: set[str]) -> Record:
    changes: dict[str, Any] = {}
    for field in fields:
        value = getattr(record, field)
        if isinstance(value, tuple):
            visible = tuple(v for v in value if v not in hidden)
            if visible != value:
                changes[field] = visible
        elif value is not None and value in hidden:
            changes[field] = None
    return attrs.evolve(record, **changes) if changes else record


def _clear_meeting(meeting: Meeting, hidden: set[str]) -> Meeting:
    speakers = tuple(s if s.actor is None or s.actor not in hidden
                     else attrs.evolve(s, actor=None) for s in meeting.speakers)
    # A speaker left with neither person, organisation nor actor says nothing: drop it.
    speakers = tuple(s for s in speakers if s.person or s.organisation or s.actor)
    workshops = tuple(
        attrs.evolve(w, facilitators=tuple(f for f in w.facilitators if f not in hidden))
        for w in meeting.workshops)
    registrations = tuple(r for r in meeting.registrations if r.actor not in hidden)
    if (speakers, workshops, registrations) == (meeting.speakers, meeting.workshops,
                                                 meeting.registrations):
        return meeting
    return attrs.evolve(meeting, speakers=speakers, workshops=workshops,
                        registrations=registrations)
