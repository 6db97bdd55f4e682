"""The communes and EPCI of the COG, read from compact files on first need.

``tools/extract_communes.py`` writes the files from Etalab's *Découpage administratif*
(Licence Ouverte 2.0); ``data/README.md`` says where they come from. Reading them takes a few
tens of milliseconds, so :class:`~pmae.territories.Territories` only does it the first time a
commune or an EPCI is looked up: importing pmae, or working with régions and départements only,
never pays for it.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import importlib.resources
import json
import unicodedata
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from typing import Any

from pmae.territories.codes import commune_departement


class CommuneTable:
    """Communes (with the arrondissements municipaux) and EPCI: names and membership.

    Codes carry their level (``com:69123``, ``epci:200046977``). Built once and never changed;
    every :class:`~pmae.territories.Territories` built on the same files shares it.
    """

    __slots__ = ("_folded", "by_departement", "manifest", "members", "names", "nature",
                 "parents")

    def __init__(self, *, communes: Iterator[list[str]], epci: Iterator[list[str]],
                 manifest: dict[str, Any], departements: tuple[str, ...]) -> None:
        """Build from the rows of ``communes.tsv.gz`` and ``epci.tsv.gz`` (headers removed)."""
        #: The dataset the table comes from: name, version, licence, row counts.
        self.manifest = manifest
        #: ``com:`` and ``epci:`` code -> name.
        self.names: dict[str, str] = {}
        #: ``epci:`` code -> its nature (``CC``, ``CA``, ``CU``, ``METRO``, ``MET69``).
        self.nature: dict[str, str] = {}
        for code, name, nature in epci:
            self.names["epci:" + code] = name
            self.nature["epci:" + code] = nature
        #: Parents other than the département: a commune's EPCI, an arrondissement's commune;
        #: an EPCI's départements (those of its members), in COG order.
        self.parents: dict[str, tuple[str, ...]] = {}
        names = self.names
        parents = self.parents
        members: dict[str, list[str]] = {}
        member_departements: dict[str, set[str]] = {}
        by_departement: dict[str, list[str]] = {}
        for code, name, epci_code, commune in communes:
            key = "com:" + code
            names[key] = name
            # The COG's rule, inlined: this loop runs 35,000 times on first need.
            departement = "dep:" + (code[:3] if code[:2] == "97" else code[:2])
            listed = by_departement.get(departement)
            if listed is None:
                listed = by_departement[departement] = []
            listed.append(key)
            if commune:
                parents[key] = ("com:" + commune,)
            elif epci_code:
                epci_key = "epci:" + epci_code
                parents[key] = (epci_key,)
                if epci_key in members:
                    members[epci_key].append(key)
                    member_departements[epci_key].add(departement)
                else:
                    members[epci_key] = [key]
                    member_departements[epci_key] = {departement}
        #: ``epci:`` code -> its member communes, in code order.
        self.members: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in members.items()}
        order = {d: i for i, d in enumerate(departements)}
        for code, found in member_departements.items():
            parents[code] = tuple(sorted(found, key=lambda d: order.get(d, len(order))))
        #: ``dep:`` code -> its communes and arrondissements municipaux, in code order.
        self.by_departement: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in by_departement.items()}
        self._folded: dict[str, dict[str, str]] = {}

    @property
    def version(self) -> str:
        """``@etalab/decoupage-administratif 6.0.0``: the dataset and its version."""
        return f"{self.manifest['dataset']} {self.manifest['version']}"

    def nearest(self, code: str, *, limit: int = 3) -> list[str]:
        """The existing communes closest to a commune code that does not exist.

        Looked for among the communes of the code's département (a few hundred at most, so
        this is cheap, and it only runs for a bad code): first a code with two adjacent
        characters swapped, then those whose code differs in the fewest characters (a typo),
        then the nearest numbers.
        """
        local = code.removeprefix("com:")
        candidates = self.by_departement.get(commune_departement(local), ())
        target = int(local[-3:]) if local[-3:].isdigit() else 0

        def distance(candidate: str) -> tuple[int, int, str]:
            other = candidate[4:]
            differing = [i for i, (a, b) in enumerate(zip(local, other, strict=False)) if a != b]
            # Two adjacent digits swapped (38412 for 38421) is the likeliest typo: cost 1;
            # each other differing character costs 2.
            swapped = (len(differing) == 2 and differing[1] == differing[0] + 1
                       and local[differing[0]] == other[differing[1]]
                       and local[differing[1]] == other[differing[0]])
            return 1 if swapped else 2 * len(differing), abs(int(other[-3:]) - target), other

        return sorted((c for c in candidates if c != code), key=distance)[:limit]

    def named(self, name: str, departement: str | None = None, *, limit: int = 3) -> list[str]:
        """Communes whose name is closest to ``name`` (accents and case ignored).

        Within ``departement`` (``dep:69``) when given, else everywhere.
        """
        key = departement or ""
        folded = self._folded.get(key)
        if folded is None:
            codes = self.by_departement.get(key, ()) if departement else (
                c for c in self.names if c.startswith("com:"))
            folded = {}
            for c in codes:
                folded.setdefault(fold(self.names[c]), c)
            self._folded[key] = folded
        wanted = fold(name)
        if wanted in folded:
            return [folded[wanted]]
        return [folded[n] for n in difflib.get_close_matches(wanted, folded, n=limit, cutoff=0.8)]


def fold(text: str) -> str:
    """``text`` without accents, case, hyphens or apostrophes, to compare commune names."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(bare.replace("-", " ").replace("'", " ").replace("’", " ").split())


def _rows(resource: Traversable) -> Iterator[list[str]]:
    lines = gzip.decompress(resource.read_bytes()).decode("utf-8").splitlines()
    for line in lines[1:]:  # the first line is the header
        yield line.split("\t")


def read_commune_table(folder: Traversable, departements: tuple[str, ...]) -> CommuneTable:
    """Read ``communes.tsv.gz``, ``epci.tsv.gz`` and ``cog.json`` from ``folder``.

    ``departements`` (``dep:`` codes, in COG order) orders each EPCI's départements.
    """
    manifest = json.loads(folder.joinpath("cog.json").read_text(encoding="utf-8"))
    return CommuneTable(communes=_rows(folder.joinpath("communes.tsv.gz")),
                        epci=_rows(folder.joinpath("epci.tsv.gz")),
                        manifest=manifest, departements=departements)


def shipped_folder() -> Traversable:
    """The folder of the communes and EPCI shipped with pmae."""
    return importlib.resources.files("pmae.territories").joinpath("data")


@functools.cache
def shipped_commune_table(departements: tuple[str, ...]) -> CommuneTable:
    """The shipped table, read once per process."""
    return read_commune_table(shipped_folder(), departements)
