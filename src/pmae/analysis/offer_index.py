"""The offer index orientation works on: offers by territory code and theme, built once a bundle.

An offer on ``reg:84`` is filed under ``reg:84``; a commune finds it by looking up its own code
and each of its ancestors (:meth:`~pmae.territories.Territories.ancestors`), so containment is
computed from the referential and an offer whose territory does not contain the commune is never
even looked at. Inside a bucket, offers are kept sorted by their score for one *mode* (the
preferred stages and actor types of a query), computed once per mode on first use: orienting an
association is then a merge of a handful of sorted lists that stops after ``limit`` offers.

The index also holds what a bundle says about its associations that orientation needs: which
ones were already oriented (a first contact is one that never was) and which ones had a critical
alert in their latest diagnosis with each tool (and the actor types that tool orients to).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from pmae.i18n import gettext as _
from pmae.model import Actor, Association, Bundle, Need, Offer
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.sessions import Session
    from pmae.territories import Territories
    from pmae.vocab import Vocabulary

__all__ = ["DEFAULT_ALERT_ACTOR_TYPES", "FIRST_CONTACT_STAGES", "Candidate", "OfferIndex",
           "OrientationError", "Query", "nearness", "orient_to_by_tool"]

#: Stages a first contact is oriented to.
FIRST_CONTACT_STAGES: Final = ("accueil", "information")
#: The stage a critical alert is oriented to (the reference tools' ``alert_stage``).
ALERT_STAGE: Final = "appui"
#: Actor types preferred after an alert when the tool does not say (no ``orient_to``).
DEFAULT_ALERT_ACTOR_TYPES: Final = ("financeur_solidaire", "dla_departemental")
#: Nearness of each built-in level: the more specific the covering territory, the nearer.
_NEARNESS: Final = {"com": 5, "epci": 4, "dep": 3, "ancienne_region": 2, "reg": 1, "fr": 0}
#: Plugin levels (bassins de vie…) lie inside a département, like an EPCI.
_OTHER_LEVEL_NEARNESS: Final = 4

# Weights of the score: each component outweighs every smaller one put together, so the ranking
# is lexicographic (stage, then preferred actor type, then nearness, then cost) and the score
# printed stays readable: 2153 = exact stage, preferred actor, département, free.
STAGE_WEIGHT: Final = 1000.0
ACTOR_WEIGHT: Final = 100.0
NEARNESS_WEIGHT: Final = 10.0
FREE_WEIGHT: Final = 1.0


class OrientationError(ValueError):
    """A target that cannot be oriented (no commune, unknown id, index of another day)."""


@attrs.define(kw_only=True, frozen=True)
class Query:
    """What orientation needs to know about whom it orients; built from an Association, a
    Need (:meth:`OfferIndex.query_for`) or by hand.

    ``commune`` is a territory code, usually a commune's; offers must contain it. ``theme``,
    when given, must be one of an offer's themes. ``stage`` is the wished stage. ``first_contact``
    prefers ``accueil``/``information``; ``alert`` prefers ``appui`` and the ``actor_types`` (the
    diagnostic tool's ``orient_to``; :data:`DEFAULT_ALERT_ACTOR_TYPES` when empty). ``formats``,
    when given, must meet an offer's formats (``individuel``, ``collectif``).
    """

    commune: str
    theme: str | None = None
    stage: str | None = None
    size_band: str | None = None
    sector: str | None = None
    first_contact: bool = False
    alert: bool = False
    formats: tuple[str, ...] = ()
    actor_types: tuple[str, ...] = ()

    def preferred_stages(self) -> tuple[tuple[str, ...], str | None]:
        """The stages this query prefers and why: ``souhaitee``, ``alerte``, ``premier_contact``.

        A wished stage wins over an alert, which wins over a first contact; ``((), None)`` when
        no stage is preferred.
        """
        if self.stage is not None:
            return (self.stage,), "souhaitee"
        if self.alert:
            return (ALERT_STAGE,), "alerte"
        if self.first_contact:
            return FIRST_CONTACT_STAGES, "premier_contact"
        return (), None

    def preferred_actor_types(self) -> tuple[str, ...]:
        """The actor types preferred: after an alert only."""
        return (self.actor_types or DEFAULT_ALERT_ACTOR_TYPES) if self.alert else ()


@attrs.define(kw_only=True, frozen=True)
class Candidate:
    """An offer that fits a query, with where it was found and its score components."""

    offer: Offer
    territory: str
    level: str
    score: float
    stage_fit: int
    preferred_actor: bool


def nearness(code: str, former_regions: frozenset[str]) -> tuple[str, int]:
    """The level name and nearness of a covering territory code (``("dep", 3)``…)."""
    if code == "fr":
        return "fr", _NEARNESS["fr"]
    level = code.partition(":")[0]
    if level == "reg" and code in former_regions:
        level = "ancienne_region"
    return level, _NEARNESS.get(level, _OTHER_LEVEL_NEARNESS)


_Mode = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_OrientTo = Mapping[str, Sequence[str]]  # tool name -> actor types its alerts orient to


def _mode_of(query: Query, stages: Vocabulary) -> _Mode:
    """(preferred stages, adjacent stages, preferred actor types): what orders a bucket."""
    preferred, _ = query.preferred_stages()
    adjacent: list[str] = []
    codes = stages.codes()
    for stage in preferred:
        if stage not in stages:
            continue
        rank = stages.rank(stage)
        for near in (rank - 1, rank + 1):
            if 0 <= near < len(codes) and codes[near] not in preferred:
                adjacent.append(codes[near])
    return preferred, tuple(dict.fromkeys(adjacent)), tuple(sorted(query.preferred_actor_types()))


# (negated score, offer id, offer position, covering territory): tuples compare in C, and the
# offer id breaks ties so rankings never depend on the order offers were read in.
_Entry = tuple[float, str, int, str]


class OfferIndex:
    """Offers of a bundle filed by territory code and by theme; build with :meth:`build`.

    Only offers valid on ``today`` are filed (``valid_from`` ≤ today ≤ ``valid_until``): an
    expired offer is never a candidate.
    """

    def __init__(self, *, bundle: Bundle, territories: Territories, today: dt.date,
                 vocabularies: Mapping[str, Vocabulary], orient_to: _OrientTo) -> None:
        """Use :meth:`build`."""
        self.bundle, self.territories, self.today = bundle, territories, today
        self.vocabularies, self.orient_to = vocabularies, orient_to
        self.actors: dict[str, Actor] = {actor.id: actor for actor in bundle.actors}
        self.offers: tuple[Offer, ...] = tuple(
            offer for offer in bundle.offers
            if (offer.valid_from is None or offer.valid_from <= today)
            and (offer.valid_until is None or today <= offer.valid_until))
        self._former = frozenset(territories.regions(include_former=True)) - frozenset(
            territories.regions())
        self._by_code: dict[str, list[int]] = {}
        self._by_code_theme: dict[tuple[str, str], list[int]] = {}
        for position, offer in enumerate(self.offers):
            for code in dict.fromkeys(offer.territories):
                self._by_code.setdefault(code, []).append(position)
                for theme in dict.fromkeys(offer.themes):
                    self._by_code_theme.setdefault((code, theme), []).append(position)
        self._actor_type = [self.actors[o.actor].actor_type if o.actor in self.actors else None
                            for o in self.offers]
        self._sorted: dict[tuple[str, str | None, _Mode], list[_Entry]] = {}
        self._buckets_of: dict[str, tuple[str, ...]] = {}
        self._modes: dict[tuple[tuple[str, ...], tuple[str, ...]], _Mode] = {}
        #: Results already computed, by :meth:`memo_key` and the caller's own options; the
        #: index is immutable once built, so they never go stale.
        self.memo: dict[tuple[object, ...], object] = {}
        self._associations: dict[str, Association] = {a.id: a for a in bundle.associations}
        self._needs: dict[str, Need] | None = None  # a million at national scale: on demand
        need_association = {n.id: n.association for n in bundle.needs} if bundle.referrals \
            else {}
        self._referred_needs = frozenset(r.need for r in bundle.referrals)
        self._referred = frozenset(need_association.get(r.need) for r in bundle.referrals)
        self._alerts = self._read_alerts(bundle, orient_to)

    @classmethod
    def build(cls, bundle: Bundle, *, territories: Territories | None = None,
              today: dt.date | None = None, audience: str | None = None,
              vocabularies: Mapping[str, Vocabulary] | None = None,
              orient_to: _OrientTo | None = None,
              session: Session | None = None) -> OfferIndex:
        """The index of ``bundle``'s offers valid on ``today`` (default: the session's
        ``as_of``, as for coverage, the sheets and the report).

        :param audience: when given, the bundle is first filtered for it
            (:func:`pmae.io.audience.filter_bundle`), so only what that audience may see is
            proposed; otherwise every offer the caller's data holds.
        :param orient_to: diagnostic tool name -> actor types its alerts orient to; by default
            :func:`orient_to_by_tool` of the session.
        :param session: the territories, vocabularies and diagnostic tools
            (:func:`pmae.session` by default); the three parameters above override its.
        """
        if audience is not None:
            from pmae.io.audience import filter_bundle

            bundle = filter_bundle(bundle, audience)
        s = current_session(session)
        return cls(bundle=bundle, today=today or s.as_of,
                   territories=s.territories if territories is None else territories,
                   vocabularies=s.vocabularies if vocabularies is None else vocabularies,
                   orient_to=orient_to_by_tool(s) if orient_to is None else orient_to)

    @staticmethod
    def _read_alerts(bundle: Bundle, orient_to: _OrientTo) -> dict[str, tuple[str, ...]]:
        """Association or diagnosis id -> actor types, for those whose latest diagnosis with a
        tool raised an alert (an older alert a newer diagnosis no longer shows is over)."""
        latest: dict[tuple[str, str], tuple[dt.date, str, tuple[str, ...]]] = {}
        result: dict[str, tuple[str, ...]] = {}
        for diagnosis in bundle.diagnoses:
            types = tuple(orient_to.get(diagnosis.tool, ())) or DEFAULT_ALERT_ACTOR_TYPES
            if diagnosis.alerts:
                result[diagnosis.id] = types
            key = (diagnosis.association, diagnosis.tool)
            entry = (diagnosis.date, diagnosis.id, types if diagnosis.alerts else ())
            if key not in latest or latest[key][:2] < entry[:2]:
                latest[key] = entry
        for (association, _tool), (_date, _id, types) in sorted(latest.items()):
            if types:
                result[association] = tuple(dict.fromkeys(result.get(association, ()) + types))
        return result

    # -- targets -----------------------------------------------------------------------------

    def association(self, association_id: str) -> Association:
        """The association ``association_id``; :class:`OrientationError` if there is none."""
        if (association := self._associations.get(association_id)) is None:
            raise OrientationError(_("no association {id!r} in the bundle").format(
                id=association_id))
        return association

    def need(self, need_id: str) -> Need:
        """The need ``need_id``; :class:`OrientationError` if there is none."""
        if self._needs is None:
            self._needs = {need.id: need for need in self.bundle.needs}
        try:
            return self._needs[need_id]
        except KeyError:
            raise OrientationError(_("no need {id!r} in the bundle").format(id=need_id)) from None

    def query_for(self, target: Association | Need | Query) -> Query:
        """The query for an association (first contact if never oriented; alert if its latest
        diagnosis raised one), a need (its theme, wished stage and territory, else its
        association's commune) or a query (itself)."""
        if isinstance(target, Query):
            return target
        if isinstance(target, Association):
            if target.commune is None:
                raise OrientationError(_("association {id!r} has no commune: it cannot be "
                                         "oriented to offers of a territory").format(id=target.id))
            types = self._alerts.get(target.id, ())
            return Query(commune=target.commune, size_band=target.size_band,
                         sector=target.sector, first_contact=target.id not in self._referred,
                         alert=bool(types), actor_types=types)
        association = self._associations.get(target.association or "")
        commune = target.territory or (association.commune if association else None)
        if commune is None:
            raise OrientationError(_("need {id!r} has no territory and no association with a "
                                     "commune: it cannot be oriented").format(id=target.id))
        types = self._alerts.get(target.diagnosis or "", ()) or self._alerts.get(
            target.association or "", ())
        first = (target.association not in self._referred if target.association
                 else target.id not in self._referred_needs)
        return Query(commune=commune, theme=target.theme, stage=target.stage,
                     size_band=target.size_band or (association.size_band if association
                                                    else None),
                     sector=target.sector or (association.sector if association else None),
                     first_contact=first, alert=bool(types), actor_types=types)

    # -- candidates --------------------------------------------------------------------------

    def _buckets(self, commune: str) -> tuple[str, ...]:
        """The codes with offers among ``commune`` and its ancestors, nearest first."""
        known = self._buckets_of.get(commune)
        if known is None:
            codes = {commune} | self.territories.ancestors(commune)
            known = tuple(sorted(
                (code for code in codes if code in self._by_code),
                key=lambda code: (-nearness(code, self._former)[1], code)))
            self._buckets_of[commune] = known
        return known

    def candidates(self, query: Query) -> tuple[Offer, ...]:
        """Every offer whose territory contains ``query.commune`` (and with its theme, if
        given), in index order; never another.

        :raises pmae.territories.TerritoryError: if the commune is not a known territory.
        """
        seen: set[int] = set()
        for code in self._buckets(query.commune):
            seen.update(self._by_code[code] if query.theme is None
                        else self._by_code_theme.get((code, query.theme), ()))
        return tuple(self.offers[position] for position in sorted(seen))

    def _sorted_bucket(self, code: str, theme: str | None, mode: _Mode) -> list[_Entry]:
        key = (code, theme, mode)
        entries = self._sorted.get(key)
        if entries is not None:
            return entries
        positions = (self._by_code.get(code, ()) if theme is None
                     else self._by_code_theme.get((code, theme), ()))
        preferred, adjacent, actor_types = mode
        near = nearness(code, self._former)[1] * NEARNESS_WEIGHT
        entries = []
        for position in positions:
            offer = self.offers[position]
            score = near + self._base_score(offer, position, preferred, adjacent, actor_types)
            entries.append((-score, offer.id, position, code))
        entries.sort()
        self._sorted[key] = entries
        return entries

    def _base_score(self, offer: Offer, position: int, preferred: tuple[str, ...],
                    adjacent: tuple[str, ...], actor_types: tuple[str, ...]) -> float:
        return (self._stage_fit(offer, preferred, adjacent) * STAGE_WEIGHT
                + (self._actor_type[position] in actor_types) * ACTOR_WEIGHT
                + (offer.cost == "gratuit") * FREE_WEIGHT)

    @staticmethod
    def _stage_fit(offer: Offer, preferred: tuple[str, ...], adjacent: tuple[str, ...]) -> int:
        if any(stage in preferred for stage in offer.stages):
            return 2
        return int(any(stage in adjacent for stage in offer.stages))

    def mode(self, query: Query) -> _Mode:
        """What orders the buckets for ``query``: computed once per kind of query."""
        key = (query.preferred_stages()[0], query.preferred_actor_types())
        mode = self._modes.get(key)
        if mode is None:
            mode = self._modes[key] = _mode_of(query, self.vocabularies["stages"])
        return mode

    def memo_key(self, query: Query) -> tuple[object, ...]:
        """A key under which two queries always get the same ranking: the commune counts only
        through the territories that hold offers for it, so every commune of a département
        without offers of its own shares one key (what makes orienting a national bundle
        fast: see :attr:`memo`)."""
        return (self._buckets(query.commune), query.theme, query.stage, query.size_band,
                query.sector, query.first_contact, query.alert, query.formats,
                query.actor_types)

    def ranked(self, query: Query, *, require_stage: str | None = None) -> Iterator[Candidate]:
        """The eligible candidates of ``query``, best first, each offer once.

        Eligibility: the offer's size bands (when it lists any) include the query's band, its
        sectors likewise, its formats meet the query's formats (when both are given). With
        ``require_stage``, only offers at that stage.

        :raises pmae.territories.TerritoryError: if the commune is not a known territory.
        """
        mode = self.mode(query)
        lists = [self._sorted_bucket(code, query.theme, mode)
                 for code in self._buckets(query.commune)]
        merged = heapq.merge(*lists) if len(lists) != 1 else iter(lists[0])
        seen: set[int] = set()
        band, sector, formats = query.size_band, query.sector, query.formats
        offers, former = self.offers, self._former
        for negative, _tie, position, code in merged:
            if position in seen:
                continue  # filed under two territories holding the commune: the nearer won
            seen.add(position)
            offer = offers[position]
            if band is not None and offer.size_bands and band not in offer.size_bands:
                continue
            if sector is not None and offer.sectors and sector not in offer.sectors:
                continue
            if formats and offer.formats and not any(f in offer.formats for f in formats):
                continue
            if require_stage is not None and require_stage not in offer.stages:
                if mode[0] == (require_stage,):
                    break  # exact-stage offers all come first: none is left
                continue
            level = nearness(code, former)[0]
            yield Candidate(offer=offer, territory=code, level=level, score=-negative,
                            stage_fit=self._stage_fit(offer, mode[0], mode[1]),
                            preferred_actor=self._actor_type[position] in mode[2])


def orient_to_by_tool(session: Session | None = None) -> dict[str, tuple[str, ...]]:
    """Tool name -> the actor types its alerts orient to (its ``alerts.orient_to``), for every
    diagnostic tool of ``session`` (:func:`pmae.session` by default): the reference tools and
    the plugins' ones alike."""
    result: dict[str, tuple[str, ...]] = {}
    for registered in current_session(session).plugins.diagnostics():
        alerts = registered.item.questionnaire.get("alerts", {})
        result[registered.item.name] = (tuple(alerts.get("orient_to", ()))
                                        if isinstance(alerts, dict) else ())
    return result
