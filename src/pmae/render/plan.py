"""The action plan as people read it: candidate responses (``pmae plan``) and the responses
followed with their effect (``pmae plan status``), in French or English.

What is rendered is computed by :mod:`pmae.analysis.plan` and :mod:`pmae.analysis.plan_status`.
Labels (themes, stages, territories, statuses) come from the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from pmae.render.labels import Labels, format_date
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.analysis.plan import Candidate, Plan
    from pmae.analysis.plan_status import Effect, ResponseStatus
    from pmae.sessions import Session

__all__ = ["TEXT", "describe_effect", "render_plan", "render_plan_status", "response_title"]

#: The wording, by language.
TEXT: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "title": "Réponses à envisager au {date} : {count} zones blanches où des besoins sont "
                 "observés, par nombre d'associations concernées (diagnostic partagé publié)",
        "none": "Aucune zone blanche où des besoins sont observés.",
        "associations": "{n} associations concernées",
        "secret": "associations concernées : secret statistique",
        "no_carrier": "porteurs possibles : aucun acteur présent à proximité",
        "answered": "déjà traité par : {ids}",
        "more": "… et {n} autres (--top pour en voir plus)",
        "autre_etape": "présent à une autre étape", "territoire_voisin": "présent à côté",
        "complementaire": "complémentaire", "rencontres": "participe aux rencontres",
        "status_title": "Plan d'action : {count} réponses",
        "status_none": "Aucune réponse enregistrée.",
        "carried": "portée par {actors}", "decided": "décidée le {date}",
        "offers": "offres créées : {ids}",
        "effect": "effet : zones blanches {before} → {after} sur {cells} cases "
                  "(avant le {before_on}, au {after_on})",
        "closed": "comblées : {cells}",
        "needs_since": "besoins observés depuis : {n}",
        "needs_secret": "besoins observés depuis : secret statistique",
        "no_effect": "effet : pas d'offre créée à mesurer",
    },
    "en": {
        "title": "Responses to consider on {date}: {count} gaps where needs are observed, by "
                 "number of associations concerned (published shared diagnosis)",
        "none": "No gap where needs are observed.",
        "associations": "{n} associations concerned",
        "secret": "associations concerned: statistical secrecy",
        "no_carrier": "possible carriers: no actor present nearby",
        "answered": "already answered by: {ids}",
        "more": "… and {n} more (--top to see more)",
        "autre_etape": "present at another stage", "territoire_voisin": "present nearby",
        "complementaire": "complementary", "rencontres": "attends the meetings",
        "status_title": "Action plan: {count} responses",
        "status_none": "No response recorded.",
        "carried": "carried by {actors}", "decided": "decided on {date}",
        "offers": "offers created: {ids}",
        "effect": "effect: gaps {before} → {after} over {cells} cells "
                  "(before on {before_on}, on {after_on})",
        "closed": "closed: {cells}",
        "needs_since": "needs observed since: {n}",
        "needs_secret": "needs observed since: statistical secrecy",
        "no_effect": "effect: no offer created to measure",
    },
}


def _labels(session: Session | None, lang: str | None) -> tuple[Labels, dict[str, str]]:
    s = current_session(session)
    lang = lang or s.lang
    return Labels(lang, s.vocabularies, s.territories), TEXT[lang]


def _candidate(rank: int, c: Candidate, labels: Labels, text: dict[str, str]) -> list[str]:
    stages = ", ".join(labels.code("stages", stage) for stage in c.stages)
    concerned = (text["secret"] if c.associations is None
                 else text["associations"].format(n=c.associations))
    lines = [f"{rank}. {labels.code('themes', c.theme)} · {stages} · "
             f"{labels.territory(c.territory)} — {concerned}"]
    if c.responses:
        lines.append("   " + text["answered"].format(ids=", ".join(c.responses)))
    if not c.carriers:
        lines.append(f"   {text['no_carrier']}")
    for carrier in c.carriers:
        reasons = ", ".join(text[reason] for reason in carrier.reasons)
        lines.append(f"   - {carrier.name} [{carrier.actor}] ({reasons})")
    return lines


def response_title(candidate: Candidate, *, lang: str | None = None,
                   session: Session | None = None) -> str:
    """A response's default title for ``candidate``: ``Dialogue social (Conseil) — 07 Ardèche``."""
    labels, _ = _labels(session, lang)
    stages = ", ".join(labels.code("stages", stage) for stage in candidate.stages)
    return (f"{labels.code('themes', candidate.theme)} ({stages}) — "
            f"{labels.territory(candidate.territory)}")


def render_plan(plan: Plan, *, top: int = 10, lang: str | None = None,
                session: Session | None = None) -> str:
    """The ``top`` first candidates with their carriers, as plain text."""
    labels, text = _labels(session, lang)
    lines = [text["title"].format(date=format_date(plan.as_of, labels.lang),
                                  count=len(plan.candidates)), ""]
    if not plan.candidates:
        lines.append(text["none"])
    for rank, candidate in enumerate(plan.candidates[:top], 1):
        lines += _candidate(rank, candidate, labels, text)
    if len(plan.candidates) > top:
        lines.append(text["more"].format(n=len(plan.candidates) - top))
    return "\n".join(lines) + "\n"


def describe_effect(effect: Effect | None, *, lang: str | None = None,
                    session: Session | None = None) -> list[str]:
    """The lines that say a response's effect (see :class:`~pmae.analysis.plan_status.Effect`)."""
    labels, text = _labels(session, lang)
    if effect is None:
        return [text["no_effect"]]
    lines = [text["effect"].format(before=effect.gaps_before, after=effect.gaps_after,
                                   cells=effect.cells,
                                   before_on=format_date(effect.before_on, labels.lang),
                                   after_on=format_date(effect.after_on, labels.lang))]
    if effect.closed:
        lines.append(text["closed"].format(cells="; ".join(
            f"{labels.code('themes', h)} · {labels.code('stages', s)} · {labels.territory(t)}"
            for t, h, s in effect.closed)))
    lines.append(text["needs_secret"] if effect.needs_since is None
                 else text["needs_since"].format(n=effect.needs_since))
    return lines


def render_plan_status(statuses: Sequence[ResponseStatus], *, lang: str | None = None,
                       session: Session | None = None) -> str:
    """Each response: status, what it answers, who carries it, and its effect."""
    labels, text = _labels(session, lang)
    lines = [text["status_title"].format(count=len(statuses)), ""]
    if not statuses:
        lines.append(text["status_none"])
    for item in statuses:
        r = item.response
        scope = " · ".join(part for part in (
            ", ".join(labels.code("themes", t) for t in r.themes),
            ", ".join(labels.code("stages", s) for s in r.stages),
            ", ".join(labels.territory(t) for t in r.territories)) if part)
        lines.append(f"[{labels.code('response_statuses', r.status)}] {r.title} ({r.id})")
        if scope:
            lines.append(f"   {scope}")
        said = []
        if r.actors:
            said.append(text["carried"].format(actors=", ".join(r.actors)))
        if r.decided_on:
            said.append(text["decided"].format(date=format_date(r.decided_on, labels.lang)))
        if item.offers:
            said.append(text["offers"].format(ids=", ".join(item.offers)))
        lines += [f"   {line}" for line in said]
        lines += [f"   {line}" for line in describe_effect(item.effect, lang=labels.lang,
                                                           session=session)]
    return "\n".join(lines) + "\n"
