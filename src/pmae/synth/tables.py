"""The distributions synthetic bundles are drawn from, and the pickers that draw them."""

from __future__ import annotations

import bisect
import itertools
import random
from typing import Final

from pmae.identifiers import luhn_check_digit

#: National scale (DESIGN §6): 150,000 associations, 10,000 actors, 100,000 offers, ~1M needs.
ACTORS_PER_ASSOCIATION: Final = 10_000 / 150_000
OFFERS_PER_ASSOCIATION: Final = 100_000 / 150_000
NEEDS_PER_ASSOCIATION: Final = 1_000_000 / 150_000

#: The collections the generator fills, in bundle order.
GENERATED: Final = ("actors", "offers", "associations", "needs")

# Population of each département in thousands (INSEE, recensement 2021, rounded): the weight of
# a département among employer associations follows its population closely enough here.
POPULATION: Final[dict[str, int]] = {
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
SECTORS: Final = (
    ("action_sociale_medico_sociale", 18), ("sport", 17), ("culture", 12),
    ("education_populaire_jeunesse", 10), ("loisirs_vie_sociale", 8),
    ("enseignement_formation", 7), ("autre", 6), ("aide_domicile", 5), ("sante", 4),
    ("insertion_emploi", 4), ("developpement_local_tourisme_social", 3),
    ("defense_droits_causes", 3), ("environnement", 2), ("solidarite_internationale", 1),
)

# The collective agreement most employers of a sector apply (IDCC).
IDCC: Final = {
    "action_sociale_medico_sociale": "0413", "sport": "2511", "culture": "1285",
    "education_populaire_jeunesse": "1518", "loisirs_vie_sociale": "1518",
    "enseignement_formation": "1516", "aide_domicile": "2941", "sante": "0029",
    "insertion_emploi": "3016", "developpement_local_tourisme_social": "1316",
}

# Size band, share, headcount range (inclusive): consistent with pmae.vocab.size_band_for.
BANDS: Final = (("01", 45, 1, 2), ("02", 28, 3, 5), ("03", 16, 6, 9), ("00", 5, 0, 0),
                 ("11", 6, 10, 19))

# Themes of the employer function, weighted by how often associations ask for them.
THEMES: Final = (
    ("recrutement", 12), ("modele_economique", 11), ("aides_emploi", 10),
    ("paie_declarations", 8), ("formation_pro", 8), ("contrat_travail", 7),
    ("gouvernance_employeur", 6), ("projet_emploi", 6), ("convention_collective", 5),
    ("organisation_management", 5), ("mutualisation", 4), ("qvct", 3), ("gepp", 3),
    ("sante_prevoyance", 2), ("fin_contrat", 2), ("dialogue_social", 2),
    ("gouvernance_projet", 2), ("benevolat", 2), ("numerique", 2), ("communication", 1),
    ("partenariats_territoire", 1),
)

STAGES: Final = ("accueil", "information", "sensibilisation", "conseil", "formation", "appui",
                  "suivi")

ACTOR_TYPES: Final = (
    ("coordination_associative", 12), ("reseau_sectoriel", 14), ("dla_departemental", 4),
    ("dla_regional", 1), ("maison_des_associations", 10), ("point_appui", 12),
    ("financeur_solidaire", 4), ("cress", 1), ("organisation_employeurs", 4), ("opco", 2),
    ("groupement_employeurs", 6), ("collectivite", 14), ("service_etat", 4),
    ("centre_ressources", 4), ("prestataire", 8),
)
ACTOR_LABELS: Final = {
    "dla_departemental": ["porteur_dla"], "dla_regional": ["porteur_dla"],
    "maison_des_associations": ["guid_asso_accueil"], "point_appui": ["point_appui_savara"],
    "financeur_solidaire": ["france_active"], "coordination_associative": ["guid_asso_orientation"],
}

NAME_WORDS: Final = (
    "Horizon", "Avenir", "Solidarité", "Partage", "Rivière", "Colline", "Village", "Quartier",
    "Éveil", "Lien", "Passerelle", "Envol", "Racines", "Tremplin", "Étoile", "Rencontre",
)
SECTOR_NAMES: Final = {
    "action_sociale_medico_sociale": "Entraide", "sport": "Club sportif", "culture": "Compagnie",
    "education_populaire_jeunesse": "Foyer", "loisirs_vie_sociale": "Comité",
    "enseignement_formation": "École", "autre": "Association", "aide_domicile": "Aide à domicile",
    "sante": "Santé", "insertion_emploi": "Chantier", "developpement_local_tourisme_social":
    "Pays", "defense_droits_causes": "Collectif", "environnement": "Nature",
    "solidarite_internationale": "Solidarité",
}

NEED_ORIGINS: Final = (("diagnostic", 55), ("declare", 35), ("rencontre", 10))
NEED_STATUSES: Final = (("ouvert", 40), ("oriente", 20), ("en_cours", 20), ("satisfait", 15),
                         ("clos", 5))
YEARS: Final = (2022, 2023, 2024, 2025)
MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
GENERATED_AT: Final = "2026-01-15T09:00:00+01:00"


def cumulative(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    """``((code, weight), …)`` -> the codes and their cumulative weights."""
    codes = [code for code, _ in pairs]
    return codes, list(itertools.accumulate(weight for _, weight in pairs))


class Picker:
    """Weighted choice of codes, faster than ``Random.choices`` for one value at a time."""

    __slots__ = ("codes", "cumulative", "total")

    def __init__(self, pairs: tuple[tuple[str, int], ...]) -> None:
        self.codes, self.cumulative = cumulative(pairs)
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> str:
        return self.codes[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def random_siren(rng: random.Random) -> str:
    """A SIREN with a valid check digit."""
    # 3 or 4 first: clear of La Poste's 356000000, whose SIRETs follow another rule.
    body = str(rng.randrange(40_000_000, 50_000_000))
    return body + luhn_check_digit(body)


def random_siret(siren: str, rng: random.Random) -> str:
    """A SIRET of ``siren`` with a valid check digit."""
    body = siren + f"{rng.randrange(1, 1000):04d}"
    return body + luhn_check_digit(body)


def random_date(rng: random.Random, years: tuple[int, ...] = YEARS) -> str:
    """An ISO date (``YYYY-MM-DD``) in one of ``years``."""
    year = years[rng.randrange(len(years))]
    month = rng.randrange(12)
    day = rng.randrange(MONTH_DAYS[month]) + 1
    return f"{year}-{month + 1:02d}-{day:02d}"
