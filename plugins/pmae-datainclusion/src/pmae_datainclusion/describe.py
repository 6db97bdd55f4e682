"""Reading back the French text the exporter writes: generated descriptions and audiences.

The exporter writes some pmae codes as words: an offer without a description gets one built
from its title, actor, themes and stages; size bands and sectors go to ``publics_precisions``;
the ``sous_conditions`` cost to ``frais_precisions``. :class:`Labels` recognises exactly those
texts, with the same vocabularies, and gives the codes back. Any other text is the producer's
own and is kept (a description) or reported (the others).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pmae.vocab import Vocabulary

_AUDIENCE = re.compile(r"^Associations(?: \((?P<details>.*)\))?\.$", re.DOTALL)
_PARTS = {"effectif salarié : ": ("size_bands", "size_bands"), "secteurs : ": ("sectors",
                                                                                "sectors")}
_SENTENCES = {" Thèmes : ": "themes", " Étapes : ": "stages"}


class Labels:
    """French labels -> codes for the vocabularies the exporter writes as words."""

    def __init__(self, vocabularies: Mapping[str, Vocabulary]) -> None:
        self.vocabularies = vocabularies
        self.codes: dict[str, dict[str, str]] = {
            name: {vocabulary.label(code, "fr"): code for code in vocabulary.codes()}
            for name in ("themes", "stages", "size_bands", "sectors")
            if (vocabulary := vocabularies.get(name)) is not None}

    def conditional_cost(self) -> str | None:
        """The ``frais_precisions`` the export writes for ``sous_conditions``."""
        costs = self.vocabularies.get("costs")
        term = costs.get("sous_conditions") if costs is not None else None
        return (term.description_fr or term.label_fr) if term is not None else None

    def listed(self, vocabulary: str, text: str) -> list[str] | None:
        """The codes of ``"Label, Label, …"`` (labels may hold commas), or ``None``."""
        labels = self.codes.get(vocabulary, {})
        ordered = sorted(labels, key=len, reverse=True)
        found: list[str] = []
        position = 0
        while position < len(text):
            label = next((candidate for candidate in ordered
                          if text.startswith(candidate, position)
                          and text[position + len(candidate):][:2] in ("", ", ")), None)
            if label is None:
                return None
            found.append(labels[label])
            position += len(label) + 2
        return found or None

    def audience(self, text: str) -> dict[str, list[str]] | None:
        """``{"size_bands": […], "sectors": […]}`` from the export's ``publics_precisions``
        ("Associations (effectif salarié : 1 ou 2 salariés ; secteurs : Sport)."), or
        ``None`` for any other text."""
        match = _AUDIENCE.match(text)
        if match is None:
            return None
        result: dict[str, list[str]] = {"size_bands": [], "sectors": []}
        details = match["details"]
        for part in details.split(" ; ") if details else ():
            prefix = next((p for p in _PARTS if part.startswith(p)), None)
            if prefix is None:
                return None
            vocabulary, field = _PARTS[prefix]
            codes = self.listed(vocabulary, part.removeprefix(prefix))
            if codes is None or result[field]:
                return None
            result[field] = codes
        return result

    def generated(self, description: str | None, nom: str,
                  structure: str) -> tuple[list[str], list[str]] | None:
        """The themes and stages of a description the export generated, or ``None`` when the
        description is the producer's own."""
        if description is None:
            return None
        head = f"{nom}. Offre de {structure}."
        if not description.startswith(head):
            return None
        rest = description[len(head):]
        found: dict[str, list[str]] = {"themes": [], "stages": []}
        for opening, vocabulary in _SENTENCES.items():
            if not rest.startswith(opening):
                continue
            end = rest.find(".", len(opening))
            # A label may hold a full stop only at the end of the sentence: try each stop.
            while end != -1:
                codes = self.listed(vocabulary, rest[len(opening):end])
                if codes is not None and rest[end + 1:][:1] in ("", " "):
                    found[vocabulary] = codes
                    rest = rest[end + 1:]
                    break
                end = rest.find(".", end + 1)
            else:
                return None
        return (found["themes"], found["stages"]) if not rest else None
