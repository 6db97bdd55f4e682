"""``pmae demo``: the main job on the embedded sample, in one command."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from pmae.cli.common import LANG_OPTION, check_output, print_issues, session_of
from pmae.i18n import gettext as _

__all__ = ["demo"]

#: The store's file in the demo's folder.
STORE_NAME = "pmae.db"


@click.command()
@LANG_OPTION
@click.option("-o", "--output", default="pmae-demo", show_default=True,
              help="Folder for the report of the sample (replaced if it holds a previous one).")
@click.option("--force", is_flag=True,
              help="Replace OUTPUT even if it is not a previous pmae report.")
@click.pass_context
def demo(ctx: click.Context, lang: str, output: str, force: bool) -> None:
    """The main job on the embedded sample: validate it, publish it into a store, write the
    report of what the store holds, summarise it. The store stays in the folder (pmae.db).

    The demo owns its folder: a previous report there (a previous demo) is replaced, so the
    demo can be run again; any other file or folder that is not empty is kept unless --force.
    """
    from pmae.analysis.programme import check_programme
    from pmae.analysis.shared_diagnosis import aggregate, shareable_needs
    from pmae.analysis.summary import summarize
    from pmae.io.files import parse_json
    from pmae.render.labels import format_date
    from pmae.render.report import build_report, is_report_folder
    from pmae.render.summary import summary_text
    from pmae.sample import SAMPLE_FILE, sample_bytes
    from pmae.store import open_store

    # What the demo wrote it may write again: all of it comes from the embedded sample, so
    # nothing of the user's is lost; anything else needs --force.
    check_output(output, kind="any", force=force or is_report_folder(Path(output)))
    session = session_of(ctx)
    report = session.validate_document(parse_json(sample_bytes(), file=SAMPLE_FILE),
                                       file=SAMPLE_FILE)
    if not report.ok or report.bundle is None:
        print_issues(report.issues, summary=True)
        sys.exit(1)
    # The sample is a snapshot of the démarche on its date, never recorded into: the demo
    # reads it as of that date, so what it says does not decay as the calendar moves.
    session = session.evolve(as_of=report.bundle.generated_at.date())
    territories = session.territories
    # The sample is published into a store, and everything below reads the store, as a
    # démarche does day to day; the store ends up beside the report's pages.
    parent = Path(output).resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix=".pmae-demo-") as folder:
        staged = Path(folder) / STORE_NAME
        with open_store(staged, create=True, session=session) as store:
            publication = store.publish(report.bundle)
            bundle = store.dump(source=report.bundle.source)
        try:
            # The thematic sheets go with the report's pages, linked from them (HTML and
            # Markdown: PDFs are one `pmae sheet --all --format pdf` away, and take a browser
            # run each).
            site = build_report(bundle, output, lang=lang, session=session, sheets=True,
                                overwrite=force)
        except FileExistsError as error:
            raise click.UsageError(str(error)) from None
        db = site.path / STORE_NAME
        os.replace(staged, db)
    sheets = len(site.sheets.sheets) if site.sheets is not None else 0
    as_of = format_date(site.as_of or bundle.generated_at.date(), lang)
    year = max(meeting.start.year for meeting in bundle.meetings)
    programme = check_programme(bundle, year, session=session)
    met = sum(1 for outcome in programme.outcomes if outcome.met)
    records = sum(bundle.counts().values())
    index = site.path / "index.html"
    shared = aggregate(shareable_needs(bundle.needs), by="theme,dep",
                       territories=territories).status_counts()
    hidden = sum(count for status, count in shared.items() if status != "publie")
    fiches = site.path / "fiches" / "index.html"
    click.echo(_("Embedded sample ({records} records): validated, no issues").format(
        records=records))
    click.echo(_("Report written to {path}/ ({pages} pages): open {index}").format(
        path=site.path, pages=len(site.pages), index=index))
    click.echo(_("Territorial offer: {with_needs} département × theme gaps where the shared "
                 "diagnosis publishes needs ({gaps} gaps in all, all stages), see the coverage "
                 "page of the report").format(with_needs=site.gaps_with_needs, gaps=site.gaps))
    click.echo(_("Shared diagnosis (theme × département): {published} cells published, "
                 "{hidden} covered by statistical secrecy").format(published=shared["publie"],
                                                                   hidden=hidden))
    click.echo(_("Programme {year}: {met} of {rules} rules met (pmae programme check)").format(
        year=year, met=met, rules=len(programme.outcomes)))
    click.echo(_("Les ESSentiels sheets: {sheets} themes, open {index}").format(
        sheets=sheets, index=fiches))
    # The summary below counts every record; the public report, fewer offers: say why.
    click.echo(_("Offers: the (public) report shows the {shown} public offers in force on "
                 "{as_of}; the summary below counts the sample's {offers} offers, whatever "
                 "their visibility and dates").format(shown=site.offers, as_of=as_of,
                                                      offers=len(bundle.offers)))
    click.echo(_("Store: {db} (publication #{number}), for instance pmae offers --db {db} "
                 "--theme gepp --territory dep:38").format(db=db, number=publication.number)
               + "\n")
    click.echo(summary_text(summarize(bundle, session=session), lang=lang, session=session),
               nl=False)
