"""The report's "Plan d'action" and "Pratiques" pages.

*Plan d'action*: the responses of the bundle (as the audience sees them) grouped by status, in
the order of ``response_statuses``, each with what it answers, who carries it and, for those
that created offers, what changed (:func:`pmae.analysis.plan_status.follow`, worded by
:func:`pmae.render.plan.describe_effect`). *Pratiques*: the practices by theme, one anchor per
theme (``pratiques.html#theme-<code>``) that the thematic sheets of that theme link to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from pmae.analysis.plan_status import follow
from pmae.render.labels import Labels
from pmae.render.plan import describe_effect

if TYPE_CHECKING:
    from pmae.model import Bundle
    from pmae.sessions import Session

__all__ = ["PAGES", "PRACTICES_PAGE", "TEXT", "nav_entries", "practice_anchor", "write_pages"]

#: The practices page, whose ``#theme-<code>`` anchors the thematic sheets link to.
PRACTICES_PAGE: Final = "pratiques.html"
#: The pages this module writes.
PAGES: Final = ("plan.html", PRACTICES_PAGE)

#: The wording of both pages, by language.
TEXT: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "plan": "Plan d'action", "practices": "Pratiques",
        "plan_intro": "Les réponses collectives de la démarche aux besoins observés : ce "
                      "qu'elles traitent, qui les porte et, pour celles qui ont créé des "
                      "offres, ce qui a changé dans la couverture (calculé à partir des "
                      "données).",
        "no_response": "Aucune réponse enregistrée.",
        "answers": "Traite", "carried": "Portée par", "decided": "Décidée le",
        "changed": "Ce qui a changé",
        "practices_intro": "Les pratiques et savoir-faire repérés en rencontre ou chez un "
                           "acteur, par thème.",
        "no_practice": "Aucune pratique enregistrée.", "presented": "Présentée à",
        "resources": "Ressources", "held_by": "Portée par",
    },
    "en": {
        "plan": "Action plan", "practices": "Practices",
        "plan_intro": "The collective responses of the démarche to the needs observed: what "
                      "they answer, who carries them and, for those that created offers, "
                      "what changed in the coverage (computed from the data).",
        "no_response": "No response recorded.",
        "answers": "Answers", "carried": "Carried by", "decided": "Decided on",
        "changed": "What changed",
        "practices_intro": "The practices and expertise brought out at meetings or by an "
                           "actor, by theme.",
        "no_practice": "No practice recorded.", "presented": "Presented at",
        "resources": "Resources", "held_by": "Held by",
    },
}


def practice_anchor(theme: str) -> str:
    """The anchor of a theme on the practices page: ``theme-dialogue_social``."""
    return f"theme-{theme}"


def nav_entries(lang: str) -> list[tuple[str, str]]:
    """The navigation entries of the two pages."""
    text = TEXT[lang]
    return [("plan.html", text["plan"]), ("pratiques.html", text["practices"])]


def _responses(bundle: Bundle, labels: Labels, today: dt.date,
               session: Session) -> list[dict[str, Any]]:
    names = {a.id: a.name for a in bundle.actors}
    meetings = {m.id: m.title for m in bundle.meetings}
    statuses = session.vocabularies["response_statuses"].codes()
    groups = []
    followed = follow(bundle, today=today, session=session)
    for status in statuses:
        items = [f for f in followed if f.response.status == status]
        if not items:
            continue
        groups.append({"status": labels.code("response_statuses", status), "items": [{
            "response": f.response,
            "answers": " · ".join(part for part in (
                ", ".join(labels.code("themes", t) for t in f.response.themes),
                ", ".join(labels.code("stages", s) for s in f.response.stages),
                ", ".join(labels.territory(t) for t in f.response.territories)) if part),
            "carriers": [names.get(a, a) for a in f.response.actors],
            "meeting": meetings.get(f.response.meeting or ""),
            "changed": describe_effect(f.effect, lang=labels.lang, session=session)
            if f.effect else [],
        } for f in items]})
    return groups


def _practices(bundle: Bundle, labels: Labels) -> list[dict[str, Any]]:
    names = {a.id: a.name for a in bundle.actors}
    meetings = {m.id: m.title for m in bundle.meetings}
    resources = {r.id: r for r in bundle.resources}
    themes = labels.vocabularies["themes"].codes()
    used = {t for p in bundle.practices for t in p.themes}
    order = [t for t in themes if t in used] + sorted(used - set(themes))
    return [{"theme": theme, "label": labels.code("themes", theme),
             "anchor": practice_anchor(theme), "items": [{
                 "practice": p, "actors": [names.get(a, a) for a in p.actors],
                 "meeting": meetings.get(p.meeting or ""),
                 "resources": [resources[r] for r in p.resources if r in resources]}
                 for p in bundle.practices if theme in p.themes]}
            for theme in order]


def write_pages(write: Callable[..., None], bundle: Bundle, *, labels: Labels,
                today: dt.date, session: Session) -> None:
    """Write both pages with the report's ``write(name, template, **context)``."""
    text = TEXT[labels.lang]
    write("plan.html", "plan.html.j2", title=text["plan"], p=text,
          groups=_responses(bundle, labels, today, session))
    write("pratiques.html", "pratiques.html.j2", title=text["practices"], p=text,
          themes=_practices(bundle, labels))
