"""``pmae demo``: the main job on the embedded sample, in one command."""

from __future__ import annotations

import sys

import click

from pmae.cli.common import LANG_OPTION, check_output, print_issues, session_of

__all__ = ["demo"]


@click.command()
@LANG_OPTION
@click.option("-o", "--output", default="pmae-demo", show_default=True,
              help="Folder for the report of the sample (replaced if it holds a previous one).")
@click.pass_context
def demo(ctx: click.Context, lang: str, output: str) -> None:
    """The main job on the embedded sample: validate it, write its report, summarise it."""
    from pmae.analysis.coverage import coverage
    from pmae.analysis.programme import check_programme
    from pmae.analysis.shared_diagnosis import aggregate, shareable_needs
    from pmae.analysis.summary import summarize
    from pmae.io.files import parse_json
    from pmae.render.report import build_report
    from pmae.render.sheets import write_sheets
    from pmae.render.summary import summary_text
    from pmae.sample import SAMPLE_FILE, sample_bytes

    check_output(output, kind="any")
    session = session_of(ctx)
    report = session.validate_document(parse_json(sample_bytes(), file=SAMPLE_FILE),
                                       file=SAMPLE_FILE)
    if not report.ok or report.bundle is None:
        print_issues(report.issues, summary=True)
        sys.exit(1)
    bundle = report.bundle
    vocabularies, territories = session.vocabularies, session.territories
    try:
        site = build_report(bundle, output, lang=lang, session=session)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    # The thematic sheets go beside the report's pages (HTML and Markdown: PDFs are one
    # `pmae sheet --all --format pdf` away, and take a browser run each).
    sheets = write_sheets(bundle, site.path / "fiches", formats=("html", "md"), lang=lang,
                          session=session, overwrite=True)
    year = max(meeting.start.year for meeting in bundle.meetings)
    programme = check_programme(bundle, year, session=session)
    met = sum(1 for outcome in programme.outcomes if outcome.met)
    records = sum(bundle.counts().values())
    index = site.path / "index.html"
    gaps = coverage(bundle, territories=territories, vocabularies=vocabularies).gaps()
    with_needs = sum(1 for gap in gaps if gap.needs)
    shared = aggregate(shareable_needs(bundle.needs), by="theme,dep",
                       territories=territories).status_counts()
    hidden = sum(count for status, count in shared.items() if status != "publie")
    if lang == "fr":
        click.echo(f"Échantillon embarqué ({records} enregistrements) : validé, aucun problème")
        click.echo(f"Rapport écrit dans {site.path}/ ({len(site.pages)} pages) : "
                   f"ouvrir {index}")
        click.echo(f"Offre territoriale : {with_needs} zones blanches où des besoins sont "
                   f"observés ({len(gaps)} cases département × thème × étape sans offre), "
                   "voir la page couverture du rapport")
        click.echo(f"Diagnostic partagé (thème × département) : {shared['publie']} cases "
                   f"publiées, {hidden} couvertes par le secret statistique")
        click.echo(f"Programme {year} : {met} règles respectées sur {len(programme.outcomes)} "
                   "(pmae programme check)")
        click.echo(f"Fiches Les ESSentiels : {len(sheets.sheets)} thèmes, ouvrir "
                   f"{site.path / 'fiches' / 'index.html'}\n")
    else:
        click.echo(f"Embedded sample ({records} records): validated, no issues")
        click.echo(f"Report written to {site.path}/ ({len(site.pages)} pages): open {index}")
        click.echo(f"Territorial offer: {with_needs} gaps where needs are observed "
                   f"({len(gaps)} département × theme × stage cells without an offer), "
                   "see the coverage page of the report")
        click.echo(f"Shared diagnosis (theme × département): {shared['publie']} cells "
                   f"published, {hidden} covered by statistical secrecy")
        click.echo(f"Programme {year}: {met} of {len(programme.outcomes)} rules met "
                   "(pmae programme check)")
        click.echo(f"Les ESSentiels sheets: {len(sheets.sheets)} themes, open "
                   f"{site.path / 'fiches' / 'index.html'}\n")
    click.echo(summary_text(summarize(bundle, session=session), lang=lang, session=session),
               nl=False)
