"""Load benchmark: how much validating a national bundle costs next to just parsing it.

Generates a synthetic national bundle (pmae.synth), then times, each in a fresh subprocess so
that the peak memory (``ru_maxrss``) belongs to one measurement:

(a) ``orjson``: read the file and ``orjson.loads`` it (JSON Lines: one ``loads`` a line);
(b) ``pmae load``: read + layer 1 (JSON Schema) + layer 2 (structuring into the model);
(c) ``pmae full``: the same + layer 3 semantic checks (``validate_file``);
(d) ``pydantic``: ``TypeAdapter(Bundle).validate_json`` with pydantic v2 models that enforce the
    constraints of the record schemas (JSON documents only).

Then the same on a bundle with 1 % invalid records, checking the number of issues, and, on a
smaller sample, that the fast path reports exactly what the detailed path reports.

    python benchmarks/bench_load.py                      # national scale, medians of 3
    python benchmarks/bench_load.py --associations 15000 --repeat 1 --format json

A script that prints figures, not a timed test.
"""

# ruff: noqa: RUF012  (pydantic copies list defaults per instance: they are not shared)
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KINDS = {
    "orjson": "orjson.loads (read included)",
    "load": "pmae load: schema + structure",
    "full": "pmae validate_file: + semantic checks",
    "pydantic": "pydantic v2 TypeAdapter.validate_json",
}


# --- the pydantic models (imported only in the pydantic subprocess) ---------------------------


def _pydantic_bundle() -> Any:
    """Pydantic v2 models equivalent to the record schemas' constraints (what the bundle holds)."""
    import datetime as dt
    from typing import Annotated, Literal

    from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

    def pattern(regex: str, max_length: int | None = None) -> Any:
        return Annotated[str, StringConstraints(pattern=regex, max_length=max_length)]

    territory_re = re.compile(
        r"^(?:fr|reg:[0-9]{2}|dep:(?:[0-9]{2}|2[AB]|97[1-8])|com:(?:[0-9]{5}|2[AB][0-9]{3})"
        r"|epci:[0-9]{9}|(?!(?:fr|reg|dep|com|epci):)[a-z][a-z0-9_]*:[0-9A-Za-z_-]+)$")

    def territory_ok(value: str) -> str:
        # The lookahead is beyond pydantic-core's Rust regex: checked in Python, as pmae does.
        if len(value) > 40 or not territory_re.match(value):
            raise ValueError("not a territory code")
        return value

    def unique(values: list[Any]) -> list[Any]:
        if len(set(values)) != len(values):
            raise ValueError("items must be unique")
        return values

    Id = pattern(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?:[A-Za-z0-9][A-Za-z0-9._~-]*$", 200)
    Slug = pattern(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
    Code = pattern(r"^(?:[a-z][a-z0-9_-]*:)?[a-z0-9_]+$", 100)
    Codes = Annotated[list[Code], Field(max_length=200), AfterValidator(unique)]
    Territory = Annotated[str, AfterValidator(territory_ok)]
    Territories = Annotated[list[Territory], Field(max_length=2000), AfterValidator(unique)]
    Commune = pattern(r"^com:(?:[0-9]{5}|2[AB][0-9]{3})$")
    Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
    Text = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    Url = pattern(r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$", 2000)
    Email = pattern(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$", 254)
    Phone = pattern(r"^\+?[0-9][0-9 .()-]{5,24}$")
    Siren, Siret = pattern(r"^[0-9]{9}$"), pattern(r"^[0-9]{14}$")
    Recipients = Annotated[
        list[pattern(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?::[A-Za-z0-9][A-Za-z0-9._~-]*)?$",
                     200)], Field(max_length=500), AfterValidator(unique)]
    Visibility = Literal["public", "network", "restricted", "private"]
    Stage = Literal["accueil", "information", "sensibilisation", "conseil", "formation", "appui",
                    "suivi"]
    SizeBand = Literal["NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41",
                       "42", "51", "52", "53"]
    Number = Annotated[float, Field(ge=0, le=1_000_000)]

    class Strict(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")

    class Person(Strict):
        name: Name
        role: Name | None = None
        email: Email | None = None
        phone: Phone | None = None

    class Source(Strict):
        slug: Slug
        name: Name
        url: Url | None = None
        contact_email: Email | None = None

    class Actor(Strict):
        id: Id
        name: Name
        actor_type: Code
        description: Text | None = None
        labels: Codes = []
        networks: Annotated[list[Id], Field(max_length=500), AfterValidator(unique)] = []
        territories: Territories = []
        commune: Commune | None = None
        address: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
        siret: Siret | None = None
        website: Url | None = None
        email: Email | None = None
        phone: Phone | None = None
        contacts: Annotated[list[Person], Field(max_length=50)] = []
        visibility: Visibility = "public"
        recipients: Recipients = []

    class Offer(Strict):
        id: Id
        actor: Id
        title: Name
        description: Text | None = None
        themes: Codes = []
        stages: Annotated[list[Stage], Field(max_length=7), AfterValidator(unique)] = []
        territories: Territories = []
        size_bands: Annotated[list[SizeBand], Field(max_length=16), AfterValidator(unique)] = []
        sectors: Codes = []
        formats: Annotated[list[Literal["individuel", "collectif"]], Field(max_length=2),
                           AfterValidator(unique)] = []
        delivery: Literal["sur_site", "a_distance", "mixte"] | None = None
        cost: Literal["gratuit", "payant", "sous_conditions"] | None = None
        valid_from: dt.date | None = None
        valid_until: dt.date | None = None
        url: Url | None = None
        visibility: Visibility = "public"
        recipients: Recipients = []

    class Association(Strict):
        id: Id
        name: Name
        rna: pattern(r"^W[0-9][0-9AB][0-9]{7}$") | None = None  # type: ignore[valid-type]
        siren: Siren | None = None
        siret: Siret | None = None
        sector: Code | None = None
        headcount: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
        fte: Number | None = None
        size_band: SizeBand | None = None
        commune: Commune | None = None
        idcc: pattern(r"^[0-9]{4}$") | None = None  # type: ignore[valid-type]
        founded: dt.date | None = None
        visibility: Visibility = "restricted"
        recipients: Recipients = []

    class Need(Strict):
        id: Id
        theme: Code
        origin: Literal["diagnostic", "declare", "rencontre"]
        date: dt.date
        association: Id | None = None
        diagnosis: Id | None = None
        stage: Stage | None = None
        priority: Annotated[int, Field(ge=1, le=3)] = 2
        intensity: Number | None = None
        territory: Territory | None = None
        size_band: SizeBand | None = None
        sector: Code | None = None
        status: Literal["ouvert", "oriente", "en_cours", "satisfait", "clos"] = "ouvert"
        visibility: Visibility = "restricted"
        recipients: Recipients = []

    class Bundle(Strict):
        format_version: pattern(r"^1\.[0-9]+\.[0-9]+$")  # type: ignore[valid-type]
        source: Source
        generated_at: dt.datetime
        licence: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "etalab-2.0"
        description: Text | None = None
        actors: list[Actor] = []
        offers: list[Offer] = []
        associations: list[Association] = []
        needs: list[Need] = []

    return Bundle


# --- one measurement, in its own process ------------------------------------------------------


def _cpu_seconds() -> float:
    # CPU time (user + system, page faults included) holds up better than wall time on a
    # shared machine; both are printed.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure(kind: str, path: str) -> dict[str, Any]:
    """Run one measurement in this process: seconds, peak RSS and its baseline, issues."""
    import orjson

    jsonl = path.endswith(".jsonl")
    run: Any
    if kind == "orjson":
        def run() -> int:
            if jsonl:
                with open(path, "rb") as handle:
                    [orjson.loads(line) for line in handle]
                return 0
            with open(path, "rb") as handle:
                orjson.loads(handle.read())
            return 0
    elif kind in ("load", "full"):
        from pmae.io.converter import default_converter, detailed_converter
        from pmae.io.pipeline import validate_file
        from pmae.io.schemas import validator
        from pmae.territories import core_territories
        from pmae.vocab import core_vocabularies

        # Build what is built once per process outside the timing, as for the other contenders.
        validator("bundle"), default_converter(), detailed_converter()
        core_vocabularies(), core_territories()

        def run() -> int:
            report = validate_file(path, semantic=kind == "full")
            return len(report.issues)
    elif kind == "pydantic":
        from pydantic import TypeAdapter, ValidationError

        adapter = TypeAdapter(_pydantic_bundle())

        def run() -> int:
            with open(path, "rb") as handle:
                data = handle.read()
            try:
                adapter.validate_json(data)
            except ValidationError as error:
                return error.error_count()
            return 0
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    baseline = _rss_kib()
    cpu_start = _cpu_seconds()
    start = time.perf_counter()
    issues = run()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu": _cpu_seconds() - cpu_start, "peak_kib": _rss_kib(),
            "baseline_kib": baseline, "issues": issues}


def _in_subprocess(kind: str, path: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", kind, str(path)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- the run ------------------------------------------------------------------------------------


def _row(label: str, runs: list[dict[str, Any]], base: dict[str, Any], records: int) -> str:
    seconds = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    peak = statistics.median(r["peak_kib"] for r in runs)
    extra = statistics.median((r["peak_kib"] - r["baseline_kib"]) * 1024 / records for r in runs)
    issues = ",".join(sorted({str(r["issues"]) for r in runs}))
    return (f"{label:<40} {seconds:7.2f} {seconds / base['seconds']:6.2f} {cpu:7.2f} "
            f"{cpu / base['cpu']:6.2f} {peak / 1024:8.0f} {extra:8.0f} {issues:>7}")


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, generate the bundles, measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", choices=("json", "jsonl", "both"), default="both")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the generated files (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse bundles already generated in --out")
    parser.add_argument("--sample", type=int, default=3000,
                        help="associations in the fast/detailed agreement sample")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0

    from pmae import synth
    from pmae.io.pipeline import validate_document

    with tempfile.TemporaryDirectory(prefix="pmae-bench-") as temporary:
        out = args.out or Path(temporary)
        out.mkdir(parents=True, exist_ok=True)
        n = args.associations
        files: list[tuple[str, str, Path, float]] = []
        formats = ("json", "jsonl") if args.format == "both" else (args.format,)
        for fmt in formats:
            files.append(("valid", fmt, out / f"bundle-{n}.{fmt}", 0.0))
        if "json" in formats:
            files.append(("1 % invalid", "json", out / f"bundle-{n}-invalid.json", 0.01))
        counts: dict[str, int] = {}
        for _, fmt, path, fraction in files:
            if args.reuse and path.exists():
                counts = synth.planned_counts(associations=n)
                continue
            start = time.perf_counter()
            counts = synth.write(path, fmt=fmt, associations=n, invalid_fraction=fraction)
            print(f"generated {path.name}: {path.stat().st_size / 2**20:.0f} MiB in "
                  f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
        records = sum(counts.values())
        corrupted = sum(len(p) for p in synth.corrupted_positions(
            associations=n, invalid_fraction=0.01).values())

        print(f"\npmae load benchmark: {n} associations, {records} records "
              f"({', '.join(f'{k} {v}' for k, v in counts.items())}); "
              f"medians of {args.repeat}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        print(f"{'measurement':<40} {'wall s':>7} {'×base':>6} {'cpu s':>7} {'×base':>6} "
              f"{'peak MiB':>8} {'B/rec':>8} {'issues':>7}")
        for label, fmt, path, _ in files:
            print(f"-- {label} {fmt} ({path.stat().st_size / 2**20:.0f} MiB)")
            kinds = ["orjson", "load", "full"] + (["pydantic"] if fmt == "json" else [])
            base: dict[str, Any] = {}
            for kind in kinds:
                runs = [_in_subprocess(kind, path) for _ in range(args.repeat)]
                if kind == "orjson":
                    base = {key: statistics.median(r[key] for r in runs)
                            for key in ("seconds", "cpu")}
                print(_row(KINDS[kind], runs, base, records), flush=True)
        if "json" in formats:
            print(f"1 % invalid: {corrupted} records corrupted, one issue expected for each "
                  "(a quarter of the needs' corruptions are unknown themes: layer 3 only)")
            sample = synth.generate(associations=args.sample, invalid_fraction=0.01)
            fast = validate_document(sample).issues
            detailed = validate_document(sample, fast=False).issues
            print(f"fast vs detailed path on {args.sample} associations, 1 % invalid: "
                  f"{len(fast)} and {len(detailed)} issues, identical: {fast == detailed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
