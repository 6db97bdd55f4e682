"""Helpers shared by the pmae-hsds tests: a session with this plugin, a small bundle that
exercises every rule once, export and import through pmae's core, the command line."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pmae.exchange import export_bundle, import_file
from pmae.io.pipeline import Report
from pmae.model import Actor, Bundle, Offer, Person, Source
from pmae.plugins import ImportContext
from pmae.plugins.context import resolve_options
from pmae.sessions import Session, make_session

import pmae_hsds

PMAE = [sys.executable, "-m", "pmae.cli"]
DATA = Path(pmae_hsds.__file__).parent / "hsds"
REPO = Path(__file__).resolve().parents[3]
#: Open Referral's files, where the pmae workspace keeps them (beside the repository).
OFFICIAL = next((p / "shared" / "external" / "hsds" / "3.0" for p in REPO.parents
                 if (p / "shared" / "external" / "hsds" / "3.0").is_dir()), None)
PARIS = dt.timezone(dt.timedelta(hours=1))
FORMS = ("json", "services", "tabular")


def session() -> Session:
    """A session with the built-ins and this plugin (not the installed copy's entry point)."""
    return make_session(load=[], plugins=[pmae_hsds])


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PMAE_DISABLE_PLUGINS": "pmae-broken"}
    return subprocess.run([*PMAE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)


def small_bundle() -> Bundle:
    """Every rule once: generated description and area, SIRET, address, contacts, dates."""
    actors = (
        Actor(id="lma-ra:region", name="Région Auvergne-Rhône-Alpes", actor_type="collectivite",
              territories=("reg:84",), commune="com:69123", siret="23690001500017",
              address="1 esplanade François Mitterrand\n69002 Lyon",
              website="https://www.region.example.org/", email="va@region.example.org",
              phone="04 26 73 40 00", labels=("autre",), networks=("lma-ra:cress",),
              contacts=(Person(name="Agnès Guillot", role="Chargée de mission",
                               email="a.guillot@region.example.org", phone="04 00 00 00 00"),)),
        Actor(id="lma-ra:cress", name="CRESS", actor_type="cress", address="Quelque part"),
    )
    offers = (
        Offer(id="lma-ra:offre-1", actor="lma-ra:region", title="Premier emploi",
              description="Un conseil puis une formation.", themes=("projet_emploi",
                                                                    "recrutement"),
              stages=("conseil", "formation"), territories=("reg:84", "dep:69", "com:69123"),
              size_bands=("01", "02"), sectors=("sport",), formats=("collectif",),
              delivery="mixte", cost="sous_conditions", valid_from=dt.date(2025, 1, 1),
              valid_until=dt.date(2025, 12, 31), url="https://www.region.example.org/pe"),
        Offer(id="lma-ra:offre-2", actor="lma-ra:region", title="Sans description",
              cost="gratuit", valid_until=dt.date(2024, 12, 31)),
        Offer(id="lma-ra:offre-3", actor="lma-ra:cress", title="Sur rendez-vous",
              territories=("fr",), cost="payant"),
    )
    return Bundle(source=Source(slug="lma-ra", name="Le Mouvement associatif Rhône-Alpes"),
                  generated_at=dt.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS),
                  actors=actors, offers=offers)


def export(bundle: Bundle, folder: Path, audience: str = "all", **options: str) -> Path:
    export_bundle(bundle, "hsds", folder, audience=audience, options=options,
                  session=session())
    return folder


def back(folder: Path, **options: str) -> Report:
    return import_file("hsds", folder, options=options, session=session(),
                       on_warnings=lambda summary: None)


def losses(folder: Path, **options: str) -> list[str]:
    """What the importer reported it could not carry (its ``context.warn`` calls)."""
    s = session()
    resolved = resolve_options(pmae_hsds.IMPORT_OPTIONS, options, what="hsds")
    context = ImportContext(session=s, options=resolved)
    pmae_hsds.read_hsds(folder, resolved, context)
    return [message for message, _ in context.notes.entries]


def strip(records: Any) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("visibility", "recipients")}
            for r in records]
