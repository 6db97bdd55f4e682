"""Extract the communes and EPCI pmae ships from Etalab's ``@etalab/decoupage-administratif``.

The dataset (Licence Ouverte 2.0, from the INSEE Code officiel géographique and the DGCL's list
of EPCI à fiscalité propre) is published as an npm package. Download its tarball with
``npm pack @etalab/decoupage-administratif`` (add ``@6.0.0`` for a given version), then, from the
repository root::

    python tools/extract_communes.py etalab-decoupage-administratif-6.0.0.tgz
    python tools/extract_communes.py path/to/unpacked/package        # a folder works too
    python tools/extract_communes.py TARBALL --out some/folder       # elsewhere than the default

It writes, in ``src/pmae/territories/data/`` by default:

* ``communes.tsv.gz``: ``code  nom  epci  commune`` for every current commune (type
  ``commune-actuelle``) of the départements pmae knows (``src/pmae/data/geo.json``: metropolitan
  France and the five DROM) and every *arrondissement municipal* of Paris, Lyon and Marseille;
  ``epci`` is the SIREN of the commune's EPCI (empty for the few communes in none, and for
  arrondissements, which belong to their commune's), ``commune`` the commune of an
  arrondissement (empty for communes);
* ``epci.tsv.gz``: ``code  nom  nature`` (``CC``, ``CA``, ``CU``, ``METRO``, ``MET69``); the
  members of an EPCI are the communes whose ``epci`` column names it, so membership is written
  once;
* ``cog.json``: the dataset, its version, the licence, and the row counts (a test checks them).

Communes of the collectivités d'outre-mer (Saint-Pierre-et-Miquelon, Saint-Barthélemy,
Saint-Martin, Polynésie, Nouvelle-Calédonie, TAAF…) are left out: they are not in a
département pmae knows. Delegated and associated communes are left out: they are not current
communes. The output is deterministic (rows sorted by code, gzip without a timestamp).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import tarfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "src" / "pmae" / "territories" / "data"
GEO = ROOT / "src" / "pmae" / "data" / "geo.json"
DATASET = "@etalab/decoupage-administratif"


class ExtractError(ValueError):
    """The input is not the dataset this script expects; the message says what is wrong."""


def read_package(source: Path) -> dict[str, Any]:
    """``package.json``, ``communes.json`` and ``epci.json`` of the npm package at ``source``.

    ``source`` is the tarball ``npm pack`` downloads, or a folder holding the unpacked package
    (with or without its top ``package/`` folder).
    """
    wanted = {"package.json": "package", "data/communes.json": "communes",
              "data/epci.json": "epci"}
    found: dict[str, Any] = {}
    if source.is_dir():
        root = source / "package" if (source / "package" / "package.json").is_file() else source
        for name, key in wanted.items():
            path = root / name
            if not path.is_file():
                raise ExtractError(f"{source}: {name} is missing; is this the unpacked "
                                   f"{DATASET} package?")
            found[key] = json.loads(path.read_text(encoding="utf-8"))
        return found
    try:
        with tarfile.open(source, "r:*") as archive:
            for member in archive.getmembers():
                found_key = wanted.get(member.name.removeprefix("package/"))
                if found_key is not None and member.isfile():
                    stream = archive.extractfile(member)
                    assert stream is not None  # a regular file always has a stream
                    found[found_key] = json.loads(stream.read().decode("utf-8"))
    except (tarfile.TarError, OSError) as error:
        raise ExtractError(f"{source}: cannot read the tarball ({error})") from error
    missing = sorted(name for name, key in wanted.items() if key not in found)
    if missing:
        raise ExtractError(f"{source}: {', '.join(missing)} missing from the tarball")
    return found


def departement_of(code: str) -> str:
    """The département of a commune code by the COG's rule (3 characters overseas)."""
    return code[:3] if code.startswith("97") else code[:2]


def extract(package: Mapping[str, Any], departements: Iterable[str]
            ) -> tuple[list[list[str]], list[list[str]], dict[str, Any]]:
    """The commune rows, the EPCI rows and the manifest, checked for consistency.

    :raises ExtractError: when the data contradicts itself (a commune filed in another
        département than its code says, an EPCI member that is not a current commune, a
        commune in two EPCI…).
    """
    if package["package"].get("name") != DATASET:
        raise ExtractError(f"this is {package['package'].get('name')!r}, not {DATASET!r}")
    known = set(departements)
    communes: dict[str, list[str]] = {}
    arrondissements: list[dict[str, Any]] = []
    left_out = 0
    for entry in package["communes"]:
        if entry["type"] == "arrondissement-municipal":
            arrondissements.append(entry)
        if entry["type"] != "commune-actuelle":
            continue
        code = entry["code"]
        if entry["departement"] not in known:
            left_out += 1  # a collectivité d'outre-mer: no département pmae knows
            continue
        if departement_of(code) != entry["departement"]:
            raise ExtractError(f"commune {code} is filed in département {entry['departement']}, "
                               f"its code says {departement_of(code)}")
        if code in communes:
            raise ExtractError(f"commune {code} is listed twice")
        communes[code] = [code, _clean(entry["nom"]), "", ""]
    for entry in arrondissements:
        parent = entry.get("commune")
        if parent not in communes:
            raise ExtractError(f"arrondissement {entry['code']} is in {parent!r}, "
                               "not a current commune")
        communes[entry["code"]] = [entry["code"], _clean(entry["nom"]), "", parent]
    epci_rows: list[list[str]] = []
    for entry in package["epci"]:
        code = entry["code"]
        if not (len(code) == 9 and code.isdigit()):
            raise ExtractError(f"EPCI {code!r} is not a SIREN")
        epci_rows.append([code, _clean(entry["nom"]), entry["type"]])
        for member in entry["membres"]:
            row = communes.get(member["code"])
            if row is None or row[3]:
                raise ExtractError(f"EPCI {code} lists {member['code']}, "
                                   "not a current commune of a known département")
            if row[2]:
                raise ExtractError(f"commune {member['code']} is in EPCI {row[2]} and {code}")
            row[2] = code
    commune_rows = sorted(communes.values())
    epci_rows.sort()
    manifest = {
        "dataset": DATASET,
        "version": package["package"]["version"],
        "title": "Découpage administratif français (communes, EPCI à fiscalité propre)",
        "publisher": "Etalab (DINUM)",
        "sources": "INSEE, Code officiel géographique; DGCL, liste et composition des EPCI "
                   "à fiscalité propre",
        "licence": "etalab-2.0",
        "licence_title": "Licence Ouverte / Open Licence 2.0",
        "counts": {
            "communes": sum(1 for row in commune_rows if not row[3]),
            "arrondissements_municipaux": sum(1 for row in commune_rows if row[3]),
            "epci": len(epci_rows),
            "communes_without_epci": sum(1 for row in commune_rows if not row[2] and not row[3]),
            "left_out_outside_departements": left_out,
        },
    }
    return commune_rows, epci_rows, manifest


def _clean(name: str) -> str:
    if "\t" in name or "\n" in name:
        raise ExtractError(f"name {name!r} holds a tab or a line break")
    return name.strip()


def tsv_gz(header: list[str], rows: list[list[str]]) -> bytes:
    """Rows as gzip'd UTF-8 TSV, byte-for-byte reproducible (no timestamp in the header)."""
    text = io.StringIO()
    for row in [header, *rows]:
        text.write("\t".join(row) + "\n")
    return gzip.compress(text.getvalue().encode("utf-8"), compresslevel=9, mtime=0)


def write(out: Path, commune_rows: list[list[str]], epci_rows: list[list[str]],
          manifest: Mapping[str, Any]) -> None:
    """Write the three files into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "communes.tsv.gz").write_bytes(
        tsv_gz(["code", "nom", "epci", "commune"], commune_rows))
    (out / "epci.tsv.gz").write_bytes(tsv_gz(["code", "nom", "nature"], epci_rows))
    (out / "cog.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path,
                        help="the tarball of `npm pack`, or the unpacked package folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write (default: {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--geo", type=Path, default=GEO,
                        help="the régions and départements pmae knows (default: pmae's)")
    args = parser.parse_args(argv)
    geo = json.loads(args.geo.read_text(encoding="utf-8"))
    try:
        package = read_package(args.source)
        communes, epci, manifest = extract(
            package, (d["code"] for d in geo["departements"]))
    except ExtractError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    write(args.out, communes, epci, manifest)
    counts = manifest["counts"]
    print(f"{DATASET} {manifest['version']}: {counts['communes']} communes, "
          f"{counts['arrondissements_municipaux']} arrondissements municipaux, "
          f"{counts['epci']} EPCI -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
