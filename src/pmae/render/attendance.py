"""The figures of :func:`pmae.analysis.attendance.attendance` as text for a terminal and as CSV.

:func:`attendance_text` prints the tables (by actor, most present first; by type; by
département; by year when there are several; the absent and lapsed actors; the diversity of
each meeting; with ``graph``, who met whom and the complementary actors that never met).
:func:`attendance_csv` writes one row per actor, :func:`attendance_pairs_csv` one row per pair.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TextIO

from pmae.analysis.attendance import (
    UNKNOWN,
    ActorAttendance,
    Attendance,
    Group,
    YearAttendance,
)
from pmae.analysis.summary import BEYOND_ONE_DEPARTEMENT
from pmae.io.csv_writer import safe_writer
from pmae.render.labels import format_date
from pmae.render.text import text_table
from pmae.sessions import session as current_session
from pmae.territories import Territories
from pmae.vocab import Vocabulary

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["CSV_COLUMNS", "TEXT_PAIRS", "attendance_csv", "attendance_pairs_csv",
           "attendance_text"]

#: Columns of :func:`attendance_csv`.
CSV_COLUMNS: Final = ("actor", "name", "actor_type", "departement", "registered", "attended",
                      "no_shows", "unknown", "participants", "spoke", "first_attended",
                      "last_attended")


def attendance_csv(figures: Attendance, stream: TextIO) -> None:
    """Write one row per actor (:data:`CSV_COLUMNS`); RFC 4180, CRLF line ends."""
    writer = safe_writer(stream)
    writer.writerow(CSV_COLUMNS)
    for row in figures.actors.values():
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date)
                         else v for v in (getattr(row, c) for c in CSV_COLUMNS)])


def attendance_pairs_csv(figures: Attendance, stream: TextIO) -> None:
    """Write the pairs: every pair that met, then the complementary pairs that never met."""
    writer = safe_writer(stream)
    writer.writerow(["a", "b", "a_name", "b_name", "meetings", "complementary"])
    complementary = {(e.a, e.b) for e in figures.complementary}
    rows = [(a, b, n) for (a, b), n in figures.pairs.items()]
    rows += [(e.a, e.b, 0) for e in figures.never_met_complementary()]
    for a, b, n in rows:
        writer.writerow([a, b, figures.name(a), figures.name(b), n,
                         "true" if (a, b) in complementary else "false"])


def attendance_text(figures: Attendance, lang: str | None = None, *, graph: bool = False,
                    vocabularies: Mapping[str, Vocabulary] | None = None,
                    territories: Territories | None = None,
                    session: Session | None = None) -> str:
    """Tables for a terminal; ``graph`` adds who met whom and the complementary actors that
    never met.

    :param lang: ``fr`` or ``en`` (default: the session's language).
    :param vocabularies: label actor types and themes with these (default: the session's).
    :param territories: name départements with these (default: the session's).
    :param session: default :func:`pmae.session`.
    :raises ValueError: an unknown language.
    """
    s = current_session(session)
    lang = lang or s.lang
    if lang not in _TEXT:
        raise ValueError(f"unknown language {lang!r}: expected 'fr' or 'en'")
    return _Renderer(figures, lang, vocabularies or s.vocabularies,
                     territories or s.territories).render(graph=graph)


#: Pairs shown in the text's "who met whom" (all of them are in JSON and CSV).
TEXT_PAIRS: Final = 20

_TEXT: Final[dict[str, dict[str, Any]]] = {
    "fr": {
        "title": "Participation aux réunions — {years}",
        "totals": "{meetings} réunion{meetings_s} ({cancelled} annulée{cancelled_s} écartée"
                  "{cancelled_s}) ; {registered} inscription{registered_s} : {attended} "
                  "présence{attended_s}, {no_shows} absence{no_shows_s}, {unknown} présence"
                  "{unknown_s} inconnue{unknown_s} ; {participants} personne{participants_s} "
                  "présente{participants_s}",
        "actors": "Par acteur", "by_type": "Par type d'acteur",
        "by_departement": "Par département", "by_year": "Par année",
        "head": ["inscrit", "présent", "absent", "inconnu", "personnes"],
        "actor_head": ["acteur", "type", "dép.", "intervenant", "première", "dernière"],
        "group_head": ["acteurs", "présents"], "year_head": ["année", "réunions", "présents"],
        "absent": "Jamais présents ({n})", "registered": "inscrit à {n} réunion{s}, jamais venu",
        "never_registered": "jamais inscrit",
        "lapsed": "Plus présents en {year}, présents une année précédente ({n})",
        "last": "dernière présence le {date}",
        "diversity": "Diversité des réunions (parmi les présents ; Shannon = -Σ p·ln p des types)",
        "meeting_head": ["date", "réunion", "présents", "personnes", "types", "départements",
                         "Shannon"],
        "pairs": "Qui a rencontré qui : {n} paires d'acteurs présentes à une même réunion ; "
                 "les plus fréquentes", "together": "{n} réunion{s} en commun",
        "never_met": "Acteurs complémentaires qui ne se sont jamais rencontrés ({n})",
        "none": "aucun", "beyond": "plusieurs départements / région", "unknown_dep": "inconnu",
    },
    "en": {
        "title": "Attendance at meetings — {years}",
        "totals": "{meetings} meeting{meetings_s} ({cancelled} cancelled, left out); "
                  "{registered} registration{registered_s}: {attended} attended, {no_shows} "
                  "no-show{no_shows_s}, {unknown} unknown; people present: {participants}",
        "actors": "By actor", "by_type": "By actor type",
        "by_departement": "By département", "by_year": "By year",
        "head": ["registered", "attended", "no-show", "unknown", "people"],
        "actor_head": ["actor", "type", "dep.", "speaker", "first", "last"],
        "group_head": ["actors", "present"], "year_head": ["year", "meetings", "present"],
        "absent": "Never present ({n})", "registered": "registered to {n} meeting{s}, never came",
        "never_registered": "never registered",
        "lapsed": "No longer present in {year}, present an earlier year ({n})",
        "last": "last present on {date}",
        "diversity": "Diversity of meetings (among those present; Shannon = -Σ p·ln p of types)",
        "meeting_head": ["date", "meeting", "present", "people", "types", "départements",
                         "Shannon"],
        "pairs": "Who met whom: {n} pairs of actors present at the same meeting; the most "
                 "frequent", "together": "{n} meeting{s} together",
        "never_met": "Complementary actors that never met ({n})",
        "none": "none", "beyond": "several départements / région", "unknown_dep": "unknown",
    },
}


def _plurals(counts: Mapping[str, int]) -> dict[str, int | str]:
    """``counts`` plus ``<name>_s`` (``s`` after more than one; ``n`` gives ``s``)."""
    found: dict[str, int | str] = dict(counts)
    for name, count in counts.items():
        found["s" if name == "n" else f"{name}_s"] = "s" if count > 1 else ""
    return found


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


class _Renderer:
    """The text rendering of an :class:`Attendance`."""

    def __init__(self, figures: Attendance, lang: str, vocabularies: Mapping[str, Vocabulary],
                 territories: Territories) -> None:
        self.figures, self.lang, self.text = figures, lang, _TEXT[lang]
        self.vocabularies, self.territories = vocabularies, territories

    def date(self, value: dt.date | None) -> str:
        """A date in running text, the language's way (``1er mars 2024``)."""
        return "—" if value is None else format_date(value, self.lang)

    def type_label(self, code: str) -> str:
        if code == UNKNOWN:
            return str(self.text["unknown_dep"])
        return self.vocabularies["actor_types"].label(code, self.lang)

    def departement(self, code: str, *, short: bool = False) -> str:
        if code in (BEYOND_ONE_DEPARTEMENT, UNKNOWN):
            return code if short else str(
                self.text["beyond" if code == BEYOND_ONE_DEPARTEMENT else "unknown_dep"])
        number = code.removeprefix("dep:")
        return number if short else f"{number} {self.territories.name(code) or ''}".rstrip()

    def render(self, *, graph: bool) -> str:
        f, text = self.figures, self.text
        years = ", ".join(map(str, f.years)) or "—"
        lines = [text["title"].format(years=years),
                 text["totals"].format(**_plurals(f.totals())), ""]
        head = list(text["head"])

        def counts(row: ActorAttendance | Group | YearAttendance) -> list[str]:
            return [str(row.registered), str(row.attended), str(row.no_shows), str(row.unknown),
                    str(row.participants)]

        order = sorted(f.actors.values(), key=lambda a: (-a.attended, a.name, a.actor))
        actor_head = text["actor_head"]
        rows = [[_cut(a.name, 40), _cut(self.type_label(a.actor_type), 28),
                 self.departement(a.departement, short=True), *counts(a), str(a.spoke),
                 str(a.first_attended or "—"), str(a.last_attended or "—")] for a in order]
        lines += [text["actors"], *text_table([*actor_head[:3], *head, *actor_head[3:]], rows,
                                              left=range(3)), ""]
        for title, groups, label in (("by_type", f.by_type, self.type_label),
                                     ("by_departement", f.by_departement, self.departement)):
            rows = [[_cut(label(k), 40), str(g.actors), str(g.present), *counts(g)]
                    for k, g in groups.items()]
            group_head = [actor_head[1 if title == "by_type" else 2], *text["group_head"]]
            lines += [text[title], *text_table([*group_head, *head], rows, left=(0,)), ""]
        if len(f.years) > 1:
            rows = [[str(y.year), str(y.meetings), str(y.present), *counts(y)]
                    for y in f.by_year.values()]
            lines += [text["by_year"],
                      *text_table([*text["year_head"], *head], rows, left=(0,)), ""]
        absent = f.absent()
        lines.append(text["absent"].format(n=len(absent)))
        lines += [f"  {a.name} — {self.type_label(a.actor_type)}, "
                  f"{self.departement(a.departement)} : "
                  + (text["registered"].format(**_plurals({"n": a.registered})) if a.registered
                     else text["never_registered"]) for a in absent] or [f"  {text['none']}"]
        lapsed = f.lapsed()
        lines += ["", text["lapsed"].format(year=f.latest_year or "—", n=len(lapsed))]
        lines += [f"  {r.name} — {text['last'].format(date=self.date(r.last_attended))}"
                  for r in lapsed] or [f"  {text['none']}"]
        rows = [[str(m.date), _cut(m.title, 48), str(len(m.present)), str(m.participants),
                 str(m.type_count), str(m.departement_count), self.number(m.shannon)]
                for m in f.meetings]
        lines += ["", text["diversity"], *text_table(text["meeting_head"], rows, left=range(2))]
        if graph:
            lines += ["", text["pairs"].format(n=len(f.pairs))]
            lines += [f"  {f.name(a)} — {f.name(b)} : "
                      + text["together"].format(**_plurals({"n": n}))
                      for (a, b), n in list(f.pairs.items())[:TEXT_PAIRS]] or [f"  {text['none']}"]
            never = f.never_met_complementary()
            lines += ["", text["never_met"].format(n=len(never))]
            themes = self.vocabularies["themes"]
            lines += [f"  {f.name(e.a)} — {f.name(e.b)} : "
                      + ", ".join(themes.label(t, self.lang) for t in e.themes)
                      for e in never] or [f"  {text['none']}"]
        if self.lang == "en":
            lines = [line.replace(" : ", ": ") for line in lines]
        return "\n".join(lines) + "\n"

    def number(self, value: float) -> str:
        shown = f"{value:.2f}"
        return shown.replace(".", ",") if self.lang == "fr" else shown
