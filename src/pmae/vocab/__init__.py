"""Controlled vocabularies: stages, themes, actor types, size bands and the other codelists.

Each vocabulary ships as one JSON data file in ``pmae/vocab/data/`` (format described by
``schemas/vocabulary.schema.json``). Codes are French, labels are given in French and English.
Open vocabularies can be extended by plugins with namespaced codes (``occitanie:tiers_lieux``),
the way open codelists work in the Open Contracting standard; closed ones cannot.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
import types
from collections.abc import Iterable, Mapping
from importlib.resources.abc import Traversable
from typing import Any

import attrs

__all__ = [
    "NAMESPACED_CODE",
    "PMAE_SIZE_BANDS",
    "Term",
    "TermGroup",
    "Vocabulary",
    "VocabularyError",
    "core_vocabularies",
    "load_vocabulary",
    "size_band_for",
]

#: A code added by a plugin to an open vocabulary: ``<namespace>:<code>``.
NAMESPACED_CODE = re.compile(r"^[a-z][a-z0-9_-]*:[a-z0-9_]+$")

#: The default size bands of the PMAE scope (1 to 9 employees): SIRENE bands 01, 02 and 03.
#: It is a setting, not a fact: callers that work on another scope pass their own band set.
PMAE_SIZE_BANDS: tuple[str, ...] = ("01", "02", "03")


class VocabularyError(ValueError):
    """A vocabulary was misused: unknown id, closed vocabulary extended, bad or duplicate code."""


@attrs.define(kw_only=True, frozen=True)
class Term:
    """One code of a vocabulary, with its labels and descriptions in French and English.

    ``group`` is the code of the :class:`TermGroup` the term belongs to, if the vocabulary has
    groups. ``minimum`` and ``maximum`` are inclusive numeric bounds, used by the size bands
    (headcount); ``None`` means unbounded or not applicable. ``territories`` are the
    territories the code applies to (``reg:76``), empty for everywhere: a plugin's regional
    themes (see ``pmae.plugins.VocabularyExtension``) are not part of another region's coverage.
    """

    code: str
    label_fr: str
    label_en: str
    description_fr: str = ""
    description_en: str = ""
    group: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    territories: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class TermGroup:
    """A group of terms inside a vocabulary (the theme groups A to E and Z)."""

    code: str
    label_fr: str
    label_en: str


@attrs.define(kw_only=True, frozen=True)
class Vocabulary:
    """A controlled vocabulary: an ordered tuple of terms and how it may be used.

    ``open`` vocabularies accept namespaced codes added by plugins (see :meth:`extended`);
    ``ordered`` ones give their terms a meaningful rank (see :meth:`rank`).
    """

    id: str
    title_fr: str
    title_en: str
    open: bool
    ordered: bool
    terms: tuple[Term, ...]
    groups: tuple[TermGroup, ...] = ()
    description_fr: str = ""
    description_en: str = ""
    # Built once so that membership tests stay O(1): codes are checked for every record.
    _by_code: dict[str, Term] = attrs.field(init=False, eq=False, repr=False, factory=dict)
    _rank: dict[str, int] = attrs.field(init=False, eq=False, repr=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        # Frozen class: the private indexes are filled through object.__setattr__.
        object.__setattr__(self, "_by_code", {term.code: term for term in self.terms})
        object.__setattr__(self, "_rank", {term.code: i for i, term in enumerate(self.terms)})

    def __contains__(self, code: object) -> bool:
        """Whether ``code`` is a code of this vocabulary."""
        return isinstance(code, str) and code in self._by_code

    def get(self, code: str) -> Term | None:
        """The term with this code, or ``None``."""
        return self._by_code.get(code)

    def codes(self) -> tuple[str, ...]:
        """All codes, in the vocabulary's order."""
        return tuple(term.code for term in self.terms)

    def label(self, code: str, lang: str = "fr") -> str:
        """The label of ``code`` in ``lang`` (``"fr"`` or ``"en"``); an unknown code is returned.

        Returning the code keeps reports readable when data uses a code from a plugin that is
        not installed.
        """
        term = self._by_code.get(code)
        if term is None:
            return code
        if lang == "fr":
            return term.label_fr
        if lang == "en":
            return term.label_en
        raise ValueError(f"unknown language {lang!r}: expected 'fr' or 'en'")

    def rank(self, code: str) -> int:
        """The 0-based position of ``code`` in an ordered vocabulary.

        :raises ValueError: if the vocabulary is not ordered or the code is unknown.
        """
        if not self.ordered:
            raise ValueError(f"vocabulary {self.id!r} is not ordered")
        try:
            return self._rank[code]
        except KeyError:
            raise ValueError(f"unknown code {code!r} in vocabulary {self.id!r}") from None

    def extended(self, terms: Iterable[Term], *, namespace: str) -> Vocabulary:
        """A new vocabulary with ``terms`` appended; ``self`` is unchanged.

        Every added code must be ``<namespace>:<code>`` with the given namespace.

        :raises VocabularyError: if the vocabulary is closed, a code is not namespaced with
            ``namespace``, or a code is already present.
        """
        if not self.open:
            raise VocabularyError(f"vocabulary {self.id!r} is closed and cannot be extended")
        added = tuple(terms)
        seen = set(self._by_code)
        for term in added:
            if not NAMESPACED_CODE.match(term.code) or term.code.split(":", 1)[0] != namespace:
                raise VocabularyError(
                    f"code {term.code!r} added to vocabulary {self.id!r} must be written "
                    f"'{namespace}:<code>' (lowercase letters, digits and '_')"
                )
            if term.code in seen:
                raise VocabularyError(f"code {term.code!r} is already in vocabulary {self.id!r}")
            seen.add(term.code)
        return attrs.evolve(self, terms=self.terms + added)


def _term_from_json(data: Mapping[str, Any]) -> Term:
    return Term(
        code=data["code"],
        label_fr=data["label_fr"],
        label_en=data["label_en"],
        description_fr=data.get("description_fr", ""),
        description_en=data.get("description_en", ""),
        group=data.get("group"),
        minimum=data.get("min"),
        maximum=data.get("max"),
    )


def _vocabulary_from_json(data: Mapping[str, Any]) -> Vocabulary:
    return Vocabulary(
        id=data["id"],
        title_fr=data["title_fr"],
        title_en=data["title_en"],
        open=data["open"],
        ordered=data["ordered"],
        description_fr=data.get("description_fr", ""),
        description_en=data.get("description_en", ""),
        groups=tuple(
            TermGroup(code=g["code"], label_fr=g["label_fr"], label_en=g["label_en"])
            for g in data.get("groups", ())
        ),
        terms=tuple(_term_from_json(t) for t in data["terms"]),
    )


def _data_dir() -> Traversable:
    return importlib.resources.files(__name__).joinpath("data")


def load_vocabulary(id: str) -> Vocabulary:
    """Read the shipped vocabulary ``id`` from the package data.

    :raises VocabularyError: if no vocabulary with that id is shipped.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", id):
        raise VocabularyError(f"invalid vocabulary id {id!r}")
    resource = _data_dir().joinpath(f"{id}.json")
    if not resource.is_file():
        raise VocabularyError(f"unknown vocabulary {id!r}")
    return _vocabulary_from_json(json.loads(resource.read_text(encoding="utf-8")))


@functools.cache
def core_vocabularies() -> Mapping[str, Vocabulary]:
    """All shipped vocabularies by id, read once; the mapping is read-only."""
    ids = sorted(
        entry.name.removesuffix(".json")
        for entry in _data_dir().iterdir()
        if entry.name.endswith(".json")
    )
    return types.MappingProxyType({id: load_vocabulary(id) for id in ids})


def size_band_for(headcount: int) -> str:
    """The SIRENE size band for a headcount: ``0`` → ``"00"``, ``1`` or ``2`` → ``"01"``…

    ``"NN"`` (non-employing unit) is never returned: it cannot be told from a headcount alone.

    :raises ValueError: if ``headcount`` is negative.
    """
    if headcount < 0:
        raise ValueError(f"headcount must be >= 0, not {headcount}")
    for term in core_vocabularies()["size_bands"].terms:
        if term.minimum is None:
            continue
        if term.minimum <= headcount and (term.maximum is None or headcount <= term.maximum):
            return term.code
    # Unreachable while the shipped bands are contiguous from 0 (a test checks it).
    raise AssertionError(f"size_bands data does not cover headcount {headcount}")
