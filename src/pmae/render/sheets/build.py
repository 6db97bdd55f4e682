"""Build a thematic sheet from a bundle, and record it in the bundle as a ``Production``.

A sheet is computed from what the audience may see (:func:`pmae.io.audience.filter_bundle`):
the theme's description and group (from the themes vocabulary), the resources on the theme,
the support chain (for each stage, the offers in force on the theme that are open to the
associations of the département, or every offer on the theme when no département is given),
the actors of those offers, the meetings, productions and practices on the theme, the date and
sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from pmae.analysis.coverage import in_force
from pmae.i18n import gettext as _
from pmae.io.audience import check_audience, filter_bundle
from pmae.model import Bundle, Offer, Production
from pmae.render.labels import Labels, audience_label, slug
from pmae.render.sheets.model import (
    Sheet,
    SheetActor,
    SheetMeeting,
    SheetOffer,
    SheetPractice,
    SheetProduction,
    SheetResource,
    SheetSource,
    SheetStage,
)
from pmae.render.sheets.text import TEXT
from pmae.sessions import session as current_session
from pmae.territories import Territories, TerritoryError
from pmae.vocab import Vocabulary

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["as_production", "build_sheet", "build_sheets", "production_id", "record_sheets",
           "sheet_themes"]


def _check(theme: str, departement: str | None, lang: str, vocabularies: Mapping[str, Vocabulary],
           territories: Territories) -> None:
    if lang not in TEXT:
        raise ValueError(_("unknown language {lang!r}: expected 'fr' or 'en'").format(lang=lang))
    if theme not in vocabularies["themes"]:
        raise ValueError(_("unknown theme {theme!r}: `pmae vocab themes` lists them").format(
            theme=theme))
    if departement is not None:
        try:
            level = territories.parse(departement).level
        except TerritoryError as error:
            raise ValueError(str(error)) from None
        if level != "dep":
            raise ValueError(_("{code!r} is not a département (write it dep:NN)").format(
                code=departement))


def sheet_themes(bundle: Bundle, *, vocabularies: Mapping[str, Vocabulary] | None = None,
                 session: Session | None = None) -> tuple[str, ...]:
    """The themes ``bundle`` speaks of (offers, resources, meetings, productions, practices), in the
    vocabulary's order (the session's, unless ``vocabularies`` is given), then other codes
    sorted."""
    used: set[str] = set()
    for records in (bundle.offers, bundle.resources, bundle.productions, bundle.practices):
        for record in records:
            used.update(record.themes)
    for meeting in bundle.meetings:
        used.update(meeting.themes)
        for workshop in meeting.workshops:
            used.update(workshop.themes)
    known = (vocabularies or current_session(session).vocabularies)["themes"].codes()
    return tuple(c for c in known if c in used) + tuple(sorted(used - set(known)))


def build_sheet(
    bundle: Bundle, theme: str, *, departement: str | None = None, audience: str = "public",
    lang: str | None = None, today: dt.date | None = None, session: Session | None = None,
) -> Sheet:
    """The sheet of ``theme`` for ``departement`` (``dep:NN``, or every territory), showing only
    what ``audience`` may see.

    :param lang: ``fr`` or ``en`` (default: the session's language).
    :param today: the sheet's date: offers in force that day are listed (default: the
        session's ``as_of``, today).
    :param session: where vocabularies and territories come from (default:
        :func:`pmae.session`).
    :raises ValueError: unknown theme, language or audience, or a département that is not one.
    """
    return build_sheets(bundle, (theme,), departement=departement, audience=audience, lang=lang,
                        today=today, session=session)[0]


def build_sheets(
    bundle: Bundle, themes: Sequence[str] | None = None, *, departement: str | None = None,
    audience: str = "public", lang: str | None = None, today: dt.date | None = None,
    session: Session | None = None, progress: Callable[[str, int, int], None] | None = None,
) -> tuple[Sheet, ...]:
    """The sheets of ``themes`` (default: every theme the visible bundle speaks of).

    The audience filter runs once for all of them; see :func:`build_sheet`.

    :param progress: called after each sheet with ``(theme, done, total)``.
    """
    check_audience(audience)
    s = current_session(session)
    lang = lang or s.lang
    vocabularies, territories = s.vocabularies, s.territories
    visible = filter_bundle(bundle, audience)
    chosen = tuple(themes) if themes is not None else sheet_themes(visible,
                                                                   vocabularies=vocabularies)
    for theme in chosen:
        _check(theme, departement, lang, vocabularies, territories)
    labels = Labels(lang, vocabularies, territories)
    built = []
    for theme in chosen:
        built.append(_build(visible, theme, departement=departement, audience=audience,
                            lang=lang, today=today or s.as_of, labels=labels))
        if progress is not None:
            progress(theme, len(built), len(chosen))
    return tuple(built)


def _reach(offer: Offer, departement: str, territories: Territories) -> str | None:
    """``whole`` if a territory of the offer contains the département, ``local`` if one lies
    (at least partly) inside it, else ``None``."""
    if any(territories.contains(code, departement) for code in offer.territories):
        return "whole"
    for code in offer.territories:
        try:
            if departement in territories.departements(code):
                return "local"
        except TerritoryError:
            continue  # an unknown territory reaches nothing (validation reports it)
    return None


def _region_label(offers: Iterable[Offer], labels: Labels, fallback: str) -> str:
    """The name of the one région the offers lie in, else ``fallback``."""
    territories = labels.territories
    current = set(territories.regions())
    found: set[str] = set()
    for offer in offers:
        for code in offer.territories:
            try:
                deps = territories.departements(code)
            except TerritoryError:
                continue
            for dep in deps:
                found.update(a for a in territories.ancestors(dep) if a in current)
    return labels.territory(found.pop()) if len(found) == 1 else fallback


def _build(bundle: Bundle, theme: str, *, departement: str | None, audience: str, lang: str,
           today: dt.date, labels: Labels) -> Sheet:
    text = TEXT[lang]
    vocabulary = labels.vocabularies["themes"]
    term = vocabulary.get(theme)
    group = term.group if term is not None else None
    group_label = next((g.label_fr if lang == "fr" else g.label_en
                        for g in vocabulary.groups if g.code == group), None)
    actors = {a.id: a for a in bundle.actors}

    def where(codes: Iterable[str]) -> str:
        return ", ".join(labels.territory(c) for c in codes) or text["none"]

    listed: list[tuple[Offer, bool]] = []
    for offer in bundle.offers:
        if theme not in offer.themes or not in_force(offer, today):
            continue
        reach = "whole" if departement is None else _reach(offer, departement, labels.territories)
        if reach is not None:
            listed.append((offer, reach == "local"))
    listed.sort(key=lambda item: (actors[item[0].actor].name.casefold()
                                  if item[0].actor in actors else item[0].actor,
                                  item[0].title.casefold(), item[0].id))

    def entry(offer: Offer, local: bool) -> SheetOffer:
        actor = actors.get(offer.actor)
        return SheetOffer(offer=offer, actor_name=actor.name if actor else offer.actor,
                          where=where(offer.territories), local=local,
                          cost_label=labels.code("costs", offer.cost) if offer.cost else None)

    stages = labels.vocabularies["stages"].codes()
    chain = [SheetStage(stage=s, label=labels.code("stages", s),
                        offers=tuple(entry(o, local) for o, local in listed if s in o.stages))
             for s in stages]
    other = tuple(entry(o, local) for o, local in listed if not set(o.stages) & set(stages))
    if other:
        chain.append(SheetStage(stage=None, label=text["no_stage"], offers=other))
    with_offers = {o.actor for o, _ in listed}
    sheet_actors = tuple(
        SheetActor(actor=a, type_label=labels.code("actor_types", a.actor_type),
                   where=where(a.territories))
        for a in sorted(bundle.actors, key=lambda a: (a.name.casefold(), a.id))
        if a.id in with_offers)
    publishers = {a.id: a.name for a in bundle.actors}
    source_slug = bundle.source.slug

    def publisher(name: str | None) -> str | None:
        if name is None:
            return None
        return publishers.get(name) or publishers.get(f"{source_slug}:{name}") or name

    resources = tuple(
        SheetResource(resource=r, kind_label=labels.code("resource_kinds", r.kind),
                      publisher=publisher(r.publisher))
        for r in sorted(bundle.resources, key=lambda r: (r.title.casefold(), r.id))
        if theme in r.themes)
    meetings = tuple(
        SheetMeeting(meeting=m, kind_label=labels.code("meeting_kinds", m.kind),
                     workshops=tuple(w.title for w in m.workshops if theme in w.themes))
        for m in sorted(bundle.meetings, key=lambda m: (m.start, m.id))
        if theme in m.themes or any(theme in w.themes for w in m.workshops))
    productions = tuple(
        SheetProduction(production=p, kind_label=labels.code("production_kinds", p.kind))
        for p in sorted(bundle.productions, key=lambda p: (-p.year, p.title.casefold(), p.id))
        if theme in p.themes)
    sources = [SheetSource(name=bundle.source.name, url=bundle.source.url,
                           published=bundle.generated_at.date())]
    for provenance in bundle.provenance:
        source = SheetSource(name=provenance.source.name, url=provenance.source.url,
                             published=provenance.generated_at.date())
        if source not in sources:
            sources.append(source)
    theme_label = labels.code("themes", theme)
    territory = (labels.territory(departement) if departement is not None
                 else _region_label((o for o, _ in listed), labels, text["all_territories"]))
    return Sheet(
        theme=theme, title=text["title"].format(theme=theme_label), theme_label=theme_label,
        theme_description=(term.description_fr if lang == "fr" else term.description_en)
        if term is not None else "",
        group=group, group_label=group_label, lang=lang, audience=audience,
        audience_label=audience_label(audience, text), departement=departement,
        territory_label=territory, date=today, resources=resources, chain=tuple(chain),
        actors=sheet_actors, meetings=meetings, productions=productions, sources=tuple(sources),
        licence=bundle.licence, practices=_practices(bundle, theme))


def _practices(bundle: Bundle, theme: str) -> tuple[SheetPractice, ...]:
    """The practices on ``theme``, by title, with the names, meeting and resources they refer
    to. ``bundle`` is already filtered for the audience, which also cleared the references to
    what it hid; a reference to a record outside the bundle shows as its id."""
    names = {a.id: a.name for a in bundle.actors}
    meetings = {m.id: m for m in bundle.meetings}
    resources = {r.id: r for r in bundle.resources}
    listed = []
    for practice in sorted(bundle.practices, key=lambda p: (p.title.casefold(), p.id)):
        if theme not in practice.themes:
            continue
        meeting = meetings.get(practice.meeting or "")
        listed.append(SheetPractice(
            practice=practice, actor_names=tuple(names.get(a, a) for a in practice.actors),
            meeting_title=meeting.title if meeting else practice.meeting,
            meeting_date=meeting.start.date() if meeting else None,
            resources=tuple(resources[r] for r in practice.resources if r in resources)))
    return tuple(listed)


def production_id(sheet: Sheet, source: str) -> str:
    """The id a sheet is recorded under: ``<source>:essentiels-<theme>[-<dep>]-<year>``."""
    where = f"-{sheet.departement.removeprefix('dep:')}" if sheet.departement else ""
    return f"{source}:essentiels-{slug(sheet.theme)}{where.lower()}-{sheet.date.year}"


def as_production(sheet: Sheet, *, id: str, authors: Iterable[str] = ()) -> Production:
    """The sheet as a ``Production`` (kind ``fiche_thematique``) to record in a bundle.

    Its visibility follows the audience the sheet was made for: ``public`` and ``network``
    as they are, a recipient's sheet ``restricted`` to that recipient, ``all`` ``private``.
    """
    visibility = sheet.audience
    recipients: tuple[str, ...] = ()
    if sheet.audience.startswith("recipient:"):
        visibility, recipients = "restricted", (sheet.audience.removeprefix("recipient:"),)
    elif sheet.audience == "all":
        visibility = "private"
    title = sheet.title if sheet.departement is None else \
        f"{sheet.title} ({sheet.territory_label})"
    return Production(id=id, kind="fiche_thematique", title=title, year=sheet.date.year,
                      themes=(sheet.theme,), authors=tuple(authors),
                      resources=tuple(r.resource.id for r in sheet.resources),
                      status="publiee", visibility=visibility, recipients=recipients)


def _is_sheet(record: object) -> bool:
    return isinstance(record, Production) and record.kind == "fiche_thematique"


def record_sheets(bundle: Bundle, productions: Sequence[Production]) -> Bundle:
    """``bundle`` with ``productions`` added; a thematic sheet of the same id is replaced
    (the sheet made again), any other record of that id is an error.

    :raises ValueError: an id already used by a record that is not a thematic sheet, or
        repeated among ``productions``.
    """
    ids = [p.id for p in productions]
    if len(set(ids)) != len(ids):
        raise ValueError(_("the same production id twice: {ids}").format(ids=", ".join(
            sorted({i for i in ids if ids.count(i) > 1}))))
    taken = bundle.index()
    clash = [i for i in ids if i in taken and not _is_sheet(taken[i])]
    if clash:
        raise ValueError(_("id already used by another record: {ids}").format(
            ids=", ".join(clash)))
    new = {p.id: p for p in productions}
    kept = [p for p in bundle.productions if p.id not in new]
    return attrs.evolve(bundle, productions=(*kept, *productions))
