"""Synthetic bundles at any scale, seeded: for benchmarks, demos and tests.

:func:`generate` builds a JSON-ready bundle document (plain dicts, what
:func:`pmae.io.converter.unstructure` would write, defaults included) with actors, offers,
associations and needs whose distributions look like the French employer associations: mostly
1 to 9 employees, sectors weighted like the employer associations of France, départements
weighted by population, themes of the employer function. National scale (DESIGN §6) is
``generate(associations=150_000)``: 10,000 actors, 100,000 offers and about a million needs.

:func:`write` streams the same document to a file, record by record, atomically, so a national
bundle is never held in memory as both a document and its serialisation.

With ``invalid_fraction`` a deterministic share of the records is corrupted the way real data
goes wrong (a wrong type, an unknown field, a bad code, an impossible date);
:func:`corrupted_positions` says which, so a benchmark or a test can check the report.

Every collection draws from its own random generator, seeded from ``seed`` and its name, so the
output depends only on the arguments, not on the order records are consumed in.
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
from collections.abc import Iterator
from typing import Any, Final, Literal

import orjson

from pmae.identifiers import luhn_check_digit
from pmae.io.files import atomic_writer
from pmae.model.bundle import FORMAT_VERSION
from pmae.territories import core_territories

__all__ = [
    "ACTORS_PER_ASSOCIATION",
    "NEEDS_PER_ASSOCIATION",
    "OFFERS_PER_ASSOCIATION",
    "corrupted_positions",
    "generate",
    "iter_json",
    "iter_json_lines",
    "planned_counts",
    "write",
]

#: National scale (DESIGN §6): 150,000 associations, 10,000 actors, 100,000 offers, ~1M needs.
ACTORS_PER_ASSOCIATION: Final = 10_000 / 150_000
OFFERS_PER_ASSOCIATION: Final = 100_000 / 150_000
NEEDS_PER_ASSOCIATION: Final = 1_000_000 / 150_000

#: The collections the generator fills, in bundle order.
GENERATED: Final = ("actors", "offers", "associations", "needs")

# Population of each département in thousands (INSEE, recensement 2021, rounded): the weight of
# a département among employer associations follows its population closely enough here.
_POPULATION: Final[dict[str, int]] = {
    "01": 660, "02": 530, "03": 335, "04": 166, "05": 141, "06": 1098, "07": 330, "08": 270,
    "09": 155, "10": 310, "11": 375, "12": 280, "13": 2045, "14": 700, "15": 144, "16": 352,
    "17": 660, "18": 300, "19": 240, "2A": 160, "2B": 182, "21": 535, "22": 603, "23": 116,
    "24": 413, "25": 545, "26": 520, "27": 600, "28": 431, "29": 918, "30": 750, "31": 1435,
    "32": 192, "33": 1665, "34": 1200, "35": 1100, "36": 218, "37": 612, "38": 1280,
    "39": 258, "40": 420, "41": 328, "42": 767, "43": 228, "44": 1450, "45": 683, "46": 174,
    "47": 331, "48": 76, "49": 820, "50": 494, "51": 565, "52": 170, "53": 307, "54": 733,
    "55": 182, "56": 762, "57": 1045, "58": 201, "59": 2610, "60": 830, "61": 278, "62": 1460,
    "63": 665, "64": 690, "65": 230, "66": 485, "67": 1150, "68": 767, "69": 1900, "70": 235,
    "71": 550, "72": 566, "73": 440, "74": 840, "75": 2130, "76": 1255, "77": 1430, "78": 1450,
    "79": 375, "80": 570, "81": 390, "82": 262, "83": 1090, "84": 562, "85": 690, "86": 440,
    "87": 372, "88": 362, "89": 335, "90": 140, "91": 1310, "92": 1630, "93": 1660, "94": 1410,
    "95": 1250, "971": 384, "972": 361, "973": 287, "974": 870, "976": 300,
}

# Share of employer associations by main sector (orders of magnitude of the Recherches &
# Solidarités and INSEE figures: social and medico-social, sport and culture lead).
_SECTORS: Final = (
    ("action_sociale_medico_sociale", 18), ("sport", 17), ("culture", 12),
    ("education_populaire_jeunesse", 10), ("loisirs_vie_sociale", 8),
    ("enseignement_formation", 7), ("autre", 6), ("aide_domicile", 5), ("sante", 4),
    ("insertion_emploi", 4), ("developpement_local_tourisme_social", 3),
    ("defense_droits_causes", 3), ("environnement", 2), ("solidarite_internationale", 1),
)

# The collective agreement most employers of a sector apply (IDCC).
_IDCC: Final = {
    "action_sociale_medico_sociale": "0413", "sport": "2511", "culture": "1285",
    "education_populaire_jeunesse": "1518", "loisirs_vie_sociale": "1518",
    "enseignement_formation": "1516", "aide_domicile": "2941", "sante": "0029",
    "insertion_emploi": "3016", "developpement_local_tourisme_social": "1316",
}

# Size band, share, headcount range (inclusive): consistent with pmae.vocab.size_band_for.
_BANDS: Final = (("01", 45, 1, 2), ("02", 28, 3, 5), ("03", 16, 6, 9), ("00", 5, 0, 0),
                 ("11", 6, 10, 19))

# Themes of the employer function, weighted by how often associations ask for them.
_THEMES: Final = (
    ("recrutement", 12), ("modele_economique", 11), ("aides_emploi", 10),
    ("paie_declarations", 8), ("formation_pro", 8), ("contrat_travail", 7),
    ("gouvernance_employeur", 6), ("projet_emploi", 6), ("convention_collective", 5),
    ("organisation_management", 5), ("mutualisation", 4), ("qvct", 3), ("gepp", 3),
    ("sante_prevoyance", 2), ("fin_contrat", 2), ("dialogue_social", 2),
    ("gouvernance_projet", 2), ("benevolat", 2), ("numerique", 2), ("communication", 1),
    ("partenariats_territoire", 1),
)

_STAGES: Final = ("accueil", "information", "sensibilisation", "conseil", "formation", "appui",
                  "suivi")

_ACTOR_TYPES: Final = (
    ("coordination_associative", 12), ("reseau_sectoriel", 14), ("dla_departemental", 4),
    ("dla_regional", 1), ("maison_des_associations", 10), ("point_appui", 12),
    ("financeur_solidaire", 4), ("cress", 1), ("organisation_employeurs", 4), ("opco", 2),
    ("groupement_employeurs", 6), ("collectivite", 14), ("service_etat", 4),
    ("centre_ressources", 4), ("prestataire", 8),
)
_ACTOR_LABELS: Final = {
    "dla_departemental": ["porteur_dla"], "dla_regional": ["porteur_dla"],
    "maison_des_associations": ["guid_asso_accueil"], "point_appui": ["point_appui_savara"],
    "financeur_solidaire": ["france_active"], "coordination_associative": ["guid_asso_orientation"],
}

_NAME_WORDS: Final = (
    "Horizon", "Avenir", "Solidarité", "Partage", "Rivière", "Colline", "Village", "Quartier",
    "Éveil", "Lien", "Passerelle", "Envol", "Racines", "Tremplin", "Étoile", "Rencontre",
)
_SECTOR_NAMES: Final = {
    "action_sociale_medico_sociale": "Entraide", "sport": "Club sportif", "culture": "Compagnie",
    "education_populaire_jeunesse": "Foyer", "loisirs_vie_sociale": "Comité",
    "enseignement_formation": "École", "autre": "Association", "aide_domicile": "Aide à domicile",
    "sante": "Santé", "insertion_emploi": "Chantier", "developpement_local_tourisme_social":
    "Pays", "defense_droits_causes": "Collectif", "environnement": "Nature",
    "solidarite_internationale": "Solidarité",
}

_NEED_ORIGINS: Final = (("diagnostic", 55), ("declare", 35), ("rencontre", 10))
_NEED_STATUSES: Final = (("ouvert", 40), ("oriente", 20), ("en_cours", 20), ("satisfait", 15),
                         ("clos", 5))
_YEARS: Final = (2022, 2023, 2024, 2025)
_MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_GENERATED_AT: Final = "2026-01-15T09:00:00+01:00"


def _cumulative(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    codes = [code for code, _ in pairs]
    return codes, list(itertools.accumulate(weight for _, weight in pairs))


class _Picker:
    """Weighted choice of codes, faster than ``Random.choices`` for one value at a time."""

    __slots__ = ("codes", "cumulative", "total")

    def __init__(self, pairs: tuple[tuple[str, int], ...]) -> None:
        self.codes, self.cumulative = _cumulative(pairs)
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> str:
        return self.codes[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _siren(rng: random.Random) -> str:
    # 3 or 4 first: clear of La Poste's 356000000, whose SIRETs follow another rule.
    body = str(rng.randrange(40_000_000, 50_000_000))
    return body + luhn_check_digit(body)


def _siret(siren: str, rng: random.Random) -> str:
    body = siren + f"{rng.randrange(1, 1000):04d}"
    return body + luhn_check_digit(body)


def _date(rng: random.Random, years: tuple[int, ...] = _YEARS) -> str:
    year = years[rng.randrange(len(years))]
    month = rng.randrange(12)
    day = rng.randrange(_MONTH_DAYS[month]) + 1
    return f"{year}-{month + 1:02d}-{day:02d}"


class _Plan:
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
        missing = set(departements) ^ set(_POPULATION)
        if missing:  # the shipped referential changed: the weights must follow it
            raise RuntimeError(f"no population weight for départements {sorted(missing)}")
        self.departements = _Picker(tuple((d, _POPULATION[d]) for d in departements))
        self.region_of = {d: territories.parents(f"dep:{d}")[0] for d in departements}
        self.sectors = _Picker(_SECTORS)
        self.themes = _Picker(_THEMES)
        self.actor_types = _Picker(_ACTOR_TYPES)
        self.origins = _Picker(_NEED_ORIGINS)
        self.statuses = _Picker(_NEED_STATUSES)
        self.bands = _Picker(tuple((code, share) for code, share, _, _ in _BANDS))
        self.band_range = {code: (low, high) for code, _, low, high in _BANDS}
        # Filled while generating, read by the collections that come after.
        self.actor_area: list[str] = []
        self.association_facts: list[tuple[str, str, str]] = []
        self._interned: dict[str, str] = {}

    def rng(self, collection: str) -> random.Random:
        return random.Random(f"pmae-synth:{self.seed}:{collection}")

    def intern(self, text: str) -> str:
        # Needs repeat their association's commune: one string per commune, not per need.
        return self._interned.setdefault(text, text)

    def commune(self, rng: random.Random, departement: str) -> str:
        if len(departement) == 3:  # overseas: 97x then 2 digits
            return f"com:{departement}{rng.randrange(1, 35):02d}"
        return f"com:{departement}{rng.randrange(1, 600):03d}"

    # -- collections -------------------------------------------------------------------------

    def actors(self) -> Iterator[dict[str, Any]]:
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
                "name": f"{_NAME_WORDS[rng.randrange(len(_NAME_WORDS))]} "
                        f"{actor_type.replace('_', ' ')} {number}",
                "actor_type": actor_type,
            }
            labels = _ACTOR_LABELS.get(actor_type)
            if labels:
                record["labels"] = labels
            record["territories"] = [area]
            record["commune"] = self.commune(rng, departement)
            if rng.random() < 0.7:
                record["siret"] = _siret(_siren(rng), rng)
            record["website"] = f"https://acteur-{number}.exemple.fr/"
            record["email"] = f"contact@acteur-{number}.exemple.fr"
            record["phone"] = f"0{rng.randrange(1, 6)} " + " ".join(
                str(rng.randrange(10, 100)) for _ in range(4))
            record["visibility"] = "public"
            yield record

    def offers(self) -> Iterator[dict[str, Any]]:
        rng = self.rng("offers")
        source = self.source
        actor_count = self.counts["actors"]
        for index in range(self.counts["offers"]):
            actor = rng.randrange(actor_count)
            themes = sorted({self.themes(rng) for _ in range(rng.randrange(1, 4))})
            first = rng.randrange(len(_STAGES))
            stages = list(_STAGES[first:first + rng.randrange(1, 4)])
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
            start = _date(rng, (2022, 2023, 2024))
            record["valid_from"] = start
            if rng.random() < 0.5:
                record["valid_until"] = f"{int(start[:4]) + 2}{start[4:8]}01"
            record["url"] = f"https://acteur-{actor + 1}.exemple.fr/offres/{index + 1}"
            record["visibility"] = "public"
            yield record

    def associations(self) -> Iterator[dict[str, Any]]:
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
                "name": f"{_SECTOR_NAMES[sector]} "
                        f"{_NAME_WORDS[rng.randrange(len(_NAME_WORDS))]} {index + 1}",
                "rna": f"W{departement[:2]}{rng.randrange(10_000_000):07d}",
            }
            if rng.random() < 0.8:
                siren = _siren(rng)
                record["siren"] = siren
                record["siret"] = _siret(siren, rng)
            record["sector"] = sector
            record["headcount"] = headcount
            record["fte"] = round(headcount * rng.uniform(0.4, 0.95), 1)
            record["size_band"] = band
            record["commune"] = commune
            idcc = _IDCC.get(sector)
            if idcc is not None and rng.random() < 0.8:
                record["idcc"] = idcc
            record["founded"] = _date(rng, tuple(range(1950, 2023)))
            record["visibility"] = "restricted"
            record["recipients"] = [source]
            yield record

    def needs(self) -> Iterator[dict[str, Any]]:
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
                "date": _date(rng),
            }
            if origin != "rencontre" and count:
                association = rng.randrange(count)
                commune, sector, band = facts[association]
                record["association"] = f"{source}:asso-{association + 1}"
                record["stage"] = _STAGES[rng.randrange(3, 6)]
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
        return {
            "format_version": FORMAT_VERSION,
            "source": {"slug": self.source, "name": f"Réseau synthétique {self.source}",
                       "url": f"https://{self.source}.exemple.fr/"},
            "generated_at": _GENERATED_AT,
            "licence": "etalab-2.0",
            "description": "Synthetic bundle made by pmae.synth (not real data).",
        }

    def records(self, collection: str) -> Iterator[dict[str, Any]]:
        method: Iterator[dict[str, Any]] = getattr(self, collection)()
        return method


# -- corruption -------------------------------------------------------------------------------

# Per collection, the ways a record goes wrong, used in turn. None of them touches an id or a
# reference, so exactly the corrupted records get issues (a record that fails the schema keeps
# its id known to the later layers).
_CORRUPTIONS: Final[dict[str, tuple[tuple[str, str, Any], ...]]] = {
    # (kind, field, value): kind "set" replaces or adds a field.
    "actors": (("set", "territories", "dep:69"),        # wrong type: a string, not an array
               ("set", "commentaire", "à revoir"),      # unknown field
               ("set", "actor_type", "Réseau"),         # bad code
               ("set", "commune", "com:6912")),         # bad territory
    "offers": (("set", "themes", "recrutement"),         # wrong type
               ("set", "public", "tous"),               # unknown field
               ("set", "stages", ["diagnostic"]),       # bad code (closed vocabulary)
               ("set", "valid_from", "2024-02-30")),    # bad date
    "associations": (("set", "headcount", "3"),          # wrong type
                     ("set", "effectif", 3),            # unknown field
                     ("set", "size_band", "04"),        # bad code (closed vocabulary)
                     ("set", "founded", "2019-13-01")),  # bad date
    "needs": (("set", "priority", "2"),                   # wrong type
              ("set", "commentaire", "urgent"),          # unknown field
              ("set", "theme", "recrutment"),            # bad code (open vocabulary: layer 3)
              ("set", "date", "2023-02-30")),            # bad date
}


def _corrupted(counts: dict[str, int], seed: int, fraction: float) -> dict[str, list[int]]:
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"invalid_fraction must be within [0, 1], not {fraction}")
    positions: dict[str, list[int]] = {}
    for collection in GENERATED:
        total = counts[collection]
        chosen = round(total * fraction)
        rng = random.Random(f"pmae-synth:{seed}:{collection}:corrupt")
        positions[collection] = sorted(rng.sample(range(total), chosen)) if chosen else []
    return positions


def _corrupt(collection: str, record: dict[str, Any], turn: int) -> None:
    corruptions = _CORRUPTIONS[collection]
    _, field, value = corruptions[turn % len(corruptions)]
    record[field] = value


def _plan(
    *,
    associations: int,
    seed: int = 1,
    needs_per_association: float = NEEDS_PER_ASSOCIATION,
    actors: int | None = None,
    offers: int | None = None,
    source: str = "synth",
    invalid_fraction: float = 0.0,
) -> tuple[_Plan, float]:
    plan = _Plan(associations=associations, seed=seed,
                 needs_per_association=needs_per_association, actors=actors, offers=offers,
                 source=source)
    _corrupted(plan.counts, seed, invalid_fraction)  # refuse a bad fraction before any output
    return plan, invalid_fraction


def _iter_collections(
    plan: _Plan, fraction: float
) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    positions = _corrupted(plan.counts, plan.seed, fraction)

    def records(collection: str) -> Iterator[dict[str, Any]]:
        targets = positions[collection]
        if not targets:
            yield from plan.records(collection)
            return
        wanted = set(targets)
        turn = 0
        for index, record in enumerate(plan.records(collection)):
            if index in wanted:
                _corrupt(collection, record, turn)
                turn += 1
            yield record

    for collection in GENERATED:
        yield collection, records(collection)


# -- public API -------------------------------------------------------------------------------


def generate(
    *,
    associations: int,
    seed: int = 1,
    needs_per_association: float = NEEDS_PER_ASSOCIATION,
    actors: int | None = None,
    offers: int | None = None,
    source: str = "synth",
    invalid_fraction: float = 0.0,
) -> dict[str, Any]:
    """A synthetic bundle document (JSON-ready plain data).

    :param associations: how many associations; the other counts follow it unless given.
    :param seed: the same seed gives the same document, byte for byte once serialised.
    :param needs_per_association: mean number of needs per association (about 6.7 by default:
        a million needs for 150,000 associations); needs pick their association at random.
    :param actors: how many actors (default: one for 15 associations, at least one).
    :param offers: how many offers (default: two for 3 associations).
    :param source: the network slug, prefix of every id.
    :param invalid_fraction: share of the records of each collection to corrupt (see
        :func:`corrupted_positions`).
    """
    plan, fraction = _plan(associations=associations, seed=seed,
                           needs_per_association=needs_per_association, actors=actors,
                           offers=offers, source=source, invalid_fraction=invalid_fraction)
    document = plan.envelope()
    for collection, records in _iter_collections(plan, fraction):
        document[collection] = list(records)
    return document


def corrupted_positions(
    *,
    associations: int,
    seed: int = 1,
    needs_per_association: float = NEEDS_PER_ASSOCIATION,
    actors: int | None = None,
    offers: int | None = None,
    source: str = "synth",
    invalid_fraction: float = 0.0,
) -> dict[str, list[int]]:
    """The index of every record :func:`generate` corrupts with these arguments, by collection."""
    plan, _ = _plan(associations=associations, seed=seed,
                    needs_per_association=needs_per_association, actors=actors, offers=offers,
                    source=source)
    return _corrupted(plan.counts, seed, invalid_fraction)


def planned_counts(**kwargs: Any) -> dict[str, int]:
    """How many records of each collection :func:`generate` makes with these keyword arguments."""
    plan, _ = _plan(**kwargs)
    return {collection: plan.counts[collection] for collection in GENERATED}


def iter_json_lines(**kwargs: Any) -> Iterator[bytes]:
    """The document of :func:`generate` (same keyword arguments) as JSON Lines, line by line.

    Line 1 is the envelope, then one ``{"<collection>": {record}}`` a line, the form
    :func:`pmae.io.files.read_document` reads.
    """
    plan, fraction = _plan(**kwargs)
    yield orjson.dumps(plan.envelope(), option=orjson.OPT_APPEND_NEWLINE)
    for collection, records in _iter_collections(plan, fraction):
        prefix = b'{"' + collection.encode() + b'":'
        for record in records:
            yield prefix + orjson.dumps(record) + b"}\n"


def iter_json(**kwargs: Any) -> Iterator[bytes]:
    """The document of :func:`generate` (same keyword arguments) as compact JSON, in pieces.

    One record a line inside each array, so the file stays readable with line tools; parsing it
    gives exactly :func:`generate`'s document.
    """
    plan, fraction = _plan(**kwargs)
    envelope = orjson.dumps(plan.envelope())
    yield envelope[:-1]
    for collection, records in _iter_collections(plan, fraction):
        separator = b',\n"' + collection.encode() + b'":[\n'
        for record in records:
            yield separator + orjson.dumps(record)
            separator = b",\n"
        yield (b'' if separator == b",\n" else separator) + b"]"
    yield b"}\n"


def write(
    path: str | os.PathLike[str], *, fmt: Literal["json", "jsonl"] = "json", **kwargs: Any
) -> dict[str, int]:
    """Write the document of :func:`generate` (same keyword arguments) to ``path`` atomically.

    Records are serialised as they are made, so memory stays small at any scale.

    :param fmt: ``"json"`` (one document) or ``"jsonl"`` (JSON Lines).
    :returns: how many records each collection got.
    """
    if fmt == "json":
        pieces = iter_json(**kwargs)
    elif fmt == "jsonl":
        pieces = iter_json_lines(**kwargs)
    else:
        raise ValueError(f"fmt must be 'json' or 'jsonl', not {fmt!r}")
    with atomic_writer(path) as handle:
        buffer: list[bytes] = []
        size = 0
        for piece in pieces:
            buffer.append(piece)
            size += len(piece)
            if size >= 1 << 20:  # write in 1 MiB chunks: fewer system calls
                handle.write(b"".join(buffer))
                buffer.clear()
                size = 0
        handle.write(b"".join(buffer))
    return planned_counts(**kwargs)

