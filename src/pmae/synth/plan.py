"""The plan of a synthetic bundle: counts, pickers, and the records of each collection."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from pmae.model.bundle import FORMAT_VERSION
from pmae.synth.tables import (
    ACTOR_LABELS,
    ACTOR_TYPES,
    ACTORS_PER_ASSOCIATION,
    BANDS,
    GENERATED_AT,
    IDCC,
    NAME_WORDS,
    NEED_ORIGINS,
    NEED_STATUSES,
    OFFERS_PER_ASSOCIATION,
    POPULATION,
    SECTOR_NAMES,
    SECTORS,
    STAGES,
    THEMES,
    Picker,
    random_date,
    random_siren,
    random_siret,
)
from pmae.territories import core_territories


class Plan:
    """Counts, pickers and the per-record facts later collections reuse (kept compact)."""

    def __init__(self, *, associations: int, seed: int, needs_per_association: float,
                 actors: int | None, offers: int | None, source: str) -> None:
        if associations < 0:
            raise ValueError(f"associations must be >= 0, not {associations}")
        if needs_per_association < 0:
            raise ValueError(f"needs_per_association must be >= 0, not {needs_per_association}")
        self.seed = seed
        self.source = source
        self.counts = {
            "actors": max(1, round(associations * ACTORS_PER_ASSOCIATION))
            if actors is None else actors,
            "offers": round(associations * OFFERS_PER_ASSOCIATION) if offers is None else offers,
            "associations": associations,
            "needs": round(associations * needs_per_association),
        }
        if self.counts["offers"] and not self.counts["actors"]:
            raise ValueError("offers need at least one actor")
        territories = core_territories()
        departements = [d.removeprefix("dep:") for d in territories.departements("fr")]
        missing = set(departements) ^ set(POPULATION)
        if missing:  # the shipped referential changed: the weights must follow it
            raise RuntimeError(f"no population weight for départements {sorted(missing)}")
        self.departements = Picker(tuple((d, POPULATION[d]) for d in departements))
        self.region_of = {d: territories.parents(f"dep:{d}")[0] for d in departements}
        self.sectors = Picker(SECTORS)
        self.themes = Picker(THEMES)
        self.actor_types = Picker(ACTOR_TYPES)
        self.origins = Picker(NEED_ORIGINS)
        self.statuses = Picker(NEED_STATUSES)
        self.bands = Picker(tuple((code, share) for code, share, _, _ in BANDS))
        self.band_range = {code: (low, high) for code, _, low, high in BANDS}
        # Filled while generating, read by the collections that come after.
        self.actor_area: list[str] = []
        self.association_facts: list[tuple[str, str, str]] = []
        self._interned: dict[str, str] = {}
        self._territories = territories
        self._communes: dict[str, tuple[str, ...]] = {}

    def rng(self, collection: str) -> random.Random:
        """The random generator of ``collection``, seeded from the seed and its name."""
        return random.Random(f"pmae-synth:{self.seed}:{collection}")

    def intern(self, text: str) -> str:
        """``text``, shared with every equal string interned before."""
        # Needs repeat their association's commune: one string per commune, not per need.
        return self._interned.setdefault(text, text)

    def commune(self, rng: random.Random, departement: str) -> str:
        """A real commune of ``departement`` (a code of the COG), drawn uniformly."""
        communes = self._communes.get(departement)
        if communes is None:
            communes = self._communes[departement] = self._territories.communes(
                f"dep:{departement}")
        return communes[rng.randrange(len(communes))]

    # -- collections -------------------------------------------------------------------------

    def actors(self) -> Iterator[dict[str, Any]]:
        """The actors, one JSON-ready record at a time."""
        rng = self.rng("actors")
        source = self.source
        for index in range(self.counts["actors"]):
            actor_type = self.actor_types(rng)
            departement = self.departements(rng)
            regional = actor_type in ("dla_regional", "cress", "opco") or rng.random() < 0.1
            area = self.region_of[departement] if regional else f"dep:{departement}"
            self.actor_area.append(area)
            number = index + 1
            record: dict[str, Any] = {
                "id": f"{source}:acteur-{number}",
                "name": f"{NAME_WORDS[rng.randrange(len(NAME_WORDS))]} "
                        f"{actor_type.replace('_', ' ')} {number}",
                "actor_type": actor_type,
            }
            labels = ACTOR_LABELS.get(actor_type)
            if labels:
                record["labels"] = labels
            record["territories"] = [area]
            record["commune"] = self.commune(rng, departement)
            if rng.random() < 0.7:
                record["siret"] = random_siret(random_siren(rng), rng)
            record["website"] = f"https://acteur-{number}.exemple.fr/"
            record["email"] = f"contact@acteur-{number}.exemple.fr"
            record["phone"] = f"0{rng.randrange(1, 6)} " + " ".join(
                str(rng.randrange(10, 100)) for _ in range(4))
            record["visibility"] = "public"
            yield record

    def offers(self) -> Iterator[dict[str, Any]]:
        """The offers, one JSON-ready record at a time, each of a generated actor."""
        rng = self.rng("offers")
        source = self.source
        actor_count = self.counts["actors"]
        for index in range(self.counts["offers"]):
            actor = rng.randrange(actor_count)
            themes = sorted({self.themes(rng) for _ in range(rng.randrange(1, 4))})
            first = rng.randrange(len(STAGES))
            stages = list(STAGES[first:first + rng.randrange(1, 4)])
            record: dict[str, Any] = {
                "id": f"{source}:offre-{index + 1}",
                "actor": f"{source}:acteur-{actor + 1}",
                "title": f"{themes[0].replace('_', ' ').capitalize()}: {stages[0]} ({index + 1})",
                "themes": themes,
                "stages": stages,
                "territories": [self.actor_area[actor]],
            }
            if rng.random() < 0.6:
                record["size_bands"] = ["01", "02", "03"]
            if rng.random() < 0.3:
                record["sectors"] = [self.sectors(rng)]
            record["formats"] = (["individuel"], ["collectif"], ["individuel", "collectif"])[
                rng.randrange(3)]
            record["delivery"] = ("sur_site", "a_distance", "mixte")[rng.randrange(3)]
            record["cost"] = ("gratuit", "gratuit", "payant", "sous_conditions")[rng.randrange(4)]
            start = random_date(rng, (2022, 2023, 2024))
            record["valid_from"] = start
            if rng.random() < 0.5:
                record["valid_until"] = f"{int(start[:4]) + 2}{start[4:8]}01"
            record["url"] = f"https://acteur-{actor + 1}.exemple.fr/offres/{index + 1}"
            record["visibility"] = "public"
            yield record

    def associations(self) -> Iterator[dict[str, Any]]:
        """The associations, weighted by population, sector and size band."""
        rng = self.rng("associations")
        source = self.source
        for index in range(self.counts["associations"]):
            departement = self.departements(rng)
            sector = self.sectors(rng)
            band = self.bands(rng)
            low, high = self.band_range[band]
            headcount = rng.randint(low, high)
            commune = self.intern(self.commune(rng, departement))
            self.association_facts.append((commune, sector, band))
            record: dict[str, Any] = {
                "id": f"{source}:asso-{index + 1}",
                "name": f"{SECTOR_NAMES[sector]} "
                        f"{NAME_WORDS[rng.randrange(len(NAME_WORDS))]} {index + 1}",
                "rna": f"W{departement[:2]}{rng.randrange(10_000_000):07d}",
            }
            if rng.random() < 0.8:
                siren = random_siren(rng)
                record["siren"] = siren
                record["siret"] = random_siret(siren, rng)
            record["sector"] = sector
            record["headcount"] = headcount
            record["fte"] = round(headcount * rng.uniform(0.4, 0.95), 1)
            record["size_band"] = band
            record["commune"] = commune
            idcc = IDCC.get(sector)
            if idcc is not None and rng.random() < 0.8:
                record["idcc"] = idcc
            record["founded"] = random_date(rng, tuple(range(1950, 2023)))
            record["visibility"] = "restricted"
            record["recipients"] = [source]
            yield record

    def needs(self) -> Iterator[dict[str, Any]]:
        """The needs, each of an association drawn at random."""
        rng = self.rng("needs")
        source = self.source
        facts = self.association_facts
        count = len(facts)
        for index in range(self.counts["needs"]):
            origin = self.origins(rng)
            record: dict[str, Any] = {
                "id": f"{source}:besoin-{index + 1}",
                "theme": self.themes(rng),
                "origin": origin,
                "date": random_date(rng),
            }
            if origin != "rencontre" and count:
                association = rng.randrange(count)
                commune, sector, band = facts[association]
                record["association"] = f"{source}:asso-{association + 1}"
                record["stage"] = STAGES[rng.randrange(3, 6)]
                record["priority"] = rng.randrange(1, 4)
                record["territory"] = commune
                record["size_band"] = band
                record["sector"] = sector
            else:  # a need heard at a meeting: a territory, no association
                record["priority"] = 2
                record["territory"] = f"dep:{self.departements(rng)}"
            record["status"] = self.statuses(rng)
            record["visibility"] = "restricted"
            record["recipients"] = [source]
            yield record

    def envelope(self) -> dict[str, Any]:
        """The bundle's envelope: format, source, date, licence, no records."""
        return {
            "format_version": FORMAT_VERSION,
            "source": {"slug": self.source, "name": f"Réseau synthétique {self.source}",
                       "url": f"https://{self.source}.exemple.fr/"},
            "generated_at": GENERATED_AT,
            "licence": "etalab-2.0",
            "description": "Synthetic bundle made by pmae.synth (not real data).",
        }

    def records(self, collection: str) -> Iterator[dict[str, Any]]:
        """The records of ``collection``, one of :data:`GENERATED`."""
        method: Iterator[dict[str, Any]] = getattr(self, collection)()
        return method
