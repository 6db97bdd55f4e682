"""The complementarity graph of the actors as people read it, and as a CSV table of its edges.

What is rendered is computed by :mod:`pmae.analysis.complementarity`. The labels of themes and
stages and the language come from the session (``session=``; :func:`pmae.session` by default);
``lang=`` and ``vocabularies=`` override its.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, TextIO

from pmae.io.csv_writer import safe_writer
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.analysis.complementarity import Complementarity
    from pmae.sessions import Session
    from pmae.vocab import Vocabulary

__all__ = ["CSV_COLUMNS", "render_complementarity", "write_complementarity_csv"]

#: The columns of :func:`write_complementarity_csv`.
CSV_COLUMNS: Final = ("a", "b", "kind", "weight", "themes", "stages", "territories")

_TEXT: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "title": "Complémentarité des acteurs : {actors} acteurs, {edges} liens "
                 "({complements} complémentarités, {overlaps} chevauchements)",
        "complementaire": "Complémentarités (même thème et même territoire, étapes différentes ; "
                          "entre parenthèses, le nombre de couples thème × territoire)",
        "chevauchement": "Chevauchements (même thème, même étape, même territoire ; entre "
                         "parenthèses, le nombre de cases)",
        "themes": "thèmes", "stages": "étapes", "territories": "territoires", "none": "aucun",
    },
    "en": {
        "title": "Complementarity of actors: {actors} actors, {edges} links "
                 "({complements} complementary, {overlaps} overlapping)",
        "complementaire": "Complementary (same theme and territory, different stages; in "
                          "brackets, the number of theme × territory pairs)",
        "chevauchement": "Overlapping (same theme, stage and territory; in brackets, the "
                         "number of cells)",
        "themes": "themes", "stages": "stages", "territories": "territories", "none": "none",
    },
}


def render_complementarity(graph: Complementarity, *, lang: str | None = None,
                           vocabularies: Mapping[str, Vocabulary] | None = None,
                           session: Session | None = None) -> str:
    """The edges as plain text, by kind, heaviest first, in the session's language (French by
    default)."""
    context = current_session(session)
    lang = lang or context.lang
    vocabularies = context.vocabularies if vocabularies is None else vocabularies
    text = _TEXT[lang]
    colon = " : " if lang == "fr" else ": "
    overlaps, complements = graph.of_kind("chevauchement"), graph.of_kind("complementaire")
    lines = [text["title"].format(actors=len(graph.actors), edges=len(graph.edges),
                                  complements=len(complements), overlaps=len(overlaps))]
    for kind, edges in (("complementaire", complements), ("chevauchement", overlaps)):
        lines += ["", text[kind]]
        if not edges:
            lines.append(f"  {text['none']}")
        for edge in edges:
            themes = ", ".join(vocabularies["themes"].label(t, lang) for t in edge.themes)
            stages = ", ".join(vocabularies["stages"].label(s, lang) for s in edge.stages)
            places = ", ".join(t.split(":", 1)[-1] for t in edge.territories)
            lines += [f"  {graph.names.get(edge.a, edge.a)} — {graph.names.get(edge.b, edge.b)}"
                      f" ({edge.weight})",
                      f"      {text['themes']}{colon}{themes}",
                      f"      {text['stages']}{colon}{stages}",
                      f"      {text['territories']}{colon}{places}"]
    return "\n".join(lines) + "\n"


def write_complementarity_csv(graph: Complementarity, stream: TextIO) -> None:
    """One row per edge, columns :data:`CSV_COLUMNS`; lists joined by `` | ``."""
    writer = safe_writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in graph.edges:
        writer.writerow([e.a, e.b, e.kind, e.weight, " | ".join(e.themes),
                         " | ".join(e.stages), " | ".join(e.territories)])
