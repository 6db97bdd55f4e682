"""A readable summary of a bundle: who supports, with what, the needs, the year's meetings.

The figures are computed here and rendered separately, so the command line, the HTML report and
plugins can show the same numbers in their own way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import attrs

from pmae.model import Actor, Bundle, Meeting
from pmae.territories import Territories, TerritoryError, core_territories
from pmae.vocab import Vocabulary, core_vocabularies

#: Key used for actors that work beyond a single département.
BEYOND_ONE_DEPARTEMENT = "*"


@attrs.define(kw_only=True, frozen=True)
class Summary:
    """The figures of :func:`summarize`."""

    source: str
    counts: Mapping[str, int]
    actors_by_type: Mapping[str, int]
    actors_by_departement: Mapping[str, int]
    offers_by_theme_stage: Mapping[str, Mapping[str, int]]
    needs_by_theme: Mapping[str, int]
    meetings: tuple[Meeting, ...]


def actor_departement(actor: Actor, territories: Territories) -> str:
    """The département an actor belongs to: its commune's, or the one it serves alone.

    Returns :data:`BEYOND_ONE_DEPARTEMENT` for actors serving a région or several départements.
    """
    try:
        if actor.territories:
            served = {d for code in actor.territories for d in territories.departements(code)}
            if len(served) == 1:
                return served.pop()
            return BEYOND_ONE_DEPARTEMENT
        if actor.commune:
            (departement,) = territories.departements(actor.commune)
            return departement
    except (TerritoryError, ValueError):
        pass
    return BEYOND_ONE_DEPARTEMENT


def summarize(bundle: Bundle, *, territories: Territories | None = None) -> Summary:
    """Count actors, offers, needs and list the meetings of a bundle."""
    territories = territories or core_territories()
    theme_stage: dict[str, Counter[str]] = {}
    for offer in bundle.offers:
        for theme in offer.themes:
            row = theme_stage.setdefault(theme, Counter())
            for stage in offer.stages:
                row[stage] += 1
    return Summary(
        source=bundle.source.name,
        counts=bundle.counts(),
        actors_by_type=dict(Counter(a.actor_type for a in bundle.actors).most_common()),
        actors_by_departement=dict(sorted(Counter(
            actor_departement(a, territories) for a in bundle.actors).items())),
        offers_by_theme_stage={t: dict(c) for t, c in theme_stage.items()},
        needs_by_theme=dict(Counter(n.theme for n in bundle.needs).most_common()),
        meetings=tuple(sorted(bundle.meetings, key=lambda m: m.start)),
    )


_TEXT: dict[str, dict[str, str]] = {
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
_COLLECTION_WORDS: dict[str, dict[str, str]] = {
    "fr": {"actors": "acteur", "offers": "offre", "associations": "association",
           "diagnoses": "diagnostic", "needs": "besoin", "referrals": "orientation",
           "meetings": "réunion", "productions": "production",
           "resources": "ressource", "programmes": "programme"},
    "en": {"actors": "actor", "offers": "offer", "associations": "association",
           "diagnoses": "diagnosis", "needs": "need", "referrals": "referral",
           "meetings": "meeting", "productions": "production",
           "resources": "resource", "programmes": "programme"},
}


#: Column headings of the stages, short enough for a terminal table.
STAGE_HEADINGS: dict[str, dict[str, str]] = {
    "fr": {"accueil": "Accueil", "information": "Inform.", "sensibilisation": "Sensib.",
           "conseil": "Conseil", "formation": "Format.", "appui": "Appui", "suivi": "Suivi"},
    "en": {"accueil": "Welcome", "information": "Inform.", "sensibilisation": "Aware.",
           "conseil": "Advice", "formation": "Training", "appui": "Support", "suivi": "Follow"},
}


def _plural(word: str, count: int, lang: str) -> str:
    if count < 2:
        return word
    if lang == "en" and word == "diagnosis":
        return "diagnoses"
    return word + "s"


def render_text(
    summary: Summary, *, lang: str = "fr", vocabularies: Mapping[str, Vocabulary] | None = None,
    territories: Territories | None = None,
) -> str:
    """The summary as plain text for a terminal (French by default)."""
    vocabularies = vocabularies or core_vocabularies()
    territories = territories or core_territories()
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
        lines.append(f"  {meeting.start:%Y-%m-%d}  {meeting.title}")
        lines.append(f"              {' · '.join(details)}")
    return "\n".join(lines) + "\n"
