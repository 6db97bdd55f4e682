"""The ``pmae`` command line (click). It parses arguments and prints; the work is elsewhere.

Exit codes: 0 ok, 1 data problems found, 2 usage error (bad arguments, unreadable paths).
"""

from __future__ import annotations

import os
import signal
import sys
import warnings
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any, Literal

import click

from pmae.commands import check_not_input, check_output, echo_json, plugin_manager
from pmae.io.bundles import merge_bundles, write_bundle
from pmae.io.pipeline import Report, validate_file
from pmae.io.schemas import load_schema, schema_names
from pmae.issues import Issue, group_issues
from pmae.model import Source
from pmae.plugins.items import ExportError
from pmae.plugins.manager import PluginManager, PluginWarning

FORMAT_OPTION = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="How to print the result.",
)


def _print_issues(issues: Sequence[Issue], *, summary: bool) -> None:
    for issue in issues:
        click.echo(issue.render())
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = sum(1 for i in issues if i.severity == "warning")
    notes = sum(1 for i in issues if i.severity == "info")
    if summary and issues:
        groups = group_issues(issues)
        repeated = [g for g in groups if g.count > 1]
        if repeated:
            click.echo("\nRepeated issues:", err=True)
            for group in repeated[:20]:
                click.echo(f"  {group.count:>6} × {group.severity} [{group.code}] {group.message}"
                           f" (first at {group.places[0]})", err=True)
    if summary and issues:
        counted = f"{errors} error(s), {warnings} warning(s)"
        click.echo(f"\n{counted}, {notes} note(s)" if notes else f"\n{counted}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("pmae"), prog_name="pmae")
def cli() -> None:
    """pmae: support small employer associations together (démarche PMAE).

    Validate, merge and summarise the bundles that support networks exchange: actors, offers,
    associations, diagnoses, needs, meetings and productions.
    """


@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@FORMAT_OPTION
@click.option("--detailed", is_flag=True,
              help="Run the detailed JSON Schema validator on everything (slower, same report).")
def validate(files: tuple[str, ...], output_format: str, detailed: bool) -> None:
    """Validate bundle FILES (JSON or JSON Lines): schema, structure, semantic checks.

    Exit code 0 when there are no errors (warnings allowed), 1 when there are.
    """
    manager = plugin_manager()
    context, checks = manager.check_context(), manager.check_functions()
    issues: list[Issue] = []
    for file in files:
        issues.extend(validate_file(file, fast=not detailed, context=context,
                                    extra_checks=checks).issues)
    if output_format == "json":
        echo_json([issue.to_dict() for issue in issues])
    else:
        _print_issues(issues, summary=True)
        if not any(issue.severity == "error" for issue in issues):
            click.echo(f"{len(files)} file(s) valid")
    sys.exit(1 if any(i.severity == "error" for i in issues) else 0)


@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("-o", "--output", required=True, help="The merged bundle (.json or .jsonl).")
@click.option("--source", "slug", default="fusion", show_default=True,
              help="Slug of whoever publishes the merged bundle.")
@click.option("--name", default=None, help="Name of whoever publishes the merged bundle.")
@click.option("--licence", default=None,
              help="Licence of the merged bundle (required when the inputs' licences differ).")
@FORMAT_OPTION
def merge(files: tuple[str, ...], output: str, slug: str, name: str | None,
          licence: str | None, output_format: str) -> None:
    """Merge bundle FILES into one, keeping provenance.

    Every input is validated first. The same id with different content is a conflict: it is
    reported and nothing is written (exit 1), so no record is ever overwritten silently.
    """
    check_output(output)
    check_not_input(output, *files)
    manager = plugin_manager()
    context, checks = manager.check_context(), manager.check_functions()
    reports = [validate_file(file, context=context, extra_checks=checks) for file in files]
    issues = [issue for report in reports for issue in report.issues]
    if any(not report.ok for report in reports):
        _report_and_exit(issues, output_format, "nothing was written: fix the inputs first")
    bundles = [report.bundle for report in reports if report.bundle is not None]
    licences = sorted({bundle.licence for bundle in bundles})
    if licence is None and len(licences) > 1:
        raise click.UsageError(
            f"the bundles have different licences ({', '.join(licences)}): say which one the "
            "merged bundle is published under with --licence")
    result = merge_bundles(bundles, files=list(files), licence=licence, source=Source(
        slug=slug, name=name or f"Fusion de {len(files)} bundles"))
    issues += result.issues
    if result.conflicts:
        _report_and_exit(issues, output_format, "nothing was written: resolve the conflicts")
    merged = validate_file_after_write(result.bundle, output, manager)
    issues += merged.issues
    if output_format == "json":
        echo_json([issue.to_dict() for issue in issues])
    else:
        _print_issues(issues, summary=bool(issues))
        counts = result.bundle.counts()
        noun = "bundle" if len(files) == 1 else "bundles"
        click.echo(f"wrote {output}: {sum(counts.values())} records from {len(files)} {noun}")
    sys.exit(1 if not merged.ok else 0)


def validate_file_after_write(bundle: Any, output: str, manager: PluginManager) -> Report:
    """Write a bundle and validate the file written (the merged whole must hold together)."""
    write_bundle(bundle, output)
    return validate_file(output, context=manager.check_context(),
                         extra_checks=manager.check_functions())


def _report_and_exit(issues: list[Issue], output_format: str, why: str) -> None:
    if output_format == "json":
        echo_json([issue.to_dict() for issue in issues])
    else:
        _print_issues(issues, summary=True)
        click.echo(why, err=True)
    sys.exit(1)


@cli.command()
@click.option("-o", "--output", default=None,
              help="Write the sample there (.json or .jsonl) instead of standard output.")
def sample(output: str | None) -> None:
    """Write the embedded sample bundle (an illustrative Rhône-Alpes démarche)."""
    from pmae.sample import load_sample, sample_bytes

    if output is None:
        sys.stdout.buffer.write(sample_bytes())
        return
    check_output(output)
    write_bundle(load_sample(), output)
    click.echo(f"wrote {output}", err=True)


@cli.command()
@click.option("--associations", type=click.IntRange(min=1), default=1000, show_default=True,
              help="How many associations (needs, actors and offers scale with them).")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same bytes.")
@click.option("--invalid-fraction", type=click.FloatRange(0, 1), default=0.0,
              help="Share of records to corrupt on purpose (to test validators).")
@click.option("-o", "--output", required=True, help="Where to write (.json or .jsonl).")
def generate(associations: int, seed: int, invalid_fraction: float, output: str) -> None:
    """Generate a synthetic bundle at any scale (national: --associations 150000)."""
    from pmae import synth

    check_output(output)
    fmt: Literal["json", "jsonl"] = (
        "jsonl" if output.endswith((".jsonl", ".ndjson")) else "json")
    synth.write(output, fmt=fmt, associations=associations, seed=seed,
                invalid_fraction=invalid_fraction)
    click.echo(f"wrote {output}", err=True)


@cli.command()
@click.argument("name", required=False)
def schema(name: str | None) -> None:
    """Print the JSON Schema NAME (bundle, offer, actor…), or list them."""
    if name is None:
        for schema_name in schema_names():
            loaded = load_schema(schema_name)
            click.echo(f"{schema_name:<14} {loaded.get('title', '')} — {loaded['$id']}")
        return
    if name not in schema_names():
        raise click.UsageError(f"no schema named {name!r}; known: {', '.join(schema_names())}")
    echo_json(load_schema(name))


@cli.command()
@click.argument("name", required=False)
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@FORMAT_OPTION
def vocab(name: str | None, lang: str, output_format: str) -> None:
    """List the vocabularies, or the codes of vocabulary NAME with their labels."""
    vocabularies = plugin_manager().vocabularies()  # with the codes plugins add
    if name is None:
        if output_format == "json":
            echo_json([{"id": v.id, "open": v.open, "ordered": v.ordered, "terms": len(v.terms),
                         "title": v.title_fr if lang == "fr" else v.title_en}
                        for v in vocabularies.values()])
            return
        for v in vocabularies.values():
            kind = "open" if v.open else "closed"
            title = v.title_fr if lang == "fr" else v.title_en
            click.echo(f"{v.id:<20} {kind:<6} {len(v.terms):>3} codes  {title}")
        return
    if name not in vocabularies:
        raise click.UsageError(f"no vocabulary named {name!r}; known: {', '.join(vocabularies)}")
    vocabulary = vocabularies[name]
    if output_format == "json":
        echo_json({"id": vocabulary.id, "open": vocabulary.open, "ordered": vocabulary.ordered,
                    "terms": [{"code": t.code, "label_fr": t.label_fr, "label_en": t.label_en,
                               "group": t.group} for t in vocabulary.terms]})
        return
    groups = {g.code: (g.label_fr if lang == "fr" else g.label_en) for g in vocabulary.groups}
    current = None
    for term in vocabulary.terms:
        if term.group != current and term.group is not None:
            current = term.group
            click.echo(f"[{term.group}] {groups.get(term.group, '')}")
        label = term.label_fr if lang == "fr" else term.label_en
        click.echo(f"  {term.code:<28} {label}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(as_json: bool) -> None:
    """List every plugin: distribution, version, hooks, items registered, status."""
    infos = list(plugin_manager().infos.values())
    if as_json:
        echo_json([info.to_dict() for info in infos])
        return
    for info in infos:
        version = f" {info.version}" if info.version else ""
        origin = "built-in" if info.builtin else (info.distribution or "local")
        click.echo(f"{info.name}{version} ({origin}) — {info.status}"
                   + (f": {info.reason}" if info.reason else ""))
        for kind, name in info.items:
            click.echo(f"    {kind:<12} {name}")


def _parse_options(values: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--option takes KEY=VALUE, got {value!r}")
        options[key] = rest
    return options


@cli.command("export")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--to", "fmt", required=True, help="Exporter name (see `pmae plugins`).")
@click.option("-o", "--output", required=True, help="File or folder to write.")
@click.option("--audience", default="public", show_default=True,
              help="public, network, recipient:<network-or-actor-id>, or all.")
@click.option("--option", "options", multiple=True, help="KEY=VALUE for the exporter.")
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
def export_command(bundle: str, fmt: str, output: str, audience: str, options: tuple[str, ...],
                   force: bool, lang: str) -> None:
    """Export BUNDLE for an audience with a registered exporter.

    Only what the audience may see reaches the exporter; a public export has no personal data.
    """
    from pmae.exchange import export_bundle
    from pmae.io.audience import UnknownAudienceError, check_audience

    try:
        check_audience(audience)
    except UnknownAudienceError as error:
        raise click.UsageError(str(error)) from None
    manager = plugin_manager()
    try:
        manager.exporter(fmt)
    except LookupError as error:
        raise click.UsageError(str(error.args[0])) from None
    check_output(output, folder_ok=True)
    check_not_input(output, bundle)
    exporter_options = _parse_options(options)
    report = validate_file(bundle, context=manager.check_context(),
                           extra_checks=manager.check_functions())
    if not report.ok or report.bundle is None:
        _report_and_exit(report.issues, "text", "nothing was exported: fix the bundle first")
        return
    try:
        visible = export_bundle(report.bundle, fmt, output, audience=audience,
                                options=exporter_options, manager=manager, lang=lang,
                                overwrite=force)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    except OSError as error:
        where = error.filename or output
        raise click.UsageError(f"cannot write {where}: {error.strerror or error}") from None
    except ExportError as error:
        click.echo(f"pmae: export to {fmt} failed: {error}; nothing was written", err=True)
        sys.exit(1)
    except Exception as error:
        if os.environ.get("PMAE_DEBUG"):
            raise
        click.echo(f"pmae: the {fmt} exporter crashed ({type(error).__name__}: {error}); "
                   "nothing was written. This is a bug of its plugin (`pmae plugins` names it); "
                   "PMAE_DEBUG=1 shows the traceback.", err=True)
        sys.exit(1)
    click.echo(f"wrote {output} ({fmt}) from {sum(visible.counts().values())} records "
               f"visible to the audience {audience}")


@cli.command("import")
@click.argument("fmt")
@click.argument("path", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, help="The bundle to write (.json or .jsonl).")
@click.option("--option", "options", multiple=True, help="KEY=VALUE for the importer.")
@FORMAT_OPTION
def import_command(fmt: str, path: str, output: str, options: tuple[str, ...],
                   output_format: str) -> None:
    """Import PATH with the importer FMT, validate it, and write it as a bundle.

    Nothing is written when the import has errors (exit 1).
    """
    from pmae.exchange import import_file

    manager = plugin_manager()
    try:
        manager.importer(fmt)
    except LookupError as error:
        raise click.UsageError(str(error.args[0])) from None
    check_output(output)
    check_not_input(output, path)
    report = import_file(fmt, path, options=_parse_options(options), manager=manager)
    if not report.ok or report.bundle is None:
        _report_and_exit(report.issues, output_format, "nothing was written")
        return
    write_bundle(report.bundle, output)
    if output_format == "json":
        echo_json([issue.to_dict() for issue in report.issues])
    else:
        _print_issues(report.issues, summary=bool(report.issues))
        click.echo(f"wrote {output}: {sum(report.bundle.counts().values())} records")


@cli.command()
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("-o", "--output", default="pmae-demo", show_default=True,
              help="Folder for the report of the sample (replaced if it holds a previous one).")
def demo(lang: str, output: str) -> None:
    """The main job on the embedded sample: validate it, write its report, summarise it."""
    from pmae.analysis.coverage import coverage
    from pmae.analysis.programme import check_programme
    from pmae.analysis.shared_diagnosis import aggregate, shareable_needs
    from pmae.analysis.summary import render_text, summarize
    from pmae.io.files import parse_json
    from pmae.io.pipeline import validate_document
    from pmae.report import build_report
    from pmae.sample import SAMPLE_FILE, sample_bytes
    from pmae.sheets import write_sheets

    check_output(output, folder_ok=True)
    report = validate_document(parse_json(sample_bytes(), file=SAMPLE_FILE), file=SAMPLE_FILE)
    if not report.ok or report.bundle is None:
        _print_issues(report.issues, summary=True)
        sys.exit(1)
    bundle = report.bundle
    manager = plugin_manager()
    vocabularies, territories = manager.vocabularies(), manager.territories()
    try:
        site = build_report(bundle, output, lang=lang, manager=manager)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    # The thematic sheets go beside the report's pages (HTML and Markdown: PDFs are one
    # `pmae sheet --all --format pdf` away, and take a browser run each).
    sheets = write_sheets(bundle, site.path / "fiches", formats=("html", "md"), lang=lang,
                          manager=manager, overwrite=True)
    year = max(meeting.start.year for meeting in bundle.meetings)
    programme = check_programme(bundle, year, lang=lang, vocabularies=vocabularies)
    met = sum(1 for result in programme.results if result.met)
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
        click.echo(f"Programme {year} : {met} règles respectées sur {len(programme.results)} "
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
        click.echo(f"Programme {year}: {met} of {len(programme.results)} rules met "
                   "(pmae programme check)")
        click.echo(f"Les ESSentiels sheets: {len(sheets.sheets)} themes, open "
                   f"{site.path / 'fiches' / 'index.html'}\n")
    click.echo(render_text(summarize(bundle, territories=territories), lang=lang,
                           vocabularies=vocabularies, territories=territories), nl=False)


def _show_warning(message: Any, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    if issubclass(category, PluginWarning):
        click.echo(f"pmae: warning: {message}", err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def _terminate(signum: int, frame: Any) -> None:
    # Unwind like Ctrl-C does, so every atomic writer removes its temporary file.
    raise KeyboardInterrupt


def _register_commands() -> None:
    # Commands that live in their own modules (pmae.commands), added to the group here.
    from pmae.commands.attendance import attendance_command
    from pmae.commands.coverage import coverage_command
    from pmae.commands.diagnose import diagnose
    from pmae.commands.needs import needs
    from pmae.commands.orient import orient
    from pmae.commands.programme import programme
    from pmae.commands.report import report
    from pmae.commands.sheet import sheet

    for command in (attendance_command, coverage_command, diagnose, needs, orient, programme,
                    report, sheet):
        cli.add_command(command)


_register_commands()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``pmae`` console script."""
    warnings.showwarning = _show_warning
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="pmae")
    except OSError as error:
        # A path we could not write or read after the arguments were accepted.
        where = f"{error.filename}: " if error.filename else ""
        click.echo(f"pmae: error: {where}{error.strerror or error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("pmae: interrupted; no file was left half-written", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
