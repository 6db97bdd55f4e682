"""Orientation as people read it: the reasons, the ranked offers and the pathway, in French or
English, and the suggestions as JSON-ready data with their reasons' text.

What is rendered is computed by :mod:`pmae.analysis.orientation`. Labels (themes, stages, actor
types, territories) and the language come from the session (``session=``; :func:`pmae.session`
by default); ``lang=``, ``vocabularies=`` and ``territories=`` override its.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from pmae.render.labels import format_date
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.analysis.offer_index import Query
    from pmae.analysis.orientation import Reason, Suggestion
    from pmae.sessions import Session
    from pmae.territories import Territories
    from pmae.vocab import Vocabulary

__all__ = ["render_pathway", "render_reason", "render_suggestions", "suggestion_to_json"]

#: The wording of each reason code.
_REASONS: dict[str, dict[str, Any]] = {
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

#: The wording of the lists: headings, gaps.
_LISTS: dict[str, dict[str, str]] = {
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


@attrs.define(frozen=True)
class _Wording:
    """The language and the labels a rendering uses: the session's, or the overrides."""

    lang: str
    vocabularies: Mapping[str, Vocabulary]
    territories: Territories

    @classmethod
    def of(cls, session: Session | None, lang: str | None,
           vocabularies: Mapping[str, Vocabulary] | None,
           territories: Territories | None) -> _Wording:
        """The session's language and labels, or those given."""
        s = current_session(session)
        return cls(lang or s.lang, s.vocabularies if vocabularies is None else vocabularies,
                   s.territories if territories is None else territories)

    def label(self, vocabulary: str, code: str) -> str:
        """The label of ``code``; the code itself when the vocabulary is unknown."""
        known = self.vocabularies.get(vocabulary)
        return known.label(code, self.lang) if known is not None else code

    def reason(self, reason: Reason) -> str:
        """One reason as a line of text; an unknown code shows its parameters."""
        text, p, label = _REASONS[self.lang], reason.params, self.label
        if reason.code == "territoire":
            code = p["territoire"]
            name = self.territories.name(code)
            where = f"{name} ({code})" if name else code
            level = text["levels"].get(p["niveau"], text["other_level"].format(p["niveau"]))
            return str(text["territoire"].format(where=where, level=level))
        if reason.code == "theme":
            return str(text["theme"].format(label("themes", p["theme"])))
        if reason.code == "etape":
            why = text["motifs"][p["motif"]]
            stage, target = label("stages", p["etape"]), label("stages", p["cible"])
            return str(text["etape_" + p["accord"]].format(stage=stage, target=target, why=why))
        if reason.code == "acteur":
            return str(text["acteur"].format(label("actor_types", p["type"])))
        if reason.code == "eligibilite":
            vocabulary = {"taille": "size_bands", "secteur": "sectors",
                          "format": "offer_formats"}[p["critere"]]
            return str(text["eligibilite"].format(what=text["criteres"][p["critere"]],
                                                  value=label(vocabulary, p["valeur"])))
        if reason.code == "validite":
            until = dt.date.fromisoformat(str(p["jusqu_au"]))
            return str(text["validite"].format(format_date(until, self.lang)))
        if reason.code == "cout":
            return str(text["cout"].format(label("costs", p["cout"])))
        return f"{reason.code} {dict(p)}"

    def heading(self, word: str, query: Query) -> str:
        """``Orientation : <place> · thème … · étape souhaitée …``: whom the list is for."""
        text, places = _LISTS[self.lang], self.territories
        name = places.name(query.commune) if places.exists(query.commune) else None
        parts = [f"{name} ({query.commune})" if name else query.commune]
        if query.theme:
            parts.append(f"{text['theme']} {self.label('themes', query.theme)}")
        if query.stage:
            parts.append(f"{text['stage']} {self.label('stages', query.stage)}")
        elif query.alert:
            parts.append(text["alert"])
        elif query.first_contact:
            parts.append(text["first"])
        return f"{word}{' :' if self.lang == 'fr' else ':'} " + " · ".join(parts)

    def offer_line(self, suggestion: Suggestion) -> str:
        """``<title> — <actor> (<actor type>) [<offer id>]``."""
        actor = suggestion.actor
        who = (f"{actor.name} ({self.label('actor_types', actor.actor_type)})" if actor
               else suggestion.offer.actor)
        return f"{suggestion.offer.title} — {who} [{suggestion.offer.id}]"


def render_reason(reason: Reason, *, lang: str | None = None,
                  vocabularies: Mapping[str, Vocabulary] | None = None,
                  territories: Territories | None = None,
                  session: Session | None = None) -> str:
    """One line for network staff, in the session's language (``lang="en"``: English)."""
    return _Wording.of(session, lang, vocabularies, territories).reason(reason)


def suggestion_to_json(suggestion: Suggestion, *, lang: str | None = None,
                       vocabularies: Mapping[str, Vocabulary] | None = None,
                       territories: Territories | None = None,
                       session: Session | None = None) -> dict[str, Any]:
    """A suggestion as JSON-ready data, each reason with its code, params and text."""
    wording = _Wording.of(session, lang, vocabularies, territories)
    actor = suggestion.actor
    return {
        "rank": suggestion.rank, "score": suggestion.score, "offer": suggestion.offer.id,
        "title": suggestion.offer.title, "actor": suggestion.offer.actor,
        "actor_name": actor.name if actor else None,
        "actor_type": actor.actor_type if actor else None,
        "reasons": [{"code": r.code, "params": dict(r.params), "text": wording.reason(r)}
                    for r in suggestion.reasons],
    }


def render_suggestions(query: Query, suggestions: Sequence[Suggestion], *,
                       lang: str | None = None,
                       vocabularies: Mapping[str, Vocabulary] | None = None,
                       territories: Territories | None = None,
                       session: Session | None = None) -> str:
    """The ranked offers with their reasons, as text for a terminal; says when no offer is at
    the wished stage (a gap of the territorial offer)."""
    wording = _Wording.of(session, lang, vocabularies, territories)
    text = _LISTS[wording.lang]
    lines = [wording.heading(text["title"], query)]
    for s in suggestions:
        lines.append(f"{s.rank:>2}. {wording.offer_line(s)}")
        lines += [f"    - {wording.reason(r)}" for r in s.reasons]
    if not suggestions:
        lines.append(text["none"])
    elif query.stage and not any(query.stage in s.offer.stages for s in suggestions):
        lines.append(text["gap"].format(
            stage=wording.label("stages", query.stage),
            theme=text["for_theme"] if query.theme else ""))
    return "\n".join(lines) + "\n"


def render_pathway(query: Query, steps: Sequence[tuple[str, Sequence[Suggestion]]], *,
                   lang: str | None = None,
                   vocabularies: Mapping[str, Vocabulary] | None = None,
                   territories: Territories | None = None,
                   session: Session | None = None) -> str:
    """The pathway stage by stage: the offers at each stage, or that there is none."""
    wording = _Wording.of(session, lang, vocabularies, territories)
    plain = attrs.evolve(query, stage=None, first_contact=False, alert=False)
    lines = [wording.heading(_LISTS[wording.lang]["pathway"], plain)]
    for stage, suggestions in steps:
        lines.append(wording.label("stages", stage))
        if not suggestions:
            lines.append(f"    {_LISTS[wording.lang]['empty']}")
        for s in suggestions:
            lines.append(f"    {s.rank}. {wording.offer_line(s)}")
            lines.append(f"       {wording.reason(s.reasons[0])}")
    return "\n".join(lines) + "\n"
