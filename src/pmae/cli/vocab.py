"""``pmae vocab``: the controlled vocabularies, with the codes plugins add."""

from __future__ import annotations

import click

from pmae.cli.common import FORMAT_OPTION, LANG_OPTION, echo_json, session_of

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
