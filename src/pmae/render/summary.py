"""The summary of a bundle (:func:`pmae.analysis.summary.summarize`) as text for a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from pmae.analysis.summary import BEYOND_ONE_DEPARTEMENT, Summary
from pmae.render.labels import format_date
from pmae.render.text import STAGE_HEADINGS
from pmae.sessions import session as current_session
from pmae.territories import Territories
from pmae.vocab import Vocabulary

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["summary_text"]

_TEXT: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "title": "Synthèse", "records": "Enregistrements", "actors_by_type": "Acteurs par type",
        "actors_by_dep": "Acteurs par département", "beyond": "plusieurs départements / région",
        "offers": "Offres par thème et par étape", "needs": "Besoins par thème",
        "meetings": "Réunions", "none": "aucun",
        "outside": "intervenant extérieur", "workshops": "ateliers",
        "present": "structures présentes",
    },
    "en": {
        "title": "Summary", "records": "Records", "actors_by_type": "Actors by type",
        "actors_by_dep": "Actors by département", "beyond": "several départements or the région",
        "offers": "Offers by theme and stage", "needs": "Needs by theme",
        "meetings": "Meetings", "none": "none",
        "outside": "outside speaker", "workshops": "workshops", "present": "organisations present",
    },
}
#: The word for one record of each collection, by language.
_COLLECTION_WORDS: Final[dict[str, dict[str, str]]] = {
    "fr": {"actors": "acteur", "offers": "offre", "associations": "association",
           "diagnoses": "diagnostic", "needs": "besoin", "referrals": "orientation",
           "meetings": "réunion", "productions": "production",
           "resources": "ressource", "programmes": "programme", "responses": "réponse",
           "practices": "pratique"},
    "en": {"actors": "actor", "offers": "offer", "associations": "association",
           "diagnoses": "diagnosis", "needs": "need", "referrals": "referral",
           "meetings": "meeting", "productions": "production",
           "resources": "resource", "programmes": "programme", "responses": "response",
           "practices": "practice"},
}


def _plural(word: str, count: int, lang: str) -> str:
    if count < 2:
        return word
    if lang == "en" and word == "diagnosis":
        return "diagnoses"
    return word + "s"


def summary_text(
    summary: Summary, *, lang: str | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None,
    territories: Territories | None = None, session: Session | None = None,
) -> str:
    """The summary as plain text for a terminal.

    :param lang: ``fr`` or ``en`` (default: the session's language).
    :param vocabularies: label codes with these (default: the session's).
    :param territories: name départements with these (default: the session's).
    :param session: default :func:`pmae.session`.
    """
    s = current_session(session)
    lang = lang or s.lang
    vocabularies = vocabularies or s.vocabularies
    territories = territories or s.territories
    text = _TEXT[lang]
    lines = [f"{text['title']} — {summary.source}", ""]
    counts = ", ".join(f"{n} {_plural(_COLLECTION_WORDS[lang][c], n, lang)}"
                       for c, n in summary.counts.items() if n)
    lines += [f"{text['records']} : {counts}" if lang == "fr" else f"{text['records']}: {counts}",
              ""]

    def label(vocabulary: str, code: str) -> str:
        return vocabularies[vocabulary].label(code, lang)

    lines.append(text["actors_by_type"])
    for code, count in summary.actors_by_type.items():
        lines.append(f"  {count:>5}  {label('actor_types', code)}")
    lines += ["", text["actors_by_dep"]]
    for code, count in summary.actors_by_departement.items():
        name = text["beyond"] if code == BEYOND_ONE_DEPARTEMENT else \
            f"{code.removeprefix('dep:')} {territories.name(code) or ''}".rstrip()
        lines.append(f"  {count:>5}  {name}")

    stages = vocabularies["stages"].codes()
    lines += ["", text["offers"]]
    width = max((len(label("themes", t)) for t in summary.offers_by_theme_stage), default=10)
    short = STAGE_HEADINGS[lang]
    lines.append("  " + " " * width + " " + " ".join(
        f"{short.get(s, label('stages', s)[:7]):>8}" for s in stages))
    themes = [t for t in vocabularies["themes"].codes() if t in summary.offers_by_theme_stage]
    themes += sorted(set(summary.offers_by_theme_stage) - set(themes))
    for theme in themes:
        row = summary.offers_by_theme_stage[theme]
        cells = " ".join(f"{row.get(s, 0) or '·':>8}" for s in stages)
        lines.append(f"  {label('themes', theme):<{width}} {cells}")

    lines += ["", text["needs"]]
    if not summary.needs_by_theme:
        lines.append(f"  {text['none']}")
    for code, count in summary.needs_by_theme.items():
        lines.append(f"  {count:>5}  {label('themes', code)}")

    lines += ["", text["meetings"]]
    if not summary.meetings:
        lines.append(f"  {text['none']}")
    for meeting in summary.meetings:
        present = sum(1 for r in meeting.registrations if r.attended)
        outside = [s for s in meeting.speakers if s.outside]
        details = [label("meeting_kinds", meeting.kind)]
        if outside:
            speaker = outside[0]
            # A public export has no person: the actor's id names who spoke then.
            who = speaker.organisation or (speaker.person.name if speaker.person
                                           else speaker.actor)
            details.append(f"{text['outside']} : {who}" if lang == "fr"
                           else f"{text['outside']}: {who}")
        if meeting.workshops:
            details.append(f"{len(meeting.workshops)} {text['workshops']}")
        if present:
            details.append(f"{present} {text['present']}")
        # The date as the language writes it in text (« 6 février 2025 »).
        lines.append(f"  {format_date(meeting.start.date(), lang)} — {meeting.title}")
        lines.append(f"      {' · '.join(details)}")
    return "\n".join(lines) + "\n"
