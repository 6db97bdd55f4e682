"""The report: a static, offline site of a bundle, for the audience it is made for.

``build_report(bundle, out_dir)`` filters the bundle for the audience (public by default, with
:func:`pmae.io.audience.filter_bundle`), then writes plain HTML pages: the home page with the
key figures, the directory of actors and offers (one static page per theme, stage and
département, so filtering needs no JavaScript; a search box, with JavaScript, combines words
and filters), the coverage heatmaps (each cell links to the offers it counts), the zones
blanches where the shared diagnosis publishes needs, tile-grid maps of the départements, the
support chain per theme, the shared diagnosis (only its published cells), the year's meetings,
and, on request, the thematic sheets *Les ESSentiels* linked from the pages. No page loads
anything from elsewhere: the style is inline, the charts are inline SVG, the one script is a
file of the site.

Every value from the data goes through Jinja2's autoescaping; a URL from the data becomes a
link only when it is ``http(s)``, else it is shown as text.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
import jinja2

from pmae.analysis.coverage import in_force
from pmae.analysis.shared_diagnosis import SecrecyRules, aggregate, shareable_needs
from pmae.io.audience import check_audience, filter_bundle
from pmae.io.files import atomic_folder
from pmae.model import Bundle, Meeting
from pmae.render import jsonld
from pmae.render.labels import Labels, audience_label, format_date, is_http_url, slug
from pmae.render.report import pages, plan_pages
from pmae.render.report.alongside import REPORT_WROTE_SHEETS, copy_sheets, sheets_to_keep
from pmae.render.report.coverage_maps import coverage_maps
from pmae.render.report.gaps import gap_report, published_needs
from pmae.render.report.grid import ALL_STAGES, compute_grid, offer_departements
from pmae.render.report.text import LANGUAGES, TEXT
from pmae.render.sheets import SheetsResult, build_sheets, save_sheets
from pmae.render.text import percent
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["MARKER", "SEARCH_SCRIPT", "SHEETS_FOLDER", "Progress", "ReportResult", "build_report",
           "is_report_folder"]

#: The file that marks a folder as a pmae report (so it may be replaced by a new one).
MARKER: Final = ".pmae-report"
#: The folder of the report that holds the thematic sheets, when written with it.
SHEETS_FOLDER: Final = "fiches"
#: The directory's search script, in ``assets/`` of the site (a file of the package).
SEARCH_SCRIPT: Final = "annuaire.js"


#: Called after each step of a long report: ``(what, done, total)``; ``total`` is 0 for a
#: step that is not counted (computing, before the pages).
Progress = Callable[[str, int, int], None]


@attrs.define(kw_only=True, frozen=True)
class ReportResult:
    """What :func:`build_report` wrote: the pages (paths relative to ``path``) and the folder,
    with the figures the pages show (so that a caller can print the same ones)."""

    pages: tuple[str, ...]
    path: Path
    #: Offers shown: visible to the audience and in force on the reference date.
    offers: int = 0
    #: Offers visible to the audience but not in force on the reference date.
    closed_offers: int = 0
    #: Zones blanches (département × theme, all stages) of the coverage page.
    gaps: int = 0
    #: Among them, those where the shared diagnosis publishes needs.
    gaps_with_needs: int = 0
    #: The thematic sheets written in ``fiches/`` (``build_report(..., sheets=True)``).
    sheets: SheetsResult | None = None
    #: The reference date: offers in force that day are shown.
    as_of: dt.date | None = None
    #: Sheets written by ``pmae sheet`` in ``fiches/`` for the same audience, kept and linked.
    kept_sheets: bool = False


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pmae.render.report", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.tests["http_url"] = is_http_url
    return env


def is_report_folder(path: Path) -> bool:
    """Whether ``path`` is a folder that a previous :func:`build_report` wrote."""
    return (path / MARKER).is_file()


def build_report(
    bundle: Bundle, out_dir: str | os.PathLike[str], *, audience: str = "public",
    lang: str | None = None, today: dt.date | None = None, session: Session | None = None,
    overwrite: bool = False, sheets: bool = False, progress: Progress | None = None,
) -> ReportResult:
    """Write the report of ``bundle`` for ``audience`` into the folder ``out_dir``, atomically.

    The site is built in a temporary folder beside ``out_dir``, then put in its place: an
    interrupted run leaves the old report or the new one.

    :param lang: ``fr`` or ``en`` (default: the session's language).
    :param today: the reference date: offers in force that day make the coverage, the meetings
        of its year are listed (default: the session's ``as_of``, today; pass a date for a
        report that reads the same whatever day it is made).
    :param session: where vocabularies and territories come from (default:
        :func:`pmae.session`).
    :param overwrite: replace a non-empty ``out_dir`` that is not a previous report.
    :param sheets: also write the thematic sheets *Les ESSentiels* (HTML and Markdown, same
        audience, language and date) in ``fiches/``, linked from the pages (none when the
        bundle speaks of no theme). Without it, sheets that ``pmae sheet`` wrote in
        ``fiches/`` of a previous report for the same audience are kept and linked.
    :param progress: called after each page and sheet (see :data:`Progress`).
    :raises FileExistsError: ``out_dir`` is a non-empty folder that is not a pmae report, or
        its ``fiches/`` holds sheets written by ``pmae sheet`` for another audience (unless
        ``overwrite``).
    :raises ValueError: unknown language or audience.
    """
    s = current_session(session)
    lang = lang or s.lang
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected 'fr' or 'en'")
    check_audience(audience)
    target = Path(out_dir)
    if (target.is_dir() and any(target.iterdir()) and not is_report_folder(target)
            and not overwrite):
        raise FileExistsError(
            f"{target} is a folder that is not empty and not a pmae report; choose another "
            "folder or allow replacing it (pmae report --force)")
    keep = None if sheets else sheets_to_keep(target, SHEETS_FOLDER, audience=audience,
                                              report_marker=MARKER, overwrite=overwrite)
    results: list[ReportResult] = []
    atomic_folder(target, lambda folder: results.append(_write_site(
        bundle, Path(folder), audience=audience, lang=lang, today=today, session=s,
        sheets=sheets, keep=keep, progress=progress or _silent)))
    return attrs.evolve(results[0], path=target, sheets=results[0].sheets and attrs.evolve(
        results[0].sheets, path=target / SHEETS_FOLDER))


def _silent(what: str, done: int, total: int) -> None:
    """No progress shown."""


def _scope(audience: str, shown: int, closed: int, date: str, text: Mapping[str, str]) -> str:
    """What the offers counted on the pages are, so a figure that differs from the full data's
    says why."""
    kind = "recipient" if audience.startswith("recipient:") else audience
    scope = text[f"scope_{kind}"].format(n=shown, date=date)
    return f"{scope} {text['scope_closed'].format(n=closed)}" if closed else scope


def _write_site(bundle: Bundle, folder: Path, *, audience: str, lang: str,
                today: dt.date | None, session: Session, sheets: bool, keep: Path | None,
                progress: Progress) -> ReportResult:
    """Render every page into ``folder``; returns what was written (paths relative to it)."""
    vocabularies, territories = session.vocabularies, session.territories
    reference = today or session.as_of
    # Before the first page comes the long part on a large bundle (the shared diagnosis):
    # the progress line names each step, without a count.
    progress("audience and coverage", 0, 0)
    # The report shows the offer of its reference day: offers closed or not yet open are left
    # out of every page (directory, chain, figures), as coverage leaves them out of the grid.
    for_audience = filter_bundle(bundle, audience)
    visible = for_audience.with_collections(
        {"offers": tuple(o for o in for_audience.offers if in_force(o, reference))})
    text = TEXT[lang]
    labels = Labels(lang, vocabularies, territories)
    grid = compute_grid(visible, territories=territories, vocabularies=vocabularies,
                        today=reference)
    progress("shared diagnosis", 0, 0)
    # The shared diagnosis publishes aggregates of needs, whatever their visibility, only
    # through its published cells (statistical secrecy); private needs stay out.
    needs = bundle.needs if audience == "all" else shareable_needs(bundle.needs)
    rules = SecrecyRules()
    shared = aggregate(needs, by="theme,dep", rules=rules, territories=territories) \
        if needs else None
    meetings = pages.meeting_rows(visible.meetings, reference.year,
                                  {a.id: a.name for a in visible.actors})
    filters = pages.directory_filters(visible, grid, labels)
    stage_pages = [(ALL_STAGES, "couverture.html", text["all_stages"])] + [
        (s, f"couverture-{slug(s)}.html", labels.code("stages", s)) for s in grid.stages]
    written_sheets = _write_sheets(bundle, folder, audience=audience, lang=lang,
                                   today=reference, session=session, progress=progress) \
        if sheets else None
    total = (4 + sum(len(items) for items in filters.values()) + len(stage_pages)
             + (shared is not None) + len(plan_pages.PAGES))
    env = _environment()
    nav = [("index.html", text["home"]), ("annuaire.html", text["directory"]),
           ("couverture.html", text["coverage"]), ("chaine.html", text["chain"])]
    if shared is not None:
        nav.append(("diagnostic.html", text["diagnosis"]))
    nav.append(("rencontres.html", text["meetings"]))
    nav += plan_pages.nav_entries(lang)
    sheet_files = {} if written_sheets is None else {
        sheet.theme: f"{slug(sheet.theme)}.html" for sheet in written_sheets.sheets}
    if keep is not None:
        sheet_files = copy_sheets(keep, folder / SHEETS_FOLDER,
                                  [*vocabularies["themes"].codes(), *grid.themes])
    if (folder / SHEETS_FOLDER / "index.html").is_file():
        nav.append((f"{SHEETS_FOLDER}/index.html", text["sheets"]))
    common: dict[str, Any] = {
        "lang": lang, "t": text, "labels": labels, "nav": nav, "bundle": visible,
        "source": visible.source, "licence": visible.licence,
        "data_date": format_date(visible.generated_at.date(), lang),
        "report_date": format_date(reference, lang), "year": reference.year,
        "today_date": reference,
        "audience": audience_label(audience, text), "version": version("pmae"),
        "fmt_date": lambda d: format_date(d, lang),
        "jsonld": None,
        "scope": _scope(audience, len(visible.offers),
                        len(for_audience.offers) - len(visible.offers),
                        format_date(reference, lang), text),
        "sheet_links": {theme: f"{SHEETS_FOLDER}/{name}" for theme, name in sheet_files.items()},
        "dep_file": pages.departement_file,
        "offer_deps": lambda offer: " ".join(sorted(offer_departements(offer.territories,
                                                                      territories))),
    }
    written: list[str] = []

    def write(name: str, template: str, **context: Any) -> None:
        root = "../" * name.count("/")
        if "graph" in context:  # schema.org JSON-LD: on the public pages only
            graph = context.pop("graph")(root) if audience == "public" else None
            context["jsonld"] = jsonld.script_block(graph) if graph and graph["@graph"] \
                else None
        html = env.get_template(template).render(
            **{**common, **context}, page=name, root=root)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        written.append(name)
        progress(name, len(written), total)

    grand_total = None
    if shared is not None:
        grand_total = shared.source()["needs"]
    write("index.html", "index.html.j2", title=text["home"],
          charts=pages.index_charts(visible, labels, text, grid.stages, grid.themes),
          counts={"actors": len(visible.actors), "offers": len(visible.offers),
                  "needs": grand_total, "meetings": len(meetings)})
    _copy_assets(folder)
    entries = pages.directory_entries(visible, territories=territories)
    write("annuaire.html", "annuaire.html.j2", title=text["directory"], filters=filters,
          entries=entries, heading=None, graph=_directory_graph(entries, labels))
    for kind, items in filters.items():
        for item in items:
            entries = pages.directory_entries(
                visible, territories=territories,
                offer_filter=None if kind == "dep" else (kind, item.code),
                departement=item.code if kind == "dep" else None)
            heading = text["filtered"].format(what=item.label)
            write(f"annuaire/{item.file}", "annuaire.html.j2", title=heading, heading=heading,
                  filters=filters, entries=entries, graph=_directory_graph(entries, labels))
    needs_at = published_needs(shared)
    reports = {}
    for stage, name, stage_label in stage_pages:
        reports[stage] = gap_report(grid.gaps(stage), needs_at,
                                    departements=grid.departements, themes=grid.themes)
        write(name, "couverture.html.j2", title=f"{text['coverage']} — {stage_label}",
              stage_pages=stage_pages, stage=stage, stage_label=stage_label,
              chart=pages.coverage_chart(grid, stage, labels, text), report=reports[stage],
              needs_known=shared is not None,
              maps=coverage_maps(grid, stage, reports[stage], shared, labels, text,
                                 stage_label),
              cells=len(grid.departements) * len(grid.themes), grid=grid,
              as_of=format_date(grid.as_of, lang))
    write("chaine.html", "chaine.html.j2", title=text["chain"],
          chain=pages.chain(visible, grid, labels, text), grid=grid)
    if shared is not None:
        write("diagnostic.html", "diagnostic.html.j2", title=text["diagnosis"],
              table=pages.diagnosis_table(shared, labels, text), rules=rules,
              dominance=percent(rules.dominance, lang))
    actors = {a.id: a for a in visible.actors}
    write("rencontres.html", "rencontres.html.j2", title=text["meetings"], meetings=meetings,
          graph=lambda root: jsonld.meetings_graph(
              [m for row in meetings if isinstance(m := row["meeting"], Meeting)], root=root,
              labels=labels, actors=actors))
    plan_pages.write_pages(write, visible, labels=labels, today=reference, session=session)
    (folder / MARKER).write_text(
        f"pmae report\nsource: {bundle.source.slug}\naudience: {audience}\nlang: {lang}\n"
        + (f"{REPORT_WROTE_SHEETS}\n" if written_sheets is not None else ""),
        encoding="utf-8")
    everywhere = reports[ALL_STAGES]
    return ReportResult(pages=tuple(written), path=folder, offers=len(visible.offers),
                        closed_offers=len(for_audience.offers) - len(visible.offers),
                        gaps=everywhere.total, gaps_with_needs=len(everywhere.with_needs),
                        sheets=written_sheets, as_of=reference, kept_sheets=keep is not None)


def _write_sheets(bundle: Bundle, folder: Path, *, audience: str, lang: str, today: dt.date,
                  session: Session, progress: Progress) -> SheetsResult | None:
    """The thematic sheets of every theme, for the report's audience, language and date
    (``None``, and no folder, when the bundle speaks of no theme: nothing to link to)."""
    built = build_sheets(bundle, audience=audience, lang=lang, today=today, session=session,
                         progress=progress)
    if not built:
        return None
    return save_sheets(built, folder / SHEETS_FOLDER, formats=("html", "md"), index=True,
                       progress=progress, practices_link=_practices_link)


def _practices_link(theme: str) -> str:
    """From a sheet in ``fiches/``, the practices of its theme on the report's page."""
    return f"../{plan_pages.PRACTICES_PAGE}#{plan_pages.practice_anchor(theme)}"


def _copy_assets(folder: Path) -> None:
    """The site's own files: the directory's search script."""
    (folder / "assets").mkdir(exist_ok=True)
    source = resources.files("pmae.render.report") / "assets" / SEARCH_SCRIPT
    (folder / "assets" / SEARCH_SCRIPT).write_bytes(source.read_bytes())


def _directory_graph(entries: list[pages.ActorEntry], labels: Labels,
                     ) -> Callable[[str], dict[str, Any]]:
    """The JSON-LD of a directory page, once its root (``""`` or ``"../"``) is known."""
    return lambda root: jsonld.directory_graph(((e.actor, e.offers) for e in entries),
                                               root=root, labels=labels)
