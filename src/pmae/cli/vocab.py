"""``pmae vocab``: the controlled vocabularies, with the codes plugins add."""

from __future__ import annotations

import click

from pmae.cli.common import FORMAT_OPTION, LANG_OPTION, echo_json, session_of
from pmae.i18n import gettext as _

__all__ = ["vocab"]


@click.command()
@click.argument("name", required=False)
@LANG_OPTION
@FORMAT_OPTION
@click.pass_context
def vocab(ctx: click.Context, name: str | None, lang: str, output_format: str) -> None:
    """List the vocabularies, or the codes of vocabulary NAME with their labels."""
    vocabularies = session_of(ctx).vocabularies  # with the codes plugins add
    if name is None:
        if output_format == "json":
            echo_json([{"id": v.id, "open": v.open, "ordered": v.ordered, "terms": len(v.terms),
                         "title": v.title_fr if lang == "fr" else v.title_en}
                        for v in vocabularies.values()])
            return
        for v in vocabularies.values():
            kind = _("open") if v.open else _("closed")
            title = v.title_fr if lang == "fr" else v.title_en
            click.echo(_("{id:<20} {kind:<6} {terms:>3} codes  {title}").format(
                id=v.id, kind=kind, terms=len(v.terms), title=title))
        return
    if name not in vocabularies:
        raise click.UsageError(_("no vocabulary named {name!r}; known: {known}").format(
            name=name, known=", ".join(vocabularies)))
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
