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

Every suggestion carries its :class:`Reason` values, rendered in French (or English).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from pmae.analysis.offer_index import Candidate, OfferIndex, OrientationError, Query
from pmae.model import Actor, Association, Bundle, Need, Offer, Referral
from pmae.territories import Territories, core_territories
from pmae.vocab import Vocabulary, core_vocabularies

__all__ = [
    "OfferIndex",
    "OrientationError",
    "Query",
    "Reason",
    "Suggestion",
    "next_referral_prefix",
    "orient",
    "pathway",
    "record_referrals",
    "referrals_for",
    "render_pathway",
    "render_suggestions",
    "suggestion_to_json",
]

Target = Association | Need | Query


@attrs.define(kw_only=True, frozen=True)
class Reason:
    """Why an offer is proposed: a stable ``code`` and its ``params``, rendered on demand.

    Codes: ``territoire`` (niveau, territoire), ``theme`` (theme), ``etape`` (etape, accord:
    exact/voisine/autre, cible, motif: souhaitee/alerte/premier_contact), ``acteur`` (type),
    ``eligibilite`` (critere: taille/secteur/format, valeur), ``validite`` (jusqu_au),
    ``cout`` (cout).
    """

    code: str
    params: Mapping[str, str]

    def render(self, lang: str = "fr", vocabularies: Mapping[str, Vocabulary] | None = None,
               territories: Territories | None = None) -> str:
        """One line for network staff, in French (``lang="en"``: English)."""
        vocabularies = vocabularies or core_vocabularies()
        text = _TEXTS[lang]
        p = self.params

        def label(vocabulary: str, code: str) -> str:
            return vocabularies[vocabulary].label(code, lang) if vocabulary in vocabularies \
                else code

        if self.code == "territoire":
            code = p["territoire"]
            name = (territories or core_territories()).name(code)
            where = f"{name} ({code})" if name else code
            level = text["levels"].get(p["niveau"], text["other_level"].format(p["niveau"]))
            return str(text["territoire"].format(where=where, level=level))
        if self.code == "theme":
            return str(text["theme"].format(label("themes", p["theme"])))
        if self.code == "etape":
            why = text["motifs"][p["motif"]]
            stage, target = label("stages", p["etape"]), label("stages", p["cible"])
            return str(text["etape_" + p["accord"]].format(stage=stage, target=target, why=why))
        if self.code == "acteur":
            return str(text["acteur"].format(label("actor_types", p["type"])))
        if self.code == "eligibilite":
            vocabulary = {"taille": "size_bands", "secteur": "sectors",
                          "format": "offer_formats"}[p["critere"]]
            return str(text["eligibilite"].format(what=text["criteres"][p["critere"]],
                                                  value=label(vocabulary, p["valeur"])))
        if self.code == "validite":
            return str(text["validite"].format(p["jusqu_au"]))
        if self.code == "cout":
            return str(text["cout"].format(label("costs", p["cout"])))
        return f"{self.code} {dict(p)}"


_TEXTS: dict[str, dict[str, Any]] = {
    "fr": {
        "territoire": "territoire : {where}, {level}",
        "levels": {"com": "la commune même", "epci": "son intercommunalité",
                   "dep": "son département", "ancienne_region": "son ancienne région",
                   "reg": "sa région", "fr": "toute la France"},
        "other_level": "un territoire qui la contient ({})",
        "theme": "thème : {}",
        "motifs": {"souhaitee": "l'étape souhaitée", "alerte": "après une alerte du diagnostic",
                   "premier_contact": "pour un premier contact"},
        "etape_exact": "étape : {stage}, {why}",
        "etape_voisine": "étape : {stage}, voisine de l'étape « {target} » ({why})",
        "etape_autre": "étape : {stage}, plus éloignée de l'étape « {target} » ({why})",
        "acteur": "acteur : {}, conseillé après une alerte",
        "eligibilite": "éligibilité : {what} {value}",
        "criteres": {"taille": "taille", "secteur": "secteur", "format": "format"},
        "validite": "valable jusqu'au {}",
        "cout": "coût : {}",
    },
    "en": {
        "territoire": "territory: {where}, {level}",
        "levels": {"com": "the commune itself", "epci": "its intercommunality",
                   "dep": "its département", "ancienne_region": "its former région",
                   "reg": "its région", "fr": "all of France"},
        "other_level": "a territory containing it ({})",
        "theme": "theme: {}",
        "motifs": {"souhaitee": "the wished stage", "alerte": "after an alert of the diagnosis",
                   "premier_contact": "for a first contact"},
        "etape_exact": "stage: {stage}, {why}",
        "etape_voisine": "stage: {stage}, next to {target} ({why})",
        "etape_autre": "stage: {stage}, further from {target} ({why})",
        "acteur": "actor: {}, recommended after an alert",
        "eligibilite": "eligibility: {what} {value}",
        "criteres": {"taille": "size", "secteur": "sector", "format": "format"},
        "validite": "valid until {}",
        "cout": "cost: {}",
    },
}


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
           territories: Territories | None) -> OfferIndex:
    if isinstance(bundle_or_index, OfferIndex):
        if today is not None and today != bundle_or_index.today:
            raise OrientationError(f"the index holds the offers valid on "
                                   f"{bundle_or_index.today}, not {today}: build another")
        return bundle_or_index
    return OfferIndex.build(bundle_or_index, today=today, territories=territories)


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
        raise ValueError("limit must be >= 0 and per_actor >= 1")
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
           territories: Territories | None = None) -> tuple[Suggestion, ...]:
    """The best ``limit`` offers for ``target``, ranked, with their reasons.

    :param bundle_or_index: an index built once (to orient many targets), or a bundle.
    :param today: the day offers must be valid on (default: today; an index's own day).
    :raises OrientationError: for a target without a commune, or an index of another day.
    :raises pmae.territories.TerritoryError: if the target's commune is not a known territory.
    """
    index = _index(bundle_or_index, today, territories)
    return _select(index, index.query_for(target), limit=limit, per_actor=per_actor)


def pathway(bundle_or_index: Bundle | OfferIndex, target: Target, *,
            today: dt.date | None = None, limit: int = 3, per_actor: int = 1,
            territories: Territories | None = None,
            ) -> tuple[tuple[str, tuple[Suggestion, ...]], ...]:
    """Who welcomes, informs, raises awareness, advises, trains, supports and follows up: for
    each stage of the support chain, the offers at exactly that stage for the target's theme
    (all themes for an association). An empty stage is a gap of the territorial offer."""
    index = _index(bundle_or_index, today, territories)
    query = index.query_for(target)
    return tuple(
        (stage, _select(index, attrs.evolve(query, stage=stage), limit=limit,
                        per_actor=per_actor, require_stage=stage))
        for stage in index.vocabularies["stages"].codes())


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
        raise ValueError(f"id {used[0]!r} is already used in the bundle")
    known = {(r.need, r.offer) for r in bundle.referrals}
    referrals = [r for r in referrals if (r.need, r.offer) not in known]
    oriented = {r.need for r in referrals}
    needs = tuple(attrs.evolve(n, status="oriente") if n.id in oriented and n.status == "ouvert"
                  else n for n in bundle.needs)
    return bundle.with_collections({"referrals": (*bundle.referrals, *referrals),
                                    "needs": needs})


def suggestion_to_json(suggestion: Suggestion, *, lang: str = "fr",
                       vocabularies: Mapping[str, Vocabulary] | None = None,
                       territories: Territories | None = None) -> dict[str, Any]:
    """A suggestion as JSON-ready data, each reason with its code, params and text."""
    actor = suggestion.actor
    return {
        "rank": suggestion.rank, "score": suggestion.score, "offer": suggestion.offer.id,
        "title": suggestion.offer.title, "actor": suggestion.offer.actor,
        "actor_name": actor.name if actor else None,
        "actor_type": actor.actor_type if actor else None,
        "reasons": [{"code": r.code, "params": dict(r.params),
                     "text": r.render(lang, vocabularies, territories)}
                    for r in suggestion.reasons],
    }


# --- rendering --------------------------------------------------------------------------------

_LIST_TEXTS: dict[str, dict[str, str]] = {
    "fr": {"title": "Orientation", "pathway": "Parcours", "theme": "thème",
           "stage": "étape souhaitée", "first": "premier contact", "alert": "alerte",
           "none": "Aucune offre ne correspond sur ce territoire.",
           "gap": "Aucune offre à l'étape souhaitée ({stage}) sur ce territoire{theme} : un manque "
                  "de l'offre territoriale.",
           "for_theme": " pour ce thème", "empty": "aucune offre sur ce territoire"},
    "en": {"title": "Orientation", "pathway": "Pathway", "theme": "theme",
           "stage": "wished stage", "first": "first contact", "alert": "alert",
           "none": "No offer fits on this territory.",
           "gap": "No offer at the wished stage ({stage}) on this territory{theme}: a gap in "
                  "the territorial offer.",
           "for_theme": " for this theme", "empty": "no offer on this territory"},
}


def _heading(word: str, query: Query, lang: str, vocabularies: Mapping[str, Vocabulary],
             territories: Territories) -> str:
    text = _LIST_TEXTS[lang]
    name = territories.name(query.commune) if territories.exists(query.commune) else None
    parts = [f"{name} ({query.commune})" if name else query.commune]
    if query.theme:
        parts.append(f"{text['theme']} {vocabularies['themes'].label(query.theme, lang)}")
    if query.stage:
        parts.append(f"{text['stage']} {vocabularies['stages'].label(query.stage, lang)}")
    elif query.alert:
        parts.append(text["alert"])
    elif query.first_contact:
        parts.append(text["first"])
    return f"{word}{' :' if lang == 'fr' else ':'} " + " · ".join(parts)


def _offer_line(suggestion: Suggestion, lang: str,
                vocabularies: Mapping[str, Vocabulary]) -> str:
    actor = suggestion.actor
    who = (f"{actor.name} ({vocabularies['actor_types'].label(actor.actor_type, lang)})"
           if actor else suggestion.offer.actor)
    return f"{suggestion.offer.title} — {who} [{suggestion.offer.id}]"


def render_suggestions(query: Query, suggestions: Sequence[Suggestion], *, lang: str = "fr",
                       vocabularies: Mapping[str, Vocabulary] | None = None,
                       territories: Territories | None = None) -> str:
    """The ranked offers with their reasons, as text for a terminal; says when no offer is at
    the wished stage (a gap of the territorial offer)."""
    vocabularies = vocabularies or core_vocabularies()
    territories = territories or core_territories()
    text = _LIST_TEXTS[lang]
    lines = [_heading(text["title"], query, lang, vocabularies, territories)]
    for s in suggestions:
        lines.append(f"{s.rank:>2}. {_offer_line(s, lang, vocabularies)}")
        lines += [f"    - {r.render(lang, vocabularies, territories)}" for r in s.reasons]
    if not suggestions:
        lines.append(text["none"])
    elif query.stage and not any(query.stage in s.offer.stages for s in suggestions):
        lines.append(text["gap"].format(
            stage=vocabularies["stages"].label(query.stage, lang),
            theme=text["for_theme"] if query.theme else ""))
    return "\n".join(lines) + "\n"


def render_pathway(query: Query, steps: Sequence[tuple[str, Sequence[Suggestion]]], *,
                   lang: str = "fr", vocabularies: Mapping[str, Vocabulary] | None = None,
                   territories: Territories | None = None) -> str:
    """The pathway stage by stage: the offers at each stage, or that there is none."""
    vocabularies = vocabularies or core_vocabularies()
    territories = territories or core_territories()
    plain = attrs.evolve(query, stage=None, first_contact=False, alert=False)
    lines = [_heading(_LIST_TEXTS[lang]["pathway"], plain, lang,
                      vocabularies, territories)]
    for stage, suggestions in steps:
        lines.append(vocabularies["stages"].label(stage, lang))
        if not suggestions:
            lines.append(f"    {_LIST_TEXTS[lang]['empty']}")
        for s in suggestions:
            lines.append(f"    {s.rank}. {_offer_line(s, lang, vocabularies)}")
            lines.append(f"       {s.reasons[0].render(lang, vocabularies, territories)}")
    return "\n".join(lines) + "\n"
