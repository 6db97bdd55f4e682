"""Build the sample bundle shipped with pmae: ``src/pmae/data/sample.json`` (Rhône-Alpes, 2025).

Run it from the repository root with the venv's Python::

    python tools/build_sample.py          # write the file, exit 1 if it has any issue
    python tools/build_sample.py --check  # only check that the shipped file is up to date

The output is deterministic: fictional parts are drawn from ``random.Random(SEED)`` and the
generation time is fixed, so running the script twice gives the same bytes (a test checks it).

What is real and what is not:

* the public structures of the démarche are named (Le Mouvement associatif Rhône-Alpes, the
  RNMA, the CRESS, the DLA, Rhône-Alpes Active, UDES, Uniformation, ARAVIS, Chorum…), but every
  e-mail, web site and phone number given for them is fictional (``example.org`` addresses,
  phones in the ARCEP range reserved for fiction, 04 65 71 00 00 to 04 65 71 99 99);
* the offers are plausible but invented;
* the associations, people, needs and diagnoses are fictional; RNA numbers have the right form,
  SIREN/SIRET numbers pass their check digit but belong to nobody we know of.

Deliberate gaps in the territorial offer, so that coverage analysis has something to find
(:data:`GAPS` lists them and :func:`check_gaps` fails the build if an offer fills one):

* no offer on ``dialogue_social`` at the stage ``conseil`` in Ardèche (07) or Drôme (26);
* no offer at all on ``sante_prevoyance`` in Savoie (73) or Haute-Savoie (74);
* ``gepp`` is thin everywhere: two offers in the whole region.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pmae.io.converter import structure, unstructure
from pmae.io.files import dumps_json, write_bytes_atomic
from pmae.io.pipeline import validate_document
from pmae.model import Bundle
from pmae.territories import core_territories
from pmae.vocab import size_band_for

SEED = 20250101
SOURCE = "pmae-ra"
YEAR = 2025
#: Fixed so that the output does not depend on when the script runs.
GENERATED_AT = "2025-12-01T09:00:00+01:00"
OUTPUT = Path(__file__).resolve().parents[1] / "src" / "pmae" / "data" / "sample.json"
RECIPIENTS = [SOURCE]
PMAE_BANDS = ["01", "02", "03"]

DESCRIPTION = (
    "Jeu de données d'exemple de la démarche PMAE en Rhône-Alpes, année 2025. Les données sont "
    "illustratives : les structures publiques de la démarche sont nommées (Le Mouvement "
    "associatif Rhône-Alpes, le RNMA, la CRESS, les DLA, Rhône-Alpes Active, l'UDES, "
    "Uniformation, ARAVIS, Chorum…), mais leurs coordonnées sont fictives (adresses example.org, "
    "numéros de téléphone réservés à la fiction) ; les offres sont plausibles mais inventées ; "
    "les associations, les personnes, les besoins et les diagnostics sont fictifs. Lacunes "
    "volontaires de l'offre, pour l'analyse de couverture : aucun conseil en dialogue social en "
    "Ardèche ni dans la Drôme, aucune offre en santé et prévoyance en Savoie ni en Haute-Savoie, "
    "très peu d'offres en GEPP."
)

#: The deliberate gaps: (theme, stage or None for any stage, départements left uncovered).
GAPS: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("dialogue_social", "conseil", ("dep:07", "dep:26")),
    ("sante_prevoyance", None, ("dep:73", "dep:74")),
)
#: At most this many offers on ``gepp`` ("thin everywhere").
GEPP_MAX_OFFERS = 2

DEPARTEMENTS = ("01", "07", "26", "38", "42", "69", "73", "74")
DEP_NAMES = {
    "01": "Ain", "07": "Ardèche", "26": "Drôme", "38": "Isère", "42": "Loire", "69": "Rhône",
    "73": "Savoie", "74": "Haute-Savoie",
}
#: "de l'Ain", "de la Drôme", "du Rhône"…
DEP_OF = {
    "01": "de l'Ain", "07": "de l'Ardèche", "26": "de la Drôme", "38": "de l'Isère",
    "42": "de la Loire", "69": "du Rhône", "73": "de la Savoie", "74": "de la Haute-Savoie",
}
#: Population in thousands (INSEE, rounded): weights associations by département.
DEP_POPULATION = {
    "01": 660, "07": 330, "26": 520, "38": 1280, "42": 770, "69": 1880, "73": 440, "74": 840,
}
#: INSEE commune codes (COG) and names, with a rough population weight, per département.
COMMUNES: dict[str, tuple[tuple[str, str, int], ...]] = {
    "01": (("01053", "Bourg-en-Bresse", 42), ("01283", "Oyonnax", 22),
           ("01004", "Ambérieu-en-Bugey", 15), ("01034", "Belley", 9)),
    "07": (("07186", "Privas", 8), ("07010", "Annonay", 16), ("07019", "Aubenas", 12),
           ("07324", "Tournon-sur-Rhône", 11), ("07102", "Guilherand-Granges", 11)),
    "26": (("26362", "Valence", 65), ("26198", "Montélimar", 40), ("26281", "Romans-sur-Isère", 34),
           ("26108", "Crest", 8), ("26113", "Die", 5)),
    "38": (("38185", "Grenoble", 158), ("38151", "Échirolles", 37),
           ("38421", "Saint-Martin-d'Hères", 39), ("38563", "Voiron", 21),
           ("38053", "Bourgoin-Jallieu", 29), ("38193", "L'Isle-d'Abeau", 17),
           ("38169", "Fontaine", 23)),
    "42": (("42218", "Saint-Étienne", 173), ("42187", "Roanne", 35),
           ("42207", "Saint-Chamond", 35)),
    "69": (("69123", "Lyon", 520), ("69266", "Villeurbanne", 157), ("69259", "Vénissieux", 65),
           ("69256", "Vaulx-en-Velin", 53), ("69264", "Villefranche-sur-Saône", 37),
           ("69029", "Bron", 41), ("69091", "Givors", 20), ("69243", "Tarare", 11)),
    "73": (("73065", "Chambéry", 60), ("73008", "Aix-les-Bains", 31), ("73011", "Albertville", 19),
           ("73248", "Saint-Jean-de-Maurienne", 8)),
    "74": (("74010", "Annecy", 130), ("74012", "Annemasse", 38), ("74281", "Thonon-les-Bains", 36),
           ("74081", "Cluses", 18), ("74256", "Sallanches", 17)),
}
COMMUNE_NAMES = {code: name for entries in COMMUNES.values() for code, name, _ in entries}
PREFECTURES = {
    "01": "01053", "07": "07186", "26": "26362", "38": "38185", "42": "42218", "69": "69123",
    "73": "73065", "74": "74010",
}


# -- small helpers -----------------------------------------------------------------------------


def rid(local: str) -> str:
    """A record id of this source."""
    return f"{SOURCE}:{local}"


def ascii_slug(text: str) -> str:
    """``"Léa Dupré"`` -> ``"lea-dupre"``: for fictional e-mail addresses."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())


def of(name: str) -> str:
    """French elision: ``of("Annecy")`` -> ``"d'Annecy"``, ``of("Lyon")`` -> ``"de Lyon"``."""
    if name.startswith("L'"):
        return "de l'" + name[2:]
    first = unicodedata.normalize("NFKD", name[0]).encode("ascii", "ignore").decode("ascii")
    return f"d'{name}" if first.upper() in "AEIOUY" else f"de {name}"


def luhn_complete(digits: str) -> str:
    """Append the digit that makes ``digits`` pass the Luhn check (SIREN, SIRET)."""
    for last in "0123456789":
        candidate = digits + last
        total = 0
        for position, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")


def _last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() - 6) % 7)


def paris(day: str, time: str) -> str:
    """Local time in Paris with its offset (EU summer-time rule): ``2025-03-20T09:00:00+01:00``.

    Computed here rather than with ``zoneinfo`` so the build does not depend on the system's tz
    database; meetings never fall on the night of a change.
    """
    date = dt.date.fromisoformat(day)
    summer = _last_sunday(date.year, 3) <= date < _last_sunday(date.year, 10)
    return f"{day}T{time}:00{'+02:00' if summer else '+01:00'}"


class Phones:
    """Unique fictional phone numbers in the ARCEP range 04 65 71 00 00 to 04 65 71 99 99."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[int] = set()

    def next(self) -> str:
        while True:
            number = self._rng.randrange(0, 10000)
            if number not in self._used:
                self._used.add(number)
                return f"04 65 71 {number // 100:02d} {number % 100:02d}"


FEMININE_NAMES = (
    "Camille", "Nadia", "Sophie", "Élodie", "Amandine", "Inès", "Claire", "Samia", "Laure",
    "Fatou", "Agnès", "Manon", "Estelle", "Chloé", "Léa",
)
MASCULINE_NAMES = (
    "Julien", "Karim", "Thomas", "Yannick", "Bruno", "Mathieu", "Pierre", "Hugo", "Romain",
    "Olivier", "Rachid", "Vincent", "Gilles",
)
#: First words of a role that say the person's grammatical gender ("Responsable" says nothing).
FEMININE_ROLES = frozenset({"Chargée", "Conseillère", "Déléguée", "Directrice", "régionale"})
MASCULINE_ROLES = frozenset({"Chargé", "Conseiller", "Délégué", "Directeur", "régional"})
LAST_NAMES = (
    "Berthier", "Mazoyer", "Chapuis", "Roux", "Benali", "Perrin", "Gauthier", "Dumoulin",
    "Favre", "Mercier", "Ollier", "Bouvier", "Jacquet", "Ferrand", "Rey", "Morel", "Charvet",
    "Brun", "Vial", "Guillot", "Masson", "Pellet", "Durand", "Combe", "Ravel", "Girard",
)


class People:
    """Fictional people with distinct names, whose first name agrees with their role."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def name(self, role: str) -> str:
        """A new name for someone whose job title is ``role`` ("Chargée de mission"…)."""
        words = set(role.split())
        first_names: tuple[str, ...]
        if words & FEMININE_ROLES:
            first_names = FEMININE_NAMES
        elif words & MASCULINE_ROLES:
            first_names = MASCULINE_NAMES
        else:
            first_names = FEMININE_NAMES + MASCULINE_NAMES
        while True:
            name = f"{self._rng.choice(first_names)} {self._rng.choice(LAST_NAMES)}"
            if name not in self._used:
                self._used.add(name)
                return name


# -- actors ------------------------------------------------------------------------------------

FICTIONAL = "Structure fictive, pour l'exemple."


def build_actors(phones: Phones, people: People) -> list[dict[str, Any]]:
    """The support actors: the real structures of the démarche, with fictional contact data."""
    actors: list[dict[str, Any]] = []

    def actor(local: str, name: str, actor_type: str, territories: list[str], commune: str,
              description: str, *, labels: list[str] | None = None,
              networks: list[str] | None = None, contact_role: str | None = None) -> None:
        domain = f"{local}.example.org"
        record: dict[str, Any] = {
            "id": rid(local), "name": name, "actor_type": actor_type, "description": description,
            "territories": territories, "commune": f"com:{commune}",
            "website": f"https://www.{domain}/", "email": f"contact@{domain}",
            "phone": phones.next(),
        }
        if labels:
            record["labels"] = labels
        if networks:
            record["networks"] = [rid(n) for n in networks]
        if contact_role:
            person = people.name(contact_role)
            record["contacts"] = [{
                "name": person, "role": contact_role,
                "email": f"{ascii_slug(person).replace('-', '.')}@{domain}",
                "phone": phones.next(),
            }]
        actors.append(record)

    # Co-leads of the démarche.
    actor("lma-ra", "Le Mouvement associatif Rhône-Alpes", "coordination_associative",
          ["reg:82"], "69123",
          "Coordination régionale des associations ; copilote de la démarche PMAE et animatrice "
          "du COFIL.", contact_role="Chargée de mission emploi associatif")
    actor("rnma-ra", "Réseau national des maisons des associations — délégation Rhône-Alpes",
          "coordination_associative", ["reg:82"], "38185",
          "Délégation régionale du RNMA, réseau des maisons des associations ; copilote de la "
          "démarche PMAE.", contact_role="Délégué régional")
    actor("cress-aura", "CRESS Auvergne-Rhône-Alpes", "cress", ["reg:84"], "69123",
          "Chambre régionale de l'économie sociale et solidaire ; copilote de la démarche PMAE.",
          contact_role="Responsable du pôle emploi")
    # The DLA: one per département, one regional.
    actor("dla-aura", "DLA régional Auvergne-Rhône-Alpes", "dla_regional", ["reg:84"], "69123",
          "Dispositif local d'accompagnement régional : appui aux têtes de réseau et animation "
          "des DLA départementaux.", labels=["porteur_dla"],
          contact_role="Chargé de mission DLA régional")
    for number, dep in enumerate(DEPARTEMENTS):
        actor(f"dla-{dep}", f"DLA {DEP_OF[dep]}", "dla_departemental", [f"dep:{dep}"],
              PREFECTURES[dep],
              f"Dispositif local d'accompagnement {DEP_OF[dep]} : diagnostic partagé et "
              "accompagnement gratuit des structures employeuses de l'ESS.",
              labels=["porteur_dla"], networks=["dla-aura"],
              contact_role=("Chargée de mission DLA", "Chargé de mission DLA")[number % 2])
    # Maisons des associations (RNMA network).
    for local, city, commune in (
        ("mda-lyon", "Lyon", "69123"), ("mda-grenoble", "Grenoble", "38185"),
        ("mda-saint-etienne", "Saint-Étienne", "42218"), ("mda-valence", "Valence", "26362"),
        ("mda-annecy", "Annecy", "74010"), ("mda-chambery", "Chambéry", "73065"),
    ):
        actor(local, f"Maison des associations {of(city)}", "maison_des_associations",
              [f"com:{commune}"], commune,
              f"Accueil, information et orientation des associations {of(city)}.",
              networks=["rnma-ra"], contact_role="Responsable de l'accueil")
    # SAVARA support points (fictional names).
    for local, area, commune in (
        ("pa-bresse", "Bresse et Revermont", "01053"), ("pa-sud-ardeche", "Sud Ardèche", "07019"),
        ("pa-roannais", "Roannais", "42187"), ("pa-drome-provencale", "Drôme provençale", "26198"),
    ):
        dep = commune[:2]
        actor(local, f"Point d'appui à la vie associative — {area}", "point_appui",
              [f"dep:{dep}"], commune,
              f"Point d'appui du réseau SAVARA pour le territoire {area}. {FICTIONAL}",
              labels=["point_appui_savara"])
    actor("rhone-alpes-active", "Rhône-Alpes Active", "financeur_solidaire", ["reg:82"], "69123",
          "Financeur solidaire du réseau France Active : garanties, prêts et accompagnement "
          "financier des associations employeuses.", labels=["france_active"],
          contact_role="Chargée d'accompagnement financier")
    actor("udes-aura", "UDES Auvergne-Rhône-Alpes", "organisation_employeurs", ["reg:84"], "69123",
          "Délégation régionale de l'Union des employeurs de l'économie sociale et solidaire.",
          contact_role="Délégué régional")
    actor("uniformation-aura", "Uniformation — délégation Auvergne-Rhône-Alpes", "opco",
          ["reg:84"], "69123",
          "Opérateur de compétences de la cohésion sociale : financement de la formation et "
          "appui RH des petites entreprises de la branche.",
          contact_role="Conseillère emploi-formation")
    # Sector networks.
    actor("cros-aura", "CROS Auvergne-Rhône-Alpes", "reseau_sectoriel", ["reg:84"], "69123",
          "Comité régional olympique et sportif : tête de réseau du mouvement sportif, centre "
          "de ressources des employeurs sportifs.", networks=["lma-ra"])
    actor("crajep-aura", "CRAJEP Auvergne-Rhône-Alpes", "reseau_sectoriel", ["reg:84"], "69123",
          "Comité régional des associations de jeunesse et d'éducation populaire.",
          networks=["lma-ra"])
    actor("reseau-culture-ra", "Réseau des employeurs culturels de Rhône-Alpes",
          "reseau_sectoriel", ["reg:82"], "69266",
          f"Réseau d'associations culturelles employeuses (compagnies, lieux, écoles de "
          f"musique). {FICTIONAL}", networks=["lma-ra"])
    actor("ge-loire-forez", "Groupement d'employeurs associatifs Loire-Forez",
          "groupement_employeurs", ["dep:42"], "42218",
          f"Groupement d'employeurs qui partage des postes entre petites associations. "
          f"{FICTIONAL}")
    # Public authorities.
    actor("region-aura", "Région Auvergne-Rhône-Alpes", "collectivite", ["reg:84"], "69123",
          "Conseil régional : soutien à la vie associative et à l'emploi associatif.")
    actor("departement-38", "Département de l'Isère", "collectivite", ["dep:38"], "38185",
          "Conseil départemental : soutien aux associations du territoire.")
    actor("drajes-aura", "DRAJES Auvergne-Rhône-Alpes", "service_etat", ["reg:84"], "69123",
          "Délégation régionale académique à la jeunesse, à l'engagement et aux sports : FDVA, "
          "postes FONJEP, vie associative.", contact_role="Conseillère vie associative")
    actor("sdjes-69", "SDJES du Rhône", "service_etat", ["dep:69"], "69123",
          "Service départemental à la jeunesse, à l'engagement et aux sports du Rhône.")
    actor("sdjes-26", "SDJES de la Drôme", "service_etat", ["dep:26"], "26362",
          "Service départemental à la jeunesse, à l'engagement et aux sports de la Drôme.")
    actor("chorum", "Chorum", "autre", ["reg:84"], "69123",
          "Acteur de la protection sociale complémentaire de l'ESS (santé, prévoyance) et de la "
          "prévention des risques professionnels.")
    actor("aravis", "ARAVIS", "centre_ressources", ["reg:84"], "69123",
          "Agence régionale pour l'amélioration des conditions de travail : qualité de vie au "
          "travail, dialogue social, prévention.")
    return actors


# -- offers ------------------------------------------------------------------------------------

ALL_BANDS = ["01", "02", "03"]


def build_offers() -> list[dict[str, Any]]:
    """About 80 offers: DLA, maisons des associations, points d'appui, regional actors."""
    offers: list[dict[str, Any]] = []

    def offer(actor: str, title: str, description: str, themes: list[str], stages: list[str],
              territories: list[str], formats: list[str], delivery: str, cost: str,
              **extra: Any) -> None:
        number = len(offers) + 1
        record: dict[str, Any] = {
            "id": rid(f"offre-{number:03d}"), "actor": rid(actor), "title": title,
            "description": description, "themes": themes, "stages": stages,
            "territories": territories, "size_bands": extra.pop("size_bands", ALL_BANDS),
            "formats": formats, "delivery": delivery, "cost": cost,
        }
        if "url" not in extra:
            record["url"] = f"https://www.{actor}.example.org/offres/{number:03d}"
        record.update(extra)
        offers.append(record)

    collective = {
        "01": ("recrutement", "Recruter et intégrer un premier salarié"),
        "07": ("modele_economique", "Consolider son modèle économique en milieu rural"),
        "26": ("mutualisation", "Mutualiser l'emploi entre associations voisines"),
        "38": ("gepp", "Anticiper l'évolution des postes et des compétences"),
        "42": ("organisation_management", "Organiser le travail entre salariés et bénévoles"),
        "69": ("formation_pro", "Construire un plan de développement des compétences"),
        "73": ("gouvernance_employeur", "Être dirigeant bénévole et employeur"),
        "74": ("recrutement", "Recruter dans un territoire en tension"),
    }
    for dep in DEPARTEMENTS:
        dla = f"dla-{dep}"
        offer(dla, f"Diagnostic partagé et accompagnement individuel DLA {DEP_OF[dep]}",
              "Un chargé de mission réalise avec les dirigeants un diagnostic partagé de la "
              "structure, puis propose un accompagnement par un prestataire financé par le DLA.",
              ["modele_economique", "projet_emploi", "gouvernance_employeur"],
              ["conseil", "appui", "suivi"], [f"dep:{dep}"], ["individuel"], "mixte", "gratuit",
              valid_from="2025-01-01", valid_until="2025-12-31")
        theme, title = collective[dep]
        offer(dla, f"Accompagnement collectif DLA : {title.lower()}",
              "Cycle de trois demi-journées en petit groupe d'associations, animé par un "
              "prestataire du DLA, avec un temps individuel de mise en pratique.",
              [theme], ["formation", "appui"], [f"dep:{dep}"], ["collectif"], "sur_site",
              "gratuit", valid_from="2025-01-01", valid_until="2025-12-31")
        if dep in ("07", "26"):
            # Deliberate gap: here the DLA offers a first welcome, not social-dialogue advice.
            offer(dla, f"Premier accueil des associations employeuses {DEP_OF[dep]}",
                  "Entretien d'accueil pour clarifier le besoin et orienter vers le bon "
                  "interlocuteur du territoire.",
                  ["projet_emploi", "partenariats_territoire"], ["accueil", "information"],
                  [f"dep:{dep}"], ["individuel"], "mixte", "gratuit")
        else:
            offer(dla, f"Appui-conseil relations sociales {DEP_OF[dep]}",
                  "Conseil ponctuel sur l'organisation du dialogue entre employeur bénévole et "
                  "salariés, la prévention des tensions et la qualité de vie au travail.",
                  ["dialogue_social", "qvct"], ["conseil"], [f"dep:{dep}"], ["individuel"],
                  "mixte", "gratuit")

    mda = {
        "mda-lyon": ("69123", "Lyon"), "mda-grenoble": ("38185", "Grenoble"),
        "mda-saint-etienne": ("42218", "Saint-Étienne"), "mda-valence": ("26362", "Valence"),
        "mda-annecy": ("74010", "Annecy"), "mda-chambery": ("73065", "Chambéry"),
    }
    for actor, (commune, city) in mda.items():
        offer(actor, f"Permanence « Je deviens employeur » à {city}",
              "Permanence sans rendez-vous : premières questions sur l'embauche, le contrat de "
              "travail, la convention collective et les aides à l'emploi.",
              ["projet_emploi", "contrat_travail", "aides_emploi"], ["accueil", "information"],
              [f"com:{commune}"], ["individuel"], "sur_site", "gratuit")
        offer(actor, f"Cycle de formation des dirigeants bénévoles ({city})",
              "Soirées de formation pour les membres de bureau : rôle d'employeur, "
              "délégations, projet associatif.",
              ["gouvernance_employeur", "gouvernance_projet", "benevolat"],
              ["sensibilisation", "formation"], [f"com:{commune}"], ["collectif"], "sur_site",
              "sous_conditions", valid_from="2025-01-15", valid_until="2025-06-30")

    points = {
        "pa-bresse": "01", "pa-sud-ardeche": "07", "pa-roannais": "42",
        "pa-drome-provencale": "26",
    }
    for actor, dep in points.items():
        offer(actor, "Accueil et orientation des associations",
              "Premier niveau d'information et orientation vers les acteurs de l'accompagnement.",
              ["projet_emploi", "partenariats_territoire"], ["accueil", "information"],
              [f"dep:{dep}"], ["individuel"], "mixte", "gratuit")
    offer("pa-bresse", "Atelier paie et déclarations sociales",
          "Atelier pratique : bulletin de paie, DSN, Chèque emploi associatif et Impact emploi.",
          ["paie_declarations"], ["formation"], ["dep:01"], ["collectif"], "sur_site", "payant")
    offer("pa-sud-ardeche", "Atelier numérique pour les petites associations",
          "Outils partagés, sauvegarde des données, présence en ligne.",
          ["numerique", "communication"], ["sensibilisation", "formation"], ["dep:07"],
          ["collectif"], "sur_site", "gratuit")

    # Regional actors.
    offer("lma-ra", "Centre de ressources de l'emploi associatif",
          "Fiches pratiques, modèles de documents et veille sur la fonction employeur.",
          ["projet_emploi", "contrat_travail", "convention_collective"], ["information"],
          ["reg:82"], ["individuel"], "a_distance", "gratuit")
    offer("lma-ra", "Journées régionales de sensibilisation à la fonction employeur",
          "Une journée pour comprendre les responsabilités de l'employeur associatif.",
          ["gouvernance_employeur", "projet_emploi"], ["sensibilisation"], ["reg:82"],
          ["collectif"], "sur_site", "gratuit")
    offer("lma-ra", "Orientation des réseaux associatifs membres",
          "Appui aux têtes de réseau pour orienter leurs adhérents employeurs.",
          ["partenariats_territoire"], ["information", "suivi"], ["reg:82"], ["individuel"],
          "a_distance", "gratuit", visibility="network")
    offer("rnma-ra", "Formation des équipes d'accueil des maisons des associations",
          "Formation des professionnels des maisons des associations au premier accueil des "
          "employeurs.", ["projet_emploi", "partenariats_territoire"], ["formation"],
          ["reg:82"], ["collectif"], "mixte", "gratuit", visibility="restricted",
          recipients=[rid(a) for a in mda])
    offer("cress-aura", "Coopérer et mutualiser entre structures de l'ESS",
          "Accompagnement des projets de coopération : locaux, fonctions support, emplois "
          "partagés.", ["mutualisation", "partenariats_territoire"], ["conseil", "appui"],
          ["reg:84"], ["collectif"], "mixte", "gratuit")
    offer("cress-aura", "Observatoire régional de l'emploi dans l'ESS",
          "Chiffres et études sur l'emploi associatif par territoire et par secteur.",
          ["projet_emploi"], ["information"], ["reg:84"], ["individuel"], "a_distance", "gratuit")
    offer("dla-aura", "Appui régional aux DLA départementaux",
          "Ingénierie et expertise mises à disposition des DLA départementaux.",
          ["modele_economique", "mutualisation"], ["appui"], ["reg:84"], ["individuel"],
          "a_distance", "gratuit", visibility="restricted",
          recipients=[rid(f"dla-{dep}") for dep in DEPARTEMENTS])
    offer("dla-aura", "Accompagnement collectif des têtes de réseau",
          "Accompagnement des réseaux régionaux dans leur appui aux adhérents employeurs.",
          ["gouvernance_projet", "modele_economique"], ["conseil", "appui"], ["reg:84"],
          ["collectif"], "mixte", "gratuit")
    offer("rhone-alpes-active", "Garanties et prêts solidaires pour les associations",
          "Garantie de prêts bancaires, prêts participatifs et contrats d'apport associatif.",
          ["modele_economique", "aides_emploi"], ["appui"], ["reg:82"], ["individuel"], "mixte",
          "sous_conditions", size_bands=["01", "02", "03", "11"])
    offer("rhone-alpes-active", "Diagnostic de consolidation financière",
          "Analyse de la situation financière et plan de consolidation, avant un financement.",
          ["modele_economique"], ["conseil"], ["reg:82"], ["individuel"], "mixte", "gratuit")
    offer("rhone-alpes-active", "Atelier « Piloter sa trésorerie »",
          "Atelier collectif : plan de trésorerie, tableau de bord, dialogue avec la banque.",
          ["modele_economique"], ["sensibilisation", "formation"], ["reg:82"], ["collectif"],
          "a_distance", "gratuit")
    offer("udes-aura", "Permanence juridique des employeurs de l'ESS",
          "Réponses juridiques aux employeurs adhérents : contrat, convention collective, fin "
          "de contrat.", ["contrat_travail", "convention_collective", "fin_contrat"],
          ["information", "conseil"], ["reg:84"], ["individuel"], "a_distance", "gratuit",
          visibility="network")
    offer("udes-aura", "Sensibilisation au dialogue social dans les petites structures",
          "Demi-journée d'information sur le dialogue social de branche et les obligations des "
          "employeurs selon leur effectif.", ["dialogue_social"],
          ["information", "sensibilisation"], ["reg:84"], ["collectif"], "a_distance", "gratuit")
    offer("uniformation-aura", "Information sur les financements de la formation",
          "Présentation des financements de l'OPCO pour les entreprises de moins de 11 "
          "salariés.", ["formation_pro"], ["information"], ["reg:84"], ["collectif"],
          "a_distance", "gratuit")
    offer("uniformation-aura", "Appui au plan de développement des compétences",
          "Une conseillère aide l'employeur à construire son plan et à mobiliser les "
          "financements.", ["formation_pro"], ["conseil", "appui"], ["reg:84"], ["individuel"],
          "mixte", "gratuit")
    offer("uniformation-aura", "Sensibilisation à la gestion prévisionnelle des emplois",
          "Atelier de découverte de la GEPP adaptée aux très petites structures.",
          ["gepp"], ["information", "sensibilisation"], ["reg:84"], ["collectif"],
          "a_distance", "gratuit")
    offer("cros-aura", "Emploi sportif : convention collective et aides",
          "Information des clubs employeurs sur la convention collective du sport et les aides "
          "à l'emploi sportif.", ["convention_collective", "aides_emploi"],
          ["information", "conseil"], ["reg:84"], ["individuel"], "mixte", "gratuit",
          sectors=["sport"])
    offer("cros-aura", "Centre de ressources des employeurs sportifs",
          "Modèles de contrats, outils de paie et fiches pratiques pour les clubs.",
          ["contrat_travail", "paie_declarations"], ["information"], ["reg:84"], ["individuel"],
          "a_distance", "gratuit", sectors=["sport"], visibility="network")
    offer("crajep-aura", "Appui aux employeurs de l'éducation populaire",
          "Accompagnement des fédérations et de leurs associations sur la convention "
          "collective ÉCLAT et l'organisation du travail.",
          ["convention_collective", "organisation_management"], ["conseil"], ["reg:84"],
          ["individuel"], "mixte", "gratuit", sectors=["education_populaire_jeunesse"])
    offer("reseau-culture-ra", "Permanences emploi culturel",
          "Questions d'emploi propres au spectacle vivant : intermittence, contrats courts, "
          "conventions collectives.", ["contrat_travail", "convention_collective"],
          ["information", "conseil"], ["reg:82"], ["individuel"], "a_distance", "payant",
          sectors=["culture"])
    offer("ge-loire-forez", "Mise à disposition de salariés à temps partagé",
          "Le groupement emploie et met à disposition des salariés partagés entre plusieurs "
          "associations.", ["mutualisation", "recrutement"], ["appui"], ["dep:42"],
          ["individuel"], "sur_site", "payant")
    offer("region-aura", "Aide régionale à l'emploi associatif",
          "Soutien financier à la création ou à la consolidation d'un poste.",
          ["aides_emploi"], ["information", "appui"], ["reg:84"], ["individuel"], "a_distance",
          "sous_conditions", valid_from="2025-01-01", valid_until="2025-12-31")
    offer("departement-38", "Fonds départemental d'appui aux associations employeuses",
          "Aide au démarrage d'un premier emploi ; dispositif fermé depuis l'été 2024.",
          ["aides_emploi", "projet_emploi"], ["appui"], ["dep:38"], ["individuel"], "a_distance",
          "sous_conditions", valid_from="2022-01-01", valid_until="2024-06-30")
    offer("drajes-aura", "Postes FONJEP et fonds pour le développement de la vie associative",
          "Information sur les postes FONJEP et les appels à projets FDVA.",
          ["aides_emploi", "benevolat"], ["information"], ["reg:84"], ["individuel"],
          "a_distance", "sous_conditions")
    offer("sdjes-69", "Formation des bénévoles dirigeants (FDVA)",
          "Formations financées par le FDVA pour les bénévoles des associations du Rhône.",
          ["benevolat", "gouvernance_employeur"], ["formation"], ["dep:69"], ["collectif"],
          "sur_site", "gratuit")
    offer("sdjes-26", "Information vie associative et emploi",
          "Accueil et information des associations de la Drôme sur les aides de l'État.",
          ["aides_emploi"], ["accueil", "information"], ["dep:26"], ["individuel"], "mixte",
          "gratuit")
    # Deliberate gap: no santé-prévoyance offer reaches Savoie or Haute-Savoie.
    sante_deps = [f"dep:{d}" for d in DEPARTEMENTS if d not in ("73", "74")]
    offer("chorum", "Protection sociale complémentaire des salariés associatifs",
          "Information et conseil sur la mutuelle et la prévoyance obligatoires, selon la "
          "convention collective.", ["sante_prevoyance"], ["information", "conseil"],
          sante_deps, ["individuel"], "a_distance", "gratuit")
    offer("chorum", "Ateliers prévention des risques professionnels",
          "Ateliers pour écrire son document unique et prévenir l'usure professionnelle.",
          ["sante_prevoyance", "qvct"], ["sensibilisation", "formation"], sante_deps,
          ["collectif"], "sur_site", "gratuit")
    offer("aravis", "Démarche qualité de vie et conditions de travail",
          "Accompagnement d'une démarche QVCT dans les petites associations.",
          ["qvct", "organisation_management"], ["appui"], ["reg:84"], ["collectif"], "mixte",
          "sous_conditions")
    offer("aravis", "Ressources sur le dialogue social de proximité",
          "Outils et retours d'expérience sur le dialogue social dans les TPE associatives.",
          ["dialogue_social"], ["information", "sensibilisation"], ["reg:84"], ["individuel"],
          "a_distance", "gratuit")
    offer("mda-grenoble", "Accompagnement à la fin d'un contrat de travail",
          "Rendez-vous pour préparer une rupture conventionnelle, un licenciement ou un départ "
          "à la retraite.", ["fin_contrat"], ["conseil"], ["com:38185"], ["individuel"],
          "sur_site", "gratuit")
    offer("mda-lyon", "Atelier recrutement : de la fiche de poste à l'intégration",
          "Atelier pratique pour écrire une fiche de poste, diffuser l'offre et intégrer.",
          ["recrutement"], ["formation"], ["com:69123"], ["collectif"], "sur_site", "payant")
    return offers


# -- associations ------------------------------------------------------------------------------

#: Sector -> weight: roughly the spread of small employer associations.
SECTOR_WEIGHTS = {
    "sport": 20, "culture": 16, "action_sociale_medico_sociale": 15,
    "education_populaire_jeunesse": 11, "loisirs_vie_sociale": 9, "aide_domicile": 7,
    "enseignement_formation": 6, "insertion_emploi": 4,
    "environnement": 4, "developpement_local_tourisme_social": 3, "sante": 2,
    "defense_droits_causes": 2, "solidarite_internationale": 1,
}
#: Sector -> IDCC codes of collective agreements that sector commonly applies ("" = none).
SECTOR_IDCC = {
    "sport": ("2511",),  # sport
    # Entreprises artistiques et culturelles; spectacle vivant privé.
    "culture": ("1285", "3090", ""),
    "action_sociale_medico_sociale": ("1261", "0413", ""),  # ALISFA; CCN 1966
    "education_populaire_jeunesse": ("1518",),  # ÉCLAT (ex-animation)
    "loisirs_vie_sociale": ("1518", "1261", ""),
    "aide_domicile": ("2941",),  # branche de l'aide à domicile (BAD)
    "enseignement_formation": ("1516", ""),  # organismes de formation
    "insertion_emploi": ("3016",),  # ateliers et chantiers d'insertion
    "environnement": ("1518", ""),
    "developpement_local_tourisme_social": ("1316", "1518", ""),  # tourisme social et familial
    "sante": ("0029", ""),  # CCN 1951
    "defense_droits_causes": ("",),
    "solidarite_internationale": ("",),
}
NOUNS = (
    "La Boussole", "L'Escale", "La Passerelle", "Le Trait d'union", "La Clé des champs",
    "Les Ricochets", "Le Grand Pré", "La Fabrique", "Les Lucioles", "Le Tremplin", "L'Étincelle",
    "La Marelle", "Les Tilleuls", "Le Chêne vert", "La Rose des vents", "L'Arc-en-ciel",
    "Les Semailles", "Le Fil d'Ariane", "La Ruche", "Les Hirondelles", "Le Mascaret",
    "La Traverse", "Les Cerisiers", "L'Envol",
)
SPORTS = (
    "Football", "Basket", "Handball", "Rugby", "Tennis", "Judo", "Natation", "Gymnastique",
    "Escalade", "Athlétisme", "Badminton", "Volley-ball", "Tennis de table", "Cyclisme",
)
NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "sport": ("{sport} Club {of}", "Union sportive {of} — {sport}", "Entente {sport} {of}",
              "Cercle sportif {of}", "Olympique {of} {sport}"),
    "culture": ("Compagnie {noun}", "École de musique {of}", "Ensemble vocal {of}",
                "Festival {noun}", "Atelier d'arts plastiques {of}", "Cinéma associatif {noun}"),
    "action_sociale_medico_sociale": ("Centre social {noun}", "Association d'entraide {of}",
                                      "Épicerie solidaire {noun}", "Accueil de jour {noun}",
                                      "Centre social et culturel {of}"),
    "education_populaire_jeunesse": ("Maison des jeunes et de la culture {of}",
                                     "Centre de loisirs {noun}", "Foyer des jeunes {of}",
                                     "Amicale laïque {of}", "Accueil jeunes {noun}"),
    "loisirs_vie_sociale": ("Ludothèque {noun}", "Association familiale {of}",
                            "Jardins partagés {noun}", "Maison pour tous {of}"),
    "aide_domicile": ("Aide à domicile {of}", "Service d'aide et d'accompagnement {of}",
                      "Présence à domicile {noun}"),
    "enseignement_formation": ("Atelier d'alphabétisation {of}", "Université populaire {of}",
                               "Centre de formation {noun}"),
    "insertion_emploi": ("Chantier d'insertion {noun}", "Ressourcerie {noun}",
                         "Association intermédiaire {of}"),
    "environnement": ("Centre d'initiation à la nature {of}", "Maison de l'environnement {of}",
                      "Association de sauvegarde {noun}"),
    "developpement_local_tourisme_social": ("Village vacances {noun}", "Gîte d'étape {noun}",
                                            "Comité de développement {of}"),
    "sante": ("Centre de santé associatif {of}", "Association de prévention {noun}"),
    "defense_droits_causes": ("Point d'accès au droit {of}", "Collectif pour le logement {of}"),
    "solidarite_internationale": ("Solidarité Sahel {of}", "Échanges solidaires {of}"),
}
#: Headcount -> weight, 1 to 9 mostly, a few just above the PMAE scope.
HEADCOUNT_WEIGHTS = {1: 26, 2: 20, 3: 14, 4: 10, 5: 8, 6: 6, 7: 5, 8: 4, 9: 3, 10: 2, 12: 1, 14: 1}
ASSOCIATION_COUNT = 200


def _weighted(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def departement_quotas(total: int) -> dict[str, int]:
    """How many associations each département gets: proportional to population.

    Largest-remainder rounding, so the counts add up to ``total`` and a small département is not
    left nearly empty by the luck of the draw.
    """
    population = sum(DEP_POPULATION.values())
    shares = {dep: total * pop / population for dep, pop in DEP_POPULATION.items()}
    quotas = {dep: int(share) for dep, share in shares.items()}
    by_remainder = sorted(shares, key=lambda dep: (quotas[dep] - shares[dep], dep))
    for dep in by_remainder[: total - sum(quotas.values())]:
        quotas[dep] += 1
    return quotas


def pick_commune(rng: random.Random, dep: str) -> str:
    """A commune of ``dep``, weighted by the communes' populations."""
    entries = COMMUNES[dep]
    return rng.choices([c for c, _, _ in entries], weights=[w for _, _, w in entries])[0]


def build_associations(rng: random.Random) -> list[dict[str, Any]]:
    """The fictional small employer associations (restricted to the démarche's members)."""
    associations: list[dict[str, Any]] = []
    names: set[str] = set()
    rnas: set[str] = set()
    sirens: set[str] = set()
    departements = [dep for dep, n in departement_quotas(ASSOCIATION_COUNT).items()
                    for _ in range(n)]
    rng.shuffle(departements)
    for number, dep in enumerate(departements, start=1):
        sector = _weighted(rng, SECTOR_WEIGHTS)
        commune = pick_commune(rng, dep)
        city = COMMUNE_NAMES[commune]
        while True:
            pattern = rng.choice(NAME_PATTERNS[sector])
            name = pattern.format(of=of(city), noun=rng.choice(NOUNS), sport=rng.choice(SPORTS))
            if "{of}" not in pattern:
                name = f"{name} ({city})"
            if name not in names:
                names.add(name)
                break
        headcount = _weighted(rng, HEADCOUNT_WEIGHTS)
        fte = max(0.3, round(headcount * rng.uniform(0.45, 0.95), 1))
        while True:
            rna = f"W{commune[:2]}{rng.choice('123')}{rng.randrange(10**6):06d}"
            if rna not in rnas:
                rnas.add(rna)
                break
        record: dict[str, Any] = {
            "id": rid(f"asso-{number:03d}"), "name": name, "rna": rna, "sector": sector,
            "headcount": headcount, "fte": fte, "size_band": size_band_for(headcount),
            "commune": f"com:{commune}",
            "founded": (dt.date(1950, 1, 1)
                        + dt.timedelta(days=rng.randrange(365 * 70))).isoformat(),
            "visibility": "restricted", "recipients": RECIPIENTS,
        }
        if rng.random() < 0.6:
            while True:
                siren = luhn_complete(f"{rng.choice('34578')}{rng.randrange(10**7):07d}")
                if siren not in sirens:
                    sirens.add(siren)
                    break
            record["siren"] = siren
            if rng.random() < 0.5:
                record["siret"] = luhn_complete(f"{siren}{rng.choice(['0001', '0002', '0003'])}")
        idcc = rng.choice(SECTOR_IDCC[sector])
        if idcc:
            record["idcc"] = idcc
        associations.append(record)
    return associations


# -- needs, diagnoses, referrals ---------------------------------------------------------------

THEME_WEIGHTS = {
    "projet_emploi": 10, "recrutement": 8, "contrat_travail": 6, "convention_collective": 5,
    "paie_declarations": 6, "formation_pro": 8, "gepp": 3, "organisation_management": 5,
    "sante_prevoyance": 4, "qvct": 4, "dialogue_social": 4, "fin_contrat": 3, "aides_emploi": 9,
    "modele_economique": 12, "mutualisation": 4, "gouvernance_employeur": 8,
    "gouvernance_projet": 5, "partenariats_territoire": 3, "communication": 2, "numerique": 3,
    "benevolat": 3,
}
STAGE_WEIGHTS = {
    "accueil": 3, "information": 20, "sensibilisation": 10, "conseil": 30, "formation": 15,
    "appui": 20, "suivi": 2,
}
START_2024 = dt.date(2024, 1, 8)
END_2025 = dt.date(2025, 11, 28)

#: The dimensions of the shared diagnosis (tool ``diagnostic-partage``, see QUESTIONNAIRES.md §A).
DIAGNOSIS_DIMENSIONS = {
    "A1": "gouvernance_projet", "A2": "gouvernance_employeur", "A3": "projet_emploi",
    "A4": "modele_economique", "A5": "partenariats_territoire", "A6": "communication",
}
DIAGNOSIS_ALERTS = {
    "A3.2": "Convention collective non identifiée ou non appliquée",
    "A4.2": "Trésorerie non suivie",
}


def _status_for(rng: random.Random, date: dt.date) -> str:
    # Older needs have had time to be oriented, met or closed.
    age = (END_2025 - date).days
    if age > 365:
        weights = {"ouvert": 8, "oriente": 10, "en_cours": 17, "satisfait": 40, "clos": 25}
    elif age > 120:
        weights = {"ouvert": 25, "oriente": 25, "en_cours": 25, "satisfait": 17, "clos": 8}
    else:
        weights = {"ouvert": 60, "oriente": 25, "en_cours": 12, "satisfait": 2, "clos": 1}
    return str(_weighted(rng, weights))


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _level(score: float) -> str:
    return "fragile" if score < 40 else "a_consolider" if score < 70 else "solide"


def build_needs_and_diagnoses(
    rng: random.Random, associations: list[dict[str, Any]], rencontres: list[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """About 500 needs (declared, from meetings, from 10 diagnoses) and the 10 diagnoses."""
    needs: list[dict[str, Any]] = []
    diagnoses: list[dict[str, Any]] = []

    def need(association: dict[str, Any] | None, theme: str, origin: str, date: dt.date,
             **extra: Any) -> str:
        record: dict[str, Any] = {
            "id": rid(f"besoin-{len(needs) + 1:04d}"), "theme": theme, "origin": origin,
            "date": date.isoformat(),
        }
        if association is not None:
            record.update(association=association["id"], territory=association["commune"],
                          size_band=association["size_band"], sector=association["sector"])
        record.setdefault("stage", _weighted(rng, STAGE_WEIGHTS))
        record["priority"] = _weighted(rng, {1: 25, 2: 50, 3: 25})
        record["status"] = _status_for(rng, date)
        record.update(extra)
        record["visibility"] = "restricted"
        record["recipients"] = RECIPIENTS
        needs.append(record)
        return str(record["id"])

    diagnosed = rng.sample(associations, 10)
    diagnosed_ids = {a["id"] for a in diagnosed}
    for association in associations:
        if association["id"] in diagnosed_ids:
            continue
        count = _weighted(rng, {1: 20, 2: 35, 3: 25, 4: 13, 5: 7})
        themes: set[str] = set()
        while len(themes) < count:
            themes.add(_weighted(rng, THEME_WEIGHTS))
        for theme in sorted(themes):
            origin = _weighted(rng, {"declare": 75, "rencontre": 25})
            need(association, theme, origin, _random_date(rng, START_2024, END_2025))

    # Needs raised in the Rencontres' workshops, not tied to one association.
    for day in rencontres:
        date = dt.date.fromisoformat(day)
        for _ in range(6):
            dep = _weighted(rng, DEP_POPULATION)
            need(None, _weighted(rng, THEME_WEIGHTS), "rencontre", date, territory=f"dep:{dep}",
                 size_band=rng.choice(PMAE_BANDS))

    for number, association in enumerate(diagnosed, start=1):
        date = _random_date(rng, dt.date(2025, 1, 13), dt.date(2025, 10, 31))
        diagnosis_id = rid(f"diagnostic-{number:02d}")
        answers: dict[str, int | None] = {}
        scores: dict[str, float] = {}
        levels: dict[str, str] = {}
        intensity: dict[str, float] = {}
        frailty = rng.uniform(0.8, 1.8)  # how fragile this association is overall
        for dimension, theme in DIAGNOSIS_DIMENSIONS.items():
            total = answered = 0
            for item in range(1, 6):
                key = f"{dimension}.{item}"
                if rng.random() < 0.08:
                    answers[key] = None  # "ne sait pas": counts in completeness only
                    continue
                value = max(0, min(3, round(rng.gauss(3 - frailty, 0.9))))
                answers[key] = value
                total += value
                answered += 1
                intensity[theme] = intensity.get(theme, 0.0) + (3 - value)
            if answered >= 3:  # assessed only if at least 60 % answered
                score = round(100 * total / (3 * answered), 1)
                scores[dimension] = score
                levels[dimension] = _level(score)
        alerts = [message for key, message in DIAGNOSIS_ALERTS.items() if answers.get(key) == 0]
        fragile = [DIAGNOSIS_DIMENSIONS[d] for d, level in levels.items() if level == "fragile"]
        ranked = sorted(intensity, key=lambda t: (-intensity[t], t))
        derived_themes = list(dict.fromkeys(fragile + ranked))[:max(2, min(4, len(fragile)))]
        need_ids = [
            need(association, theme, "diagnostic", date, diagnosis=diagnosis_id,
                 intensity=intensity[theme], stage="conseil" if theme in fragile else "appui",
                 priority=1 if theme in fragile else 2)
            for theme in derived_themes
        ]
        dep = association["commune"][4:6]
        diagnoses.append({
            "id": diagnosis_id, "association": association["id"], "tool": "diagnostic-partage",
            "tool_version": "1.0", "date": date.isoformat(), "answers": answers,
            "scores": scores, "levels": levels,
            "completeness": round(sum(v is not None for v in answers.values()) / len(answers), 2),
            "alerts": alerts, "needs": need_ids, "advisor": rid(f"dla-{dep}"),
            "visibility": "restricted", "recipients": RECIPIENTS,
        })
    return needs, diagnoses


MDA_OF_COMMUNE = {
    "com:69123": "mda-lyon", "com:38185": "mda-grenoble", "com:42218": "mda-saint-etienne",
    "com:26362": "mda-valence", "com:74010": "mda-annecy", "com:73065": "mda-chambery",
}
OUTCOME_FOR_STATUS = {
    "oriente": ("propose",), "en_cours": ("accepte",), "satisfait": ("realise",),
    "clos": ("refuse", "sans_suite"),
}


def build_referrals(rng: random.Random, needs: list[dict[str, Any]],
                    offers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Orientations of needs to offers that cover them, made by the DLA of the département."""
    territories = core_territories()
    referrals: list[dict[str, Any]] = []
    candidates = [n for n in needs if n["status"] in OUTCOME_FOR_STATUS and "association" in n]
    for need in rng.sample(candidates, 40):
        date = dt.date.fromisoformat(need["date"])
        matching = [
            o for o in offers
            if need["theme"] in o["themes"] and o.get("visibility", "public") == "public"
            and any(territories.contains(t, need["territory"]) for t in o["territories"])
            and ("valid_until" not in o or o["valid_until"] >= need["date"])
        ]
        if not matching or len(referrals) == 25:
            continue
        offer = rng.choice(matching)
        # The DLA orients most needs; where the town has a maison des associations, it may.
        by = MDA_OF_COMMUNE.get(need["territory"]) if rng.random() < 0.4 else None
        referrals.append({
            "id": rid(f"orientation-{len(referrals) + 1:03d}"), "need": need["id"],
            "offer": offer["id"], "by": rid(by or f"dla-{need['territory'][4:6]}"),
            "date": min(date + dt.timedelta(days=rng.randrange(5, 40)), END_2025).isoformat(),
            "outcome": rng.choice(OUTCOME_FOR_STATUS[need["status"]]),
            "visibility": "restricted", "recipients": RECIPIENTS,
        })
    referrals.sort(key=lambda r: r["id"])
    return referrals


# -- meetings, resources, productions, programme -----------------------------------------------

CO_LEADS = frozenset({"lma-ra", "rnma-ra", "cress-aura"})
COFIL_MEMBERS = (
    "lma-ra", "rnma-ra", "cress-aura", "dla-aura", "dla-69", "dla-38", "rhone-alpes-active",
    "udes-aura", "uniformation-aura", "drajes-aura", "region-aura", "mda-lyon", "crajep-aura",
)
#: Actors that register but never come, or never register: attendance figures should show them.
NEVER_COME = ("departement-38", "sdjes-26", "pa-drome-provencale")


def build_meetings(rng: random.Random, actors: list[dict[str, Any]],
                   people: People) -> list[dict[str, Any]]:
    """Three COFIL half-days and three Rencontres régionales in 2025."""
    meetings: list[dict[str, Any]] = []
    co_leads = [rid("lma-ra"), rid("rnma-ra"), rid("cress-aura")]

    def registrations(members: list[str], *, no_show: float,
                      present: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        # Organisers, speakers and facilitators were there, whatever the draw says.
        result = []
        for local in members:
            attended = local in present or (local not in NEVER_COME
                                             and rng.random() >= no_show)
            result.append({"actor": rid(local), "participants": rng.choice((1, 1, 1, 2, 2, 3)),
                           "attended": attended})
        return result

    cofils = (
        ("2025-02-06", "09:00", "12:30", "69123", "Maison des associations de Lyon",
         "COFIL n° 1 : bilan 2024 et programme 2025", ["formation_pro", "dialogue_social"]),
        ("2025-06-12", "14:00", "17:30", "38185", "Maison des associations de Grenoble",
         "COFIL n° 2 : suivi du programme et fiche Les ESSentiels", ["formation_pro"]),
        ("2025-11-20", "09:00", "12:30", "69123", "CRESS Auvergne-Rhône-Alpes",
         "COFIL n° 3 : bilan de l'année et besoins partagés", ["modele_economique"]),
    )
    for number, (day, start, end, commune, place, title, themes) in enumerate(cofils, start=1):
        meetings.append({
            "id": rid(f"cofil-2025-{number}"), "kind": "cofil", "title": title,
            "start": paris(day, start), "end": paris(day, end), "status": "tenue",
            "place": place, "commune": f"com:{commune}", "themes": themes,
            "organisers": co_leads,
            "registrations": registrations(list(COFIL_MEMBERS), no_show=0.12,
                                           present=CO_LEADS),
        })

    others = [a["id"].split(":", 1)[1] for a in actors]

    def speaker(actor: str, organisation: str, role: str, topic: str, *,
                outside: bool) -> dict[str, Any]:
        person = people.name(role)
        return {
            "person": {"name": person, "role": role,
                       "email": f"{ascii_slug(person).replace('-', '.')}@{actor}.example.org"},
            "organisation": organisation, "actor": rid(actor), "outside": outside,
            "topic": topic,
        }

    rencontres: tuple[dict[str, Any], ...] = (
        {
            "day": "2025-03-20", "commune": "69123", "place": "Maison des associations de Lyon",
            "title": "Rencontre régionale : la réforme de la formation professionnelle et les "
                     "petits employeurs associatifs",
            "themes": ["formation_pro", "gepp"],
            "speakers": [
                speaker("uniformation-aura", "Uniformation", "Responsable régionale",
                        "Ce que la réforme change pour les structures de moins de 11 salariés",
                        outside=True),
                speaker("chorum", "Chorum", "Chargé de prévention",
                        "Former pour prévenir l'usure professionnelle", outside=False),
            ],
            "workshops": [
                ("Construire un plan de développement des compétences à trois salariés",
                 ["formation_pro"], ["dla-69", "mda-lyon"], "10:45", "12:15", "Salle A"),
                ("L'entretien professionnel : outils et pratiques",
                 ["formation_pro", "gepp"], ["uniformation-aura", "dla-01"], "10:45", "12:15",
                 "Salle B"),
                ("Former les dirigeants bénévoles à la fonction employeur",
                 ["gouvernance_employeur", "benevolat"], ["lma-ra", "sdjes-69"], "14:00",
                 "15:30", "Salle A"),
            ],
            "productions": [rid("essentiels-formation")],
        },
        {
            "day": "2025-06-26", "commune": "38185",
            "place": "Maison des associations de Grenoble",
            "title": "Rencontre régionale : le dialogue social dans les petites associations "
                     "employeuses",
            "themes": ["dialogue_social", "qvct"],
            "speakers": [
                speaker("aravis", "ARAVIS", "Chargée de mission",
                        "Dialogue social de proximité et conditions de travail", outside=True),
            ],
            "workshops": [
                ("Employeur bénévole et salariés : se parler avant que ça coince",
                 ["dialogue_social"], ["dla-38", "udes-aura"], "10:45", "12:15", "Salle 1"),
                ("La qualité de vie au travail quand on est deux salariés",
                 ["qvct", "organisation_management"], ["aravis", "mda-grenoble"], "14:00",
                 "15:30", "Salle 1"),
            ],
            "productions": [],
        },
        {
            "day": "2025-10-09", "commune": "42218",
            "place": "Maison des associations de Saint-Étienne",
            "title": "Rencontre régionale : modèles économiques et consolidation de l'emploi "
                     "associatif",
            "themes": ["modele_economique", "mutualisation", "aides_emploi"],
            "speakers": [
                speaker("rhone-alpes-active", "Rhône-Alpes Active (réseau France Active)",
                        "Chargée d'accompagnement financier",
                        "Hybrider ses ressources sans fragiliser ses emplois", outside=True),
            ],
            "workshops": [
                ("Piloter sa trésorerie au mois le mois", ["modele_economique"],
                 ["rhone-alpes-active", "dla-42"], "10:45", "12:15", "Salle Forez"),
                ("Partager un emploi entre associations", ["mutualisation"],
                 ["ge-loire-forez", "cress-aura"], "10:45", "12:15", "Salle Pilat"),
                ("Quand une aide à l'emploi s'arrête : anticiper", ["aides_emploi"],
                 ["dla-26", "region-aura"], "14:00", "15:30", "Salle Forez"),
            ],
            "productions": [],
        },
    )
    for number, spec in enumerate(rencontres, start=1):
        day = spec["day"]
        present = CO_LEADS | {s["actor"].split(":", 1)[1] for s in spec["speakers"]} | {
            f for _, _, facilitators, _, _, _ in spec["workshops"] for f in facilitators}
        members = sorted(set(rng.sample(others, 20)) | present | set(NEVER_COME[:2]))
        meeting: dict[str, Any] = {
            "id": rid(f"rencontre-2025-{number}"), "kind": "rencontre_regionale",
            "title": spec["title"], "start": paris(day, "09:00"), "end": paris(day, "16:30"),
            "status": "tenue", "place": spec["place"], "commune": f"com:{spec['commune']}",
            "themes": spec["themes"], "organisers": co_leads, "speakers": spec["speakers"],
            "workshops": [
                {"title": title, "themes": themes, "facilitators": [rid(f) for f in facilitators],
                 "start": paris(day, start), "end": paris(day, end), "room": room}
                for title, themes, facilitators, start, end, room in spec["workshops"]
            ],
            "registrations": registrations(members, no_show=0.15, present=frozenset(present)),
        }
        if spec["productions"]:
            meeting["productions"] = spec["productions"]
        meetings.append(meeting)
    return meetings


RESOURCES = (
    ("guide-employeur", "Guide pratique de l'employeur associatif", "guide", "lma-ra",
     ["projet_emploi", "contrat_travail", "gouvernance_employeur"]),
    ("fiche-premier-emploi", "Créer un premier emploi : les étapes", "fiche", "lma-ra",
     ["projet_emploi", "recrutement"]),
    ("modele-fiche-poste", "Modèle de fiche de poste", "modele_document", "mda-lyon",
     ["recrutement"]),
    ("guide-plan-competences", "Le plan de développement des compétences pas à pas", "guide",
     "uniformation-aura", ["formation_pro"]),
    ("outil-entretien-pro", "Trame d'entretien professionnel", "modele_document",
     "uniformation-aura", ["formation_pro", "gepp"]),
    ("fiche-financer-formation", "Financer la formation dans une structure de moins de 11 "
     "salariés", "fiche", "uniformation-aura", ["formation_pro"]),
    ("formation-benevoles", "Catalogue des formations des bénévoles dirigeants", "formation",
     "sdjes-69", ["formation_pro", "benevolat", "gouvernance_employeur"]),
    ("outil-tresorerie", "Tableur de plan de trésorerie", "outil", "rhone-alpes-active",
     ["modele_economique"]),
    ("guide-dialogue-social", "Le dialogue social dans les TPE associatives", "guide", "aravis",
     ["dialogue_social", "qvct"]),
    ("outil-document-unique", "Écrire son document unique d'évaluation des risques", "outil",
     "chorum", ["sante_prevoyance", "qvct"]),
    ("site-observatoire", "Observatoire régional de l'ESS", "site", "cress-aura",
     ["projet_emploi"]),
    ("fiche-ccn", "Identifier et appliquer sa convention collective", "fiche", "udes-aura",
     ["convention_collective"]),
    ("guide-mutualisation", "Mutualiser l'emploi : groupements et emplois partagés", "guide",
     "cress-aura", ["mutualisation"]),
)


def build_resources() -> list[dict[str, Any]]:
    """Guides and tools that the thematic sheets point to (fictional example.org addresses)."""
    return [
        {"id": rid(local), "title": title, "kind": kind,
         "publisher": publisher, "url": f"https://www.{publisher}.example.org/ressources/{local}",
         "themes": themes}
        for local, title, kind, publisher, themes in RESOURCES
    ]


def build_productions(actors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The thematic sheet produced in 2025."""
    names = {a["id"]: a["name"] for a in actors}
    authors = [rid(a) for a in ("lma-ra", "rnma-ra", "cress-aura", "uniformation-aura",
                                "dla-69")]
    assert all(a in names for a in authors)
    return [{
        "id": rid("essentiels-formation"), "kind": "fiche_thematique",
        "title": "Les ESSentiels — Formation professionnelle", "year": YEAR,
        "themes": ["formation_pro"], "authors": authors,
        "resources": [rid(r) for r in ("guide-plan-competences", "outil-entretien-pro",
                                       "fiche-financer-formation", "formation-benevoles")],
        "meeting": rid("rencontre-2025-1"), "status": "publiee",
        "url": "https://pmae-ra.example.org/essentiels/formation-professionnelle",
    }]


def build_programmes(meetings: list[dict[str, Any]],
                     productions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The COFIL's programme for 2025."""
    return [{
        "id": rid("programme-2025"), "year": YEAR,
        "title": "Programme 2025 de la démarche PMAE Rhône-Alpes",
        "priorities": ["formation_pro", "dialogue_social", "modele_economique"],
        "meetings": [m["id"] for m in meetings],
        "productions": [p["id"] for p in productions],
    }]


def build_responses() -> list[dict[str, Any]]:
    """The action plan (format 1.1): responses that answer the deliberate gaps.

    The social-dialogue advice missing in Ardèche and Drôme is decided at the last COFIL, carried
    by the UDES and ARAVIS (the actors ``pmae plan`` proposes); the santé-prévoyance gap of the
    Savoies is only considered; the mutualisation of jobs in Drôme was decided for the 2025
    programme and carried out: the DLA's collective offer it created (``offre-008``, open since
    January 2025) closed a gap, which ``pmae plan status`` measures.
    """
    return [
        {"id": rid("reponse-dialogue-social-07-26"),
         "title": "Conseil en dialogue social pour les petites associations employeuses de "
                  "l'Ardèche et de la Drôme",
         "description": "Permanences de conseil en dialogue social, portées par l'UDES et "
                        "ARAVIS, dans les deux départements où aucune offre n'existe.",
         "themes": ["dialogue_social"], "stages": ["conseil"],
         "territories": ["dep:07", "dep:26"], "actors": [rid("udes-aura"), rid("aravis")],
         "meeting": rid("cofil-2025-3"), "programme": rid("programme-2025"),
         "decided_on": "2025-11-20", "status": "decidee"},
        {"id": rid("reponse-sante-prevoyance-savoies"),
         "title": "Une offre santé et prévoyance en Savoie et Haute-Savoie",
         "themes": ["sante_prevoyance"], "territories": ["dep:73", "dep:74"],
         "actors": [rid("chorum")], "status": "envisagee"},
        {"id": rid("reponse-mutualisation-26"),
         "title": "Mutualiser l'emploi entre associations voisines dans la Drôme",
         "themes": ["mutualisation"], "stages": ["formation", "appui"],
         "territories": ["dep:26"], "actors": [rid("dla-26")],
         "programme": rid("programme-2025"), "decided_on": "2024-11-14",
         "started_on": "2025-01-01", "status": "realisee", "offers": [rid("offre-008")]},
    ]


def build_practices() -> list[dict[str, Any]]:
    """Practices brought out at the Rencontres régionales of 2025."""
    return [
        {"id": rid("pratique-se-parler-avant"),
         "title": "Un temps d'échange employeur bénévole – salariés avant que ça coince",
         "description": "Un rendez-vous trimestriel, préparé avec un tiers, où le bureau et les "
                        "salariés font le point sur le travail.",
         "actors": [rid("udes-aura"), rid("dla-38")], "themes": ["dialogue_social"],
         "stages": ["conseil", "appui"], "territories": ["dep:38"],
         "meeting": rid("rencontre-2025-2"), "resources": [rid("guide-dialogue-social")]},
        {"id": rid("pratique-entretien-pro"),
         "title": "L'entretien professionnel préparé à deux",
         "actors": [rid("uniformation-aura")], "themes": ["formation_pro", "gepp"],
         "stages": ["formation"], "territories": ["reg:84"],
         "meeting": rid("rencontre-2025-1"), "resources": [rid("outil-entretien-pro")]},
        {"id": rid("pratique-poste-partage"),
         "title": "Un poste partagé entre trois associations voisines",
         "actors": [rid("dla-26")], "themes": ["mutualisation"], "stages": ["appui"],
         "territories": ["dep:26"], "meeting": rid("rencontre-2025-3"),
         "resources": [rid("guide-mutualisation")]},
    ]


# -- assembly ----------------------------------------------------------------------------------


def check_gaps(offers: list[dict[str, Any]]) -> list[str]:
    """The deliberate gaps that an offer fills by mistake (empty when all gaps hold)."""
    territories = core_territories()
    problems = []
    for offer in offers:
        for theme, stage, departements in GAPS:
            if theme not in offer["themes"] or (stage and stage not in offer["stages"]):
                continue
            for dep in departements:
                if any(territories.contains(t, dep) or territories.contains(dep, t)
                       for t in offer["territories"]):
                    problems.append(f"{offer['id']} fills the gap {theme}/{stage} in {dep}")
    gepp = [o["id"] for o in offers if "gepp" in o["themes"]]
    if len(gepp) > GEPP_MAX_OFFERS:
        problems.append(f"gepp should stay thin: {len(gepp)} offers ({', '.join(gepp)})")
    return problems


def build() -> dict[str, Any]:
    """The sample bundle, as JSON-ready data (structured into the model and back)."""
    rng = random.Random(SEED)
    phones = Phones(rng)
    people = People(rng)
    actors = build_actors(phones, people)
    offers = build_offers()
    associations = build_associations(rng)
    meetings = build_meetings(rng, actors, people)
    rencontre_days = [m["start"][:10] for m in meetings if m["kind"] == "rencontre_regionale"]
    needs, diagnoses = build_needs_and_diagnoses(rng, associations, rencontre_days)
    referrals = build_referrals(rng, needs, offers)
    resources = build_resources()
    productions = build_productions(actors)
    programmes = build_programmes(meetings, productions)
    data = {
        "format_version": "1.1.0",
        "source": {"slug": SOURCE, "name": "Démarche PMAE Rhône-Alpes (exemple)",
                   "url": "https://pmae-ra.example.org/",
                   "contact_email": "contact@pmae-ra.example.org"},
        "generated_at": GENERATED_AT, "licence": "etalab-2.0", "description": DESCRIPTION,
        "actors": actors, "offers": offers, "associations": associations,
        "diagnoses": diagnoses, "needs": needs, "referrals": referrals, "meetings": meetings,
        "productions": productions, "resources": resources, "programmes": programmes,
        "responses": build_responses(), "practices": build_practices(),
    }
    # Through the model and back: the file is exactly what pmae itself would write.
    result: dict[str, Any] = unstructure(structure(data, Bundle))
    return result


def main(argv: list[str] | None = None) -> int:
    """Build, validate and write the sample; 1 if it has any issue or a gap is filled."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; fail if the shipped file differs from a fresh build")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    data = build()
    report = validate_document(data, file="sample.json")
    for issue in report.issues:
        print(issue.render(), file=sys.stderr)
    problems = check_gaps(data["offers"])
    for problem in problems:
        print(f"sample.json: error [gap-filled] {problem}", file=sys.stderr)
    if report.issues or problems:
        return 1
    payload = dumps_json(data)
    if args.check:
        if not args.output.exists() or args.output.read_bytes() != payload:
            print(f"{args.output} is out of date: run tools/build_sample.py", file=sys.stderr)
            return 1
    else:
        write_bytes_atomic(args.output, payload)
    counts = ", ".join(f"{name} {len(data.get(name, ()))}" for name in (
        "actors", "offers", "associations", "diagnoses", "needs", "referrals", "meetings",
        "productions", "resources", "programmes", "responses", "practices"))
    print(f"{args.output}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
