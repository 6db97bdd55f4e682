"""Orientation: which offers to propose to an association or for a need, and why.

:func:`orient` ranks the offers of an :class:`~pmae.analysis.offer_index.OfferIndex` (or of a
bundle, indexed on the spot) for an association, a need or a hand-made
:class:`~pmae.analysis.offer_index.Query`. The rules (docs/orientation.md), in order of weight:

1. **territory** (a filter): only offers whose territory contains the commune;
2. **theme** (a filter): when the target has a theme, it must be one of the offer's;
3. **eligibility** (filters): valid on ``today``; the offer's size bands and sectors, when it
   lists any, include the association's; its formats meet the formats asked;
4. **stage**: the wished stage, else ``appui`` after an alert, else ``accueil``/``information``
   for a first contact: an offer at such a stage first, then one at an adjacent stage of the
   support chain, then the others;
5. **actor type**: after an alert, the actor types the diagnostic tool orients to;
6. **nearness**: commune > EPCI > département > former région > région > France;
7. **cost**: a free offer slightly first; then the offer id, so rankings are deterministic;
8. **diversity**: at most ``per_actor`` offers of one actor.

Every suggestion carries its :class:`Reason` values: stable codes and parameters, which
:mod:`pmae.render.orientation` turns into French (or English) text. The territories, the
vocabularies and the diagnostic tools come from the session (``session=``; :func:`pmae.session`
by default).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from pmae.analysis.offer_index import Candidate, OfferIndex, OrientationError, Query
from pmae.i18n import gettext as _
from pmae.model import Actor, Association, Bundle, Need, Offer, Referral

if TYPE_CHECKING:
    from pmae.sessions import Session
    from pmae.territories import Territories
    from pmae.vocab import Vocabulary

__all__ = [
    "NeedOrientation",
    "OfferIndex",
    "OrientationError",
    "Query",
    "Reason",
    "Suggestion",
    "excluded_by_date",
    "next_referral_prefix",
    "open_needs",
    "orient",
    "orient_needs",
    "pathway",
    "record_referrals",
    "referrals_for",
]

Target = Association | Need | Query


@attrs.define(kw_only=True, frozen=True)
class Reason:
    """Why an offer is proposed: a stable ``code`` and its ``params``; one line of text with
    :func:`pmae.render.orientation.render_reason`.

    Codes: ``territoire`` (niveau, territoire), ``theme`` (theme), ``etape`` (etape, accord:
    exact/voisine/autre, cible, motif: souhaitee/alerte/premier_contact), ``acteur`` (type),
    ``eligibilite`` (critere: taille/secteur/format, valeur), ``validite`` (jusqu_au),
    ``cout`` (cout).
    """

    code: str
    params: Mapping[str, str]


@attrs.define(kw_only=True, frozen=True)
class Suggestion:
    """One proposed offer: its actor (``None`` if the bundle lacks it), rank from 1, score
    (:mod:`~pmae.analysis.offer_index` weights) and the reasons, in the rules' order."""

    offer: Offer
    actor: Actor | None
    rank: int
    score: float
    reasons: tuple[Reason, ...]


def _index(bundle_or_index: Bundle | OfferIndex, today: dt.date | None,
           territories: Territories | None, session: Session | None) -> OfferIndex:
    if isinstance(bundle_or_index, OfferIndex):
        if today is not None and today != bundle_or_index.today:
            raise OrientationError(_("the index holds the offers valid on {day}, not {today}: "
                                     "build another").format(day=bundle_or_index.today,
                                                             today=today))
        return bundle_or_index
    return OfferIndex.build(bundle_or_index, today=today, territories=territories,
                            session=session)


def _nearest(stage: str, targets: Sequence[str], stages: Vocabulary) -> str:
    if stage not in stages:
        return targets[0]
    rank = stages.rank(stage)
    return min(targets, key=lambda t: abs(stages.rank(t) - rank) if t in stages else 99)


def _reasons(candidate: Candidate, query: Query, index: OfferIndex) -> tuple[Reason, ...]:
    offer = candidate.offer
    reasons = [Reason(code="territoire",
                      params={"niveau": candidate.level, "territoire": candidate.territory})]
    if query.theme is not None:
        reasons.append(Reason(code="theme", params={"theme": query.theme}))
    preferred, motif = query.preferred_stages()
    if motif is not None and offer.stages:
        stages = index.vocabularies["stages"]
        accord = ("autre", "voisine", "exact")[candidate.stage_fit]
        if accord == "exact":
            shown = next(s for s in offer.stages if s in preferred)
            target = shown
        else:
            # The offer's stage nearest to a preferred one, and that one: how far it is.
            shown = min(offer.stages, key=lambda s: (
                abs(stages.rank(s) - stages.rank(_nearest(s, preferred, stages)))
                if s in stages and all(t in stages for t in preferred) else 99))
            target = _nearest(shown, preferred, stages)
        reasons.append(Reason(code="etape", params={"etape": shown, "accord": accord,
                                                    "cible": target, "motif": motif}))
    if candidate.preferred_actor and candidate.offer.actor in index.actors:
        reasons.append(Reason(code="acteur",
                              params={"type": index.actors[offer.actor].actor_type}))
    if query.size_band is not None and offer.size_bands:
        reasons.append(Reason(code="eligibilite",
                              params={"critere": "taille", "valeur": query.size_band}))
    if query.sector is not None and offer.sectors:
        reasons.append(Reason(code="eligibilite",
                              params={"critere": "secteur", "valeur": query.sector}))
    if query.formats and offer.formats:
        for fmt in (f for f in query.formats if f in offer.formats):
            reasons.append(Reason(code="eligibilite", params={"critere": "format",
                                                              "valeur": fmt}))
    if offer.valid_until is not None:
        reasons.append(Reason(code="validite", params={"jusqu_au": offer.valid_until.isoformat()}))
    if offer.cost is not None:
        reasons.append(Reason(code="cout", params={"cout": offer.cost}))
    return tuple(reasons)


def _select(index: OfferIndex, query: Query, *, limit: int, per_actor: int,
            require_stage: str | None = None) -> tuple[Suggestion, ...]:
    if limit < 0 or per_actor < 1:
        raise ValueError(_("limit must be >= 0 and per_actor >= 1"))
    key = (*index.memo_key(query), limit, per_actor, require_stage)
    known = index.memo.get(key)
    if known is not None:
        return known  # type: ignore[return-value]
    chosen: list[Suggestion] = []
    by_actor: dict[str, int] = {}
    for candidate in index.ranked(query, require_stage=require_stage) if limit else ():
        actor = candidate.offer.actor
        if by_actor.get(actor, 0) >= per_actor:
            continue
        by_actor[actor] = by_actor.get(actor, 0) + 1
        chosen.append(Suggestion(offer=candidate.offer, actor=index.actors.get(actor),
                                 rank=len(chosen) + 1, score=candidate.score,
                                 reasons=_reasons(candidate, query, index)))
        if len(chosen) == limit:
            break
    result = index.memo[key] = tuple(chosen)
    return result


def orient(bundle_or_index: Bundle | OfferIndex, target: Target, *, limit: int = 5,
           per_actor: int = 2, today: dt.date | None = None,
           territories: Territories | None = None,
           session: Session | None = None) -> tuple[Suggestion, ...]:
    """The best ``limit`` offers for ``target``, ranked, with their reasons.

    :param bundle_or_index: an index built once (to orient many targets), or a bundle.
    :param today: the day offers must be valid on (default: an index's own day; for a bundle,
        the day it was generated).
    :param session: for a bundle, where the territories, vocabularies and diagnostic tools
        come from (:func:`pmae.session` by default; ``territories=`` overrides its); an index
        already holds them.
    :raises OrientationError: for a target without a commune, or an index of another day.
    :raises pmae.territories.TerritoryError: if the target's commune is not a known territory.
    """
    index = _index(bundle_or_index, today, territories, session)
    return _select(index, index.query_for(target), limit=limit, per_actor=per_actor)


def pathway(bundle_or_index: Bundle | OfferIndex, target: Target, *,
            today: dt.date | None = None, limit: int = 3, per_actor: int = 1,
            territories: Territories | None = None, session: Session | None = None,
            ) -> tuple[tuple[str, tuple[Suggestion, ...]], ...]:
    """Who welcomes, informs, raises awareness, advises, trains, supports and follows up: for
    each stage of the support chain, the offers at exactly that stage for the target's theme
    (all themes for an association). An empty stage is a gap of the territorial offer.
    Arguments as for :func:`orient`."""
    index = _index(bundle_or_index, today, territories, session)
    query = index.query_for(target)
    return tuple(
        (stage, _select(index, attrs.evolve(query, stage=stage), limit=limit,
                        per_actor=per_actor, require_stage=stage))
        for stage in index.vocabularies["stages"].codes())


# --- the needs of an association, and offers left out by their dates ---------------------------

#: The statuses of a need still waiting for an answer (not in progress, met or closed).
OPEN_STATUSES: Final = ("ouvert", "oriente")


def open_needs(bundle: Bundle, association_id: str) -> tuple[Need, ...]:
    """The needs of the association still waiting (``ouvert``, ``oriente``), most urgent first:
    priority (1 first), then intensity (highest first), then the oldest, then by id."""
    waiting = [n for n in bundle.needs
               if n.association == association_id and n.status in OPEN_STATUSES]
    return tuple(sorted(waiting, key=lambda n: (
        n.priority, -(n.intensity if n.intensity is not None else -1.0), n.date, n.id)))


@attrs.define(kw_only=True, frozen=True)
class NeedOrientation:
    """One need of an association and the offers proposed for it (empty: none in force), with
    those that would have been proposed but are not in force on the reference date."""

    need: Need
    suggestions: tuple[Suggestion, ...]
    excluded: tuple[Suggestion, ...] = ()


def orient_needs(index: OfferIndex, association_id: str, *, limit: int = 3,
                 per_actor: int = 1) -> tuple[NeedOrientation, ...]:
    """Each open need of the association (:func:`open_needs`), most urgent first, with its
    offers (:func:`orient`) and the offers excluded by their dates (:func:`excluded_by_date`).

    :raises OrientationError: no such association, or a need that cannot be placed.
    """
    index.association(association_id)
    undated = _undated(index)
    return tuple(
        NeedOrientation(need=need, suggestions=orient(index, need, limit=limit,
                                                      per_actor=per_actor),
                        excluded=excluded_by_date(index, need, limit=limit,
                                                  per_actor=per_actor, undated=undated))
        for need in open_needs(index.bundle, association_id))


def _undated(index: OfferIndex) -> OfferIndex | None:
    """The index of the same bundle where the offers not in force on its day are in force
    (their dates dropped); ``None`` when every offer is in force."""
    kept = {offer.id for offer in index.offers}
    if len(kept) == len(index.bundle.offers):
        return None
    offers = tuple(o if o.id in kept else attrs.evolve(o, valid_from=None, valid_until=None)
                   for o in index.bundle.offers)
    return OfferIndex(bundle=index.bundle.with_collections({"offers": offers}),
                      territories=index.territories, today=index.today,
                      vocabularies=index.vocabularies, orient_to=index.orient_to)


def excluded_by_date(index: OfferIndex, target: Target, *, limit: int = 5,
                     per_actor: int = 2, undated: OfferIndex | None = None,
                     ) -> tuple[Suggestion, ...]:
    """The offers that would have been among the ``limit`` proposed for ``target`` were they
    in force on the index's day: expired (``valid_until`` before it) or not started yet
    (``valid_from`` after it). Each as it would have been suggested, with the offer's dates.

    :param undated: the index with those offers' dates dropped, when already built.
    """
    other = undated if undated is not None else _undated(index)
    if other is None:
        return ()
    kept = {offer.id for offer in index.offers}
    dated = {offer.id: offer for offer in index.bundle.offers}
    return tuple(attrs.evolve(s, offer=dated[s.offer.id])
                 for s in orient(other, target, limit=limit, per_actor=per_actor)
                 if s.offer.id not in kept)


# --- referrals --------------------------------------------------------------------------------


def referrals_for(suggestions: Sequence[Suggestion], *, need: Need, by: str, date: dt.date,
                  id_prefix: str) -> tuple[Referral, ...]:
    """``Referral`` records (outcome ``propose``) for ``need`` to each suggested offer.

    Ids are ``<id_prefix>-<rank>``; referrals are restricted to the need's recipients.
    """
    return tuple(
        Referral(id=f"{id_prefix}-{s.rank}", need=need.id, offer=s.offer.id, by=by, date=date,
                 outcome="propose", visibility="restricted", recipients=need.recipients)
        for s in suggestions)


def next_referral_prefix(bundle: Bundle) -> str:
    """``<source slug>:orientation-<n>``, n past every number used, for :func:`referrals_for`."""
    slug = bundle.source.slug
    pattern = re.compile(rf"^{re.escape(slug)}:orientation-(\d+)(?:-|$)")
    numbers = [int(m[1]) for r in bundle.referrals if (m := pattern.match(r.id))]
    return f"{slug}:orientation-{max(numbers, default=0) + 1}"


def record_referrals(bundle: Bundle, referrals: Sequence[Referral]) -> Bundle:
    """``bundle`` with ``referrals`` added and their needs still ``ouvert`` marked ``oriente``.

    A referral of a need to an offer the bundle already refers it to is not added again.

    :raises ValueError: if a referral's id is already used in the bundle.
    """
    taken = bundle.index()
    used = [r.id for r in referrals if r.id in taken]
    if used:
        raise ValueError(_("id {id!r} is already used in the bundle").format(id=used[0]))
    known = {(r.need, r.offer) for r in bundle.referrals}
    referrals = [r for r in referrals if (r.need, r.offer) not in known]
    oriented = {r.need for r in referrals}
    needs = tuple(attrs.evolve(n, status="oriente") if n.id in oriented and n.status == "ouvert"
                  else n for n in bundle.needs)
    return bundle.with_collections({"referrals": (*bundle.referrals, *referrals),
                                    "needs": needs})
