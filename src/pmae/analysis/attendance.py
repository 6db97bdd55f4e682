"""Attendance and interconnaissance: who comes to the démarche's meetings, and who has met whom.

From the meetings' registrations (DESIGN §1, objective 4), over the years chosen (all the years
of the bundle's meetings by default):

- **per actor**: meetings registered to, attended (``attended=True``), missed (``False``), with
  attendance unknown (``None``), people present, first and last meeting attended, meetings where
  it spoke;
- **per actor type** and **per département** (the actor's, as in :func:`actor_departement`;
  ``*`` for actors of several départements or the région): actors, actors present and the sums
  of the actor figures; **per year**: meetings, actors present and the same sums;
- **absent** actors (held by the bundle, never present in the period) and **lapsed** ones
  (present in a year of the bundle before the latest year considered, not in that year);
- **diversity** of each meeting: the actor types and départements represented among the actors
  present, and the Shannon index of the types, ``-Σ p·ln p`` over their shares (0 when one type
  only; ``ln n`` when ``n`` types are equally represented);
- **co-attendance**: for each pair of actors, the meetings both attended; and the pairs with a
  *complementaire* edge of :func:`pmae.analysis.complementarity.complementarity` that never
  attended the same meeting in the period.

Only ``attended=True`` is presence. Cancelled meetings (``annulee``) are left out and counted;
planned ones count, their registrations usually with unknown attendance. A meeting's year is
its start's, in its own time zone. An actor registered twice to one meeting counts once: present
if one registration says so, else absent if one says so, else unknown; its participants summed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any, Final

import attrs

from pmae.analysis.complementarity import Complementarity, Edge, complementarity
from pmae.analysis.summary import BEYOND_ONE_DEPARTEMENT, actor_departement
from pmae.model import Bundle, Meeting
from pmae.sessions import session as current_session
from pmae.territories import Territories

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["UNKNOWN", "ActorAttendance", "Attendance", "Group", "LapsedActor",
           "MeetingAttendance", "YearAttendance", "attendance"]

#: Type and département of an actor registered to a meeting but not held by the bundle.
UNKNOWN: Final = "?"


@attrs.define(kw_only=True, frozen=True)
class ActorAttendance:
    """One actor's figures over the period."""

    actor: str
    name: str
    actor_type: str
    departement: str
    #: Meetings it registered to.
    registered: int = 0
    #: Meetings it attended (``attended=True``).
    attended: int = 0
    #: Meetings it registered to and did not attend (``attended=False``).
    no_shows: int = 0
    #: Meetings where its attendance is not known (``attended=None``).
    unknown: int = 0
    #: People it registered to the meetings it attended.
    participants: int = 0
    #: Meetings where one of the speakers came on its behalf.
    spoke: int = 0
    first_attended: dt.date | None = None
    last_attended: dt.date | None = None


@attrs.define(kw_only=True, frozen=True)
class Group:
    """The figures of the actors of one type or one département."""

    #: Actors of the group (held by the bundle, or registered to a meeting).
    actors: int = 0
    #: Actors of the group present at least once.
    present: int = 0
    registered: int = 0
    attended: int = 0
    no_shows: int = 0
    unknown: int = 0
    participants: int = 0


@attrs.define(kw_only=True, frozen=True)
class YearAttendance:
    """The figures of one year of the period."""

    year: int
    meetings: int = 0
    #: Distinct actors present at least once that year.
    present: int = 0
    registered: int = 0
    attended: int = 0
    no_shows: int = 0
    unknown: int = 0
    participants: int = 0


@attrs.define(kw_only=True, frozen=True)
class MeetingAttendance:
    """One meeting's attendance and diversity."""

    meeting: str
    title: str
    kind: str
    date: dt.date
    registered: int
    #: Actors present, sorted.
    present: tuple[str, ...]
    no_shows: int
    unknown: int
    participants: int
    #: Actor type -> actors present of that type.
    types: Mapping[str, int]
    #: Département (``*`` several or région, ``?`` unknown) -> actors present from it.
    departements: Mapping[str, int]

    @property
    def type_count(self) -> int:
        """Distinct actor types represented."""
        return len(self.types)

    @property
    def departement_count(self) -> int:
        """Distinct départements represented (``*`` and ``?`` not counted)."""
        return sum(1 for d in self.departements if d not in (BEYOND_ONE_DEPARTEMENT, UNKNOWN))

    @property
    def shannon(self) -> float:
        """Shannon index of the actor types present, ``-Σ p·ln p``."""
        total = sum(self.types.values())
        return -sum(n / total * math.log(n / total) for n in self.types.values()) + 0.0


@attrs.define(kw_only=True, frozen=True)
class LapsedActor:
    """An actor no longer present: its last meeting attended was before the latest year."""

    actor: str
    name: str
    last_attended: dt.date


@attrs.define(kw_only=True, frozen=True)
class Attendance:
    """The figures of :func:`attendance`, as data (:meth:`to_json`); :mod:`pmae.render.attendance`
    writes them as text and CSV."""

    #: Years considered, sorted.
    years: tuple[int, ...]
    #: The latest year considered (``None`` without meetings), the reference of :meth:`lapsed`.
    latest_year: int | None
    meetings: tuple[MeetingAttendance, ...]
    #: Cancelled meetings of the period, left out.
    cancelled: int
    #: Actor id -> figures: the bundle's actors in its order, then unknown ones sorted.
    actors: Mapping[str, ActorAttendance]
    by_type: Mapping[str, Group]
    by_departement: Mapping[str, Group]
    by_year: Mapping[int, YearAttendance]
    #: ``(a, b)`` with ``a < b`` -> meetings both attended; pairs that never met are left out.
    pairs: Mapping[tuple[str, str], int]
    #: The *complementaire* edges of the bundle's complementarity graph.
    complementary: tuple[Edge, ...]
    #: Actors present before :attr:`latest_year` and not in it -> last meeting attended.
    lapsed_since: Mapping[str, dt.date]

    def absent(self) -> tuple[ActorAttendance, ...]:
        """The bundle's actors never present in the period, by name."""
        return tuple(sorted((a for a in self.actors.values()
                             if not a.attended and a.actor_type != UNKNOWN),
                            key=lambda a: (a.name, a.actor)))

    def lapsed(self) -> tuple[LapsedActor, ...]:
        """Actors present in an earlier year of the bundle, not in the latest year considered;
        the most recently seen first."""
        rows = [LapsedActor(actor=a, name=self.actors[a].name if a in self.actors else a,
                            last_attended=d) for a, d in self.lapsed_since.items()]
        return tuple(sorted(rows, key=lambda r: (-r.last_attended.toordinal(), r.name)))

    def co_attendance(self) -> Mapping[tuple[str, str], int]:
        """Who met whom: ``(a, b)`` (``a < b``) -> meetings both attended in the period."""
        return self.pairs

    def never_met_complementary(self) -> tuple[Edge, ...]:
        """The complementary pairs (:attr:`complementary`) that never attended the same
        meeting in the period, heaviest edge first."""
        return tuple(e for e in self.complementary if (e.a, e.b) not in self.pairs)

    def name(self, actor: str) -> str:
        """The name of an actor (its id when the bundle does not hold it)."""
        row = self.actors.get(actor)
        return row.name if row is not None else actor

    def totals(self) -> dict[str, int]:
        """Meetings, cancelled, registrations, attendances, no-shows, unknown, participants."""
        rows = self.by_year.values()
        return {"meetings": len(self.meetings), "cancelled": self.cancelled,
                **{k: sum(getattr(r, k) for r in rows)
                   for k in ("registered", "attended", "no_shows", "unknown", "participants")}}

    def to_json(self) -> dict[str, Any]:
        """Every figure as plain JSON-ready data (dates ISO 8601, Shannon rounded to 4 places)."""
        def plain(value: Any) -> dict[str, Any]:
            return {k: v.isoformat() if isinstance(v, dt.date) else v
                    for k, v in attrs.asdict(value).items()}

        return {
            "years": list(self.years), "latest_year": self.latest_year,
            "totals": self.totals(),
            "actors": [plain(a) for a in self.actors.values()],
            "by_type": [{"actor_type": k, **plain(g)} for k, g in self.by_type.items()],
            "by_departement": [{"departement": k, **plain(g)}
                               for k, g in self.by_departement.items()],
            "by_year": [plain(y) for y in self.by_year.values()],
            "meetings": [{**plain(m), "present": list(m.present), "type_count": m.type_count,
                          "departement_count": m.departement_count,
                          "shannon": round(m.shannon, 4)} for m in self.meetings],
            "absent": [a.actor for a in self.absent()],
            "lapsed": [plain(r) for r in self.lapsed()],
            "co_attendance": [{"a": a, "b": b, "meetings": n}
                              for (a, b), n in self.pairs.items()],
            "never_met_complementary": [
                {"a": e.a, "b": e.b, "themes": list(e.themes), "stages": list(e.stages),
                 "territories": list(e.territories), "weight": e.weight}
                for e in self.never_met_complementary()],
        }


# --- computation -------------------------------------------------------------------------------

# Per (meeting, actor): attended (True/False/None) and participants.
_Presence = tuple[bool | None, int]


def _presences(meeting: Meeting) -> dict[str, _Presence]:
    merged: dict[str, _Presence] = {}
    for registration in meeting.registrations:
        state, people = merged.get(registration.actor, (None, 0))
        if registration.attended is True or (registration.attended is False and state is None):
            state = registration.attended
        merged[registration.actor] = (state, people + registration.participants)
    return merged


def _add(counts: dict[str, int], presence: _Presence) -> None:
    state, people = presence
    counts["registered"] += 1
    key = "attended" if state is True else "no_shows" if state is False else "unknown"
    counts[key] += 1
    if state is True:
        counts["participants"] += people


_FIELDS: Final = ("registered", "attended", "no_shows", "unknown", "participants")


def attendance(bundle: Bundle, *, years: Sequence[int] | None = None,
               territories: Territories | None = None,
               graph: Complementarity | None = None,
               session: Session | None = None) -> Attendance:
    """Attendance of ``bundle``'s meetings in ``years`` (every year of its meetings if None).

    ``graph`` is the complementarity graph to check who never met; by default
    :func:`~pmae.analysis.complementarity.complementarity` of the bundle, computed here.

    :param territories: place actors in départements with these (default: the session's).
    :param session: default :func:`pmae.session`.

    :raises ValueError: if ``years`` is given empty.
    """
    if years is not None and not years:
        raise ValueError("give at least one year, or None for every year of the bundle")
    s = current_session(session)
    territories = territories or s.territories
    kept = [m for m in bundle.meetings if m.status != "annulee"]
    chosen = sorted(set(years) if years is not None else {m.start.year for m in kept})
    latest = chosen[-1] if chosen else None
    in_period = [m for m in sorted(kept, key=lambda m: (m.start, m.id)) if m.start.year in chosen]
    cancelled = sum(1 for m in bundle.meetings
                    if m.status == "annulee" and m.start.year in chosen)

    known = {a.id: a for a in bundle.actors}
    per_actor: dict[str, dict[str, int]] = {
        a: dict.fromkeys((*_FIELDS, "spoke"), 0) for a in known}
    dates: dict[str, list[dt.date]] = {}
    per_year = {y: dict.fromkeys(_FIELDS, 0) for y in chosen}
    present_in_year: dict[int, set[str]] = {y: set() for y in chosen}
    held = Counter(m.start.year for m in in_period)
    pairs: Counter[tuple[str, str]] = Counter()
    meetings: list[MeetingAttendance] = []
    departement_of: dict[str, str] = {a.id: actor_departement(a, territories)
                                      for a in bundle.actors}
    for meeting in in_period:
        presences = _presences(meeting)
        day = meeting.start.date()
        for actor, presence in presences.items():
            counts = per_actor.setdefault(actor, dict.fromkeys((*_FIELDS, "spoke"), 0))
            _add(counts, presence)
            _add(per_year[meeting.start.year], presence)
            if presence[0] is True:
                dates.setdefault(actor, []).append(day)
                present_in_year[meeting.start.year].add(actor)
        for actor in {s.actor for s in meeting.speakers if s.actor is not None}:
            per_actor.setdefault(actor, dict.fromkeys((*_FIELDS, "spoke"), 0))["spoke"] += 1
        present = sorted(a for a, (state, _) in presences.items() if state is True)
        pairs.update(combinations(present, 2))
        meetings.append(MeetingAttendance(
            meeting=meeting.id, title=meeting.title, kind=meeting.kind, date=day,
            registered=len(presences), present=tuple(present),
            no_shows=sum(1 for s, _ in presences.values() if s is False),
            unknown=sum(1 for s, _ in presences.values() if s is None),
            participants=sum(p for s, p in presences.values() if s is True),
            types=dict(sorted(Counter(known[a].actor_type if a in known else UNKNOWN
                                      for a in present).items())),
            departements=dict(sorted(Counter(departement_of.get(a, UNKNOWN)
                                             for a in present).items()))))

    rows: dict[str, ActorAttendance] = {}
    for actor in [*known, *sorted(set(per_actor) - set(known))]:
        record = known.get(actor)
        seen = dates.get(actor, [])
        rows[actor] = ActorAttendance(
            actor=actor, name=record.name if record else actor,
            actor_type=record.actor_type if record else UNKNOWN,
            departement=departement_of.get(actor, UNKNOWN),
            first_attended=min(seen, default=None), last_attended=max(seen, default=None),
            **per_actor[actor])

    def groups(key: str) -> dict[str, Group]:
        found: dict[str, dict[str, int]] = {}
        for row in rows.values():
            sums = found.setdefault(getattr(row, key), dict.fromkeys(
                ("actors", "present", *_FIELDS), 0))
            sums["actors"] += 1
            sums["present"] += row.attended > 0
            for name in _FIELDS:
                sums[name] += getattr(row, name)
        return {k: Group(**v) for k, v in sorted(found.items())}

    last_before: dict[str, dt.date] = {}
    if latest is not None:
        for meeting in kept:
            if meeting.start.year < latest:
                for actor, (state, _) in _presences(meeting).items():
                    day = meeting.start.date()
                    if state is True and day > last_before.get(actor, dt.date.min):
                        last_before[actor] = day
        back = {a for m in kept if m.start.year == latest
                for a, (state, _) in _presences(m).items() if state is True}
        last_before = {a: d for a, d in last_before.items() if a not in back}
    graph = graph if graph is not None else complementarity(
        bundle, territories=territories, vocabularies=s.vocabularies)
    return Attendance(
        years=tuple(chosen), latest_year=latest, meetings=tuple(meetings), cancelled=cancelled,
        actors=rows, by_type=groups("actor_type"), by_departement=groups("departement"),
        by_year={y: YearAttendance(year=y, meetings=held[y], present=len(present_in_year[y]),
                                   **per_year[y]) for y in chosen},
        pairs=dict(sorted(pairs.items(), key=lambda item: (-item[1], item[0]))),
        complementary=graph.of_kind("complementaire"), lapsed_since=last_before)
