"""The orientation sheet of one association: its diagnosis in a few lines, its needs still
waiting, and for each the offers proposed with how to reach their actor.

It is a page for the network (``network`` audience): the offers and actors are those the
network may see, contacts included; the association, its diagnosis and its needs are those of
the bundle, so the sheet is handed to partners, never published. It uses the printable A4
style of the thematic sheets, and prints to PDF the same way (:func:`~pmae.render.sheets.
to_pdf`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import attrs

from pmae.analysis.orientation import NeedOrientation, OfferIndex, Suggestion, orient_needs
from pmae.io.audience import filter_bundle
from pmae.model import Actor, Association, Bundle, Diagnosis
from pmae.render.labels import format_date
from pmae.render.orientation_needs import render_excluded
from pmae.render.sheets.render import html_environment
from pmae.sessions import Session
from pmae.sessions import session as current_session

__all__ = ["OrientationSheet", "build_orientation_sheet", "orientation_html"]

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "brand": "Démarche PMAE", "title": "Fiche d'orientation", "date": "au {date}",
        "audience": "diffusion : réseau (données de l'association, ne pas publier)",
        "diagnosis": "Le diagnostic", "no_diagnosis": "Aucun diagnostic enregistré.",
        "needs": "Les besoins en attente, du plus urgent au moins urgent",
        "no_need": "Aucun besoin en attente (ouvert ou orienté).",
        "priority": "priorité {}", "stage": "étape souhaitée",
        "no_offer": "Aucune offre en vigueur ne correspond sur ce territoire : un manque de "
                    "l'offre territoriale.",
        "reach": "contact", "footer": "Orientation proposée par pmae à partir du diagnostic",
        "made_with": "pmae {version}",
        "tool": "{tool}, le {date}", "completeness": "réponses complètes à {pct} %",
        "levels": "niveaux : {levels}", "alerts": "{n} alerte(s)", "derived": "{n} besoin(s) "
                  "repéré(s)",
    },
    "en": {
        "brand": "PMAE", "title": "Orientation sheet", "date": "on {date}",
        "audience": "for the network (the association's data: do not publish)",
        "diagnosis": "The diagnosis", "no_diagnosis": "No diagnosis recorded.",
        "needs": "The waiting needs, most urgent first",
        "no_need": "No waiting need (open or oriented).",
        "priority": "priority {}", "stage": "wished stage",
        "no_offer": "No offer in force fits on this territory: a gap in the territorial offer.",
        "reach": "contact", "footer": "Orientation proposed by pmae from the diagnosis",
        "made_with": "pmae {version}",
        "tool": "{tool}, on {date}", "completeness": "{pct}% of the answers given",
        "levels": "levels: {levels}", "alerts": "{n} alert(s)", "derived": "{n} need(s) found",
    },
}


@attrs.define(kw_only=True, frozen=True)
class OrientationSheet:
    """What the orientation sheet of an association shows; :func:`orientation_html` lays it
    out."""

    association: Association
    #: The reference date: the offers in force that day are proposed.
    date: dt.date
    lang: str
    #: Where the association is (the commune's name and code), or ``None``.
    place: str | None
    #: Its latest diagnosis, and that diagnosis in a few lines.
    diagnosis: Diagnosis | None
    diagnosis_lines: tuple[str, ...]
    #: Each waiting need, most urgent first, with its offers.
    needs: tuple[NeedOrientation, ...]


def _diagnosis_lines(diagnosis: Diagnosis, session: Session, lang: str) -> tuple[str, ...]:
    text = _TEXT[lang]
    try:
        tool = session.diagnostic(diagnosis.tool)
        title = tool.questionnaire.get("title", {}).get(lang) or tool.title
    except LookupError:
        title = diagnosis.tool
    lines = [text["tool"].format(tool=title, date=format_date(diagnosis.date, lang))]
    facts = []
    if diagnosis.completeness is not None:
        facts.append(text["completeness"].format(pct=round(diagnosis.completeness * 100)))
    facts.append(text["alerts"].format(n=len(diagnosis.alerts)))
    facts.append(text["derived"].format(n=len(diagnosis.needs)))
    lines.append(" · ".join(facts))
    if diagnosis.levels:
        lines.append(text["levels"].format(levels=", ".join(
            f"{dimension} : {level}" if lang == "fr" else f"{dimension}: {level}"
            for dimension, level in diagnosis.levels.items())))
    return tuple(lines)


def build_orientation_sheet(bundle: Bundle, association_id: str, *,
                            today: dt.date | None = None, limit: int = 3, per_actor: int = 1,
                            lang: str | None = None,
                            session: Session | None = None) -> OrientationSheet:
    """The orientation sheet of the association ``association_id`` of ``bundle``.

    :param today: the reference date (default: the session's ``as_of``).
    :param limit: offers proposed per need; ``per_actor`` at most this many of one actor.
    :raises pmae.analysis.offer_index.OrientationError: no such association, or one that
        cannot be placed.
    """
    s = current_session(session)
    lang = lang or s.lang
    visible = filter_bundle(bundle, "network")
    data = bundle.with_collections({"offers": visible.offers, "actors": visible.actors})
    index = OfferIndex.build(data, today=today or s.as_of, session=s)
    association = index.association(association_id)
    needs = orient_needs(index, association_id, limit=limit, per_actor=per_actor)
    diagnoses = sorted((d for d in bundle.diagnoses if d.association == association_id),
                       key=lambda d: (d.date, d.id))
    latest = diagnoses[-1] if diagnoses else None
    place = None
    if association.commune is not None:
        name = s.territories.name(association.commune)
        place = f"{name} ({association.commune})" if name else association.commune
    return OrientationSheet(
        association=association, date=index.today, lang=lang, place=place, diagnosis=latest,
        diagnosis_lines=_diagnosis_lines(latest, s, lang) if latest else (), needs=needs)


def _contacts(actor: Actor, territories: Any) -> Sequence[str]:
    reach = [value for value in (actor.email, actor.phone, actor.address) if value]
    if actor.commune:
        reach.append(territories.name(actor.commune) or actor.commune)
    return reach


def orientation_html(sheet: OrientationSheet, *, session: Session | None = None) -> str:
    """The sheet as one printable HTML page (A4, the thematic sheets' style)."""
    s = current_session(session)
    lang = sheet.lang

    def label(vocabulary: str, code: str) -> str:
        known = s.vocabularies.get(vocabulary)
        return known.label(code, lang) if known is not None else code

    def excluded(suggestion: Suggestion) -> str:
        return render_excluded((suggestion,), sheet.date, hint=False, lang=lang,
                               session=s).strip()

    template = html_environment().get_template("orientation.html.j2")
    return template.render(
        sheet=sheet, lang=lang, t=_TEXT[lang], fmt_date=lambda d: format_date(d, lang),
        version=version("pmae"), label=label, excluded=excluded,
        contacts=lambda actor: _contacts(actor, s.territories))
