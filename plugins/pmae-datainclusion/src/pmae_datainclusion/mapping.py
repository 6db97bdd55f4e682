"""The correspondence between pmae's vocabularies and data·inclusion v1's, as data.

Every table here is exhaustive on the pmae side: each code of the pmae vocabulary it maps has an
entry, and an empty tuple (or ``None``) says, explicitly, that data·inclusion has no code that
means the same thing. The README renders these tables; the tests check that every code on the
left exists in pmae and every code on the right in ``data_inclusion.schema.v1``.

data·inclusion describes the *offre d'insertion*: services for people (job seekers, people in
difficulty). pmae describes services for *organisations* (small employer associations). So most
of pmae's employer-function themes have no honest counterpart: a theme is mapped only where the
data·inclusion code names the same act, so that a person searching data·inclusion for that code
is not sent to an offer meant for association employers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: pmae theme -> data·inclusion ``thematiques``. Empty: no code with the same meaning.
THEMES: Final[Mapping[str, tuple[str, ...]]] = {
    # A. Être employeur
    # Creating a job grows the organisation: the one data·inclusion code for support to an
    # organisation's development (used by France Active, BGE… also for ESS structures).
    "projet_emploi": ("creer-une-entreprise--developper-son-entreprise",),
    # data·inclusion's recruitment codes are the candidate's side (answer job offers, convince
    # a recruiter): mapping the employer's side there would mislead job seekers.
    "recrutement": (),
    "contrat_travail": (),
    "convention_collective": (),
    # DSN, URSSAF and the chèque emploi associatif are administrative procedures.
    "paie_declarations": (
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
    ),
    # B. Compétences
    # Building the skills plan and securing its funding is building the training file.
    "formation_pro": ("se-former--monter-son-dossier-de-formation",),
    "gepp": (),
    "organisation_management": (),
    # C. Qualité de l'emploi (data·inclusion's ``sante--*`` codes are a person's health care)
    "sante_prevoyance": (),
    "qvct": (),
    "dialogue_social": (),
    "fin_contrat": (),
    # D. Financer l'emploi: consolidating the organisation's economy, as for projet_emploi.
    "aides_emploi": ("creer-une-entreprise--developper-son-entreprise",),
    "modele_economique": ("creer-une-entreprise--developper-son-entreprise",),
    "mutualisation": ("creer-une-entreprise--developper-son-entreprise",),
    # E. Gouvernance
    "gouvernance_employeur": (),
    "gouvernance_projet": (),
    # Z. Hors fonction employeur. ``numerique--*`` is a person's basic digital inclusion and
    # ``remobilisation--benevolat-action-citoyenne`` is volunteering *as* a person: the other
    # side of managing an association's volunteers.
    "partenariats_territoire": (),
    "communication": (),
    "numerique": (),
    "benevolat": (),
}

#: pmae stage -> data·inclusion ``type`` (v1 has one type per service; see :data:`STAGE_ORDER`).
STAGE_TYPES: Final[Mapping[str, str]] = {
    "accueil": "information",
    "information": "information",
    "sensibilisation": "information",
    "conseil": "accompagnement",
    "formation": "formation",
    "appui": "accompagnement",
    "suivi": "accompagnement",
}

#: A service gets the type of its *last* stage in the support chain (the deepest support it
#: gives); the other stages are lost.
STAGE_ORDER: Final[tuple[str, ...]] = (
    "accueil", "information", "sensibilisation", "conseil", "formation", "appui", "suivi",
)

#: Support given to a group of associations only is data·inclusion's ``atelier``.
COLLECTIVE_TYPES: Final[Mapping[str, str]] = {"accompagnement": "atelier"}

#: pmae offer format -> nothing in v1 (it only changes ``type``, see :data:`COLLECTIVE_TYPES`).
OFFER_FORMATS: Final[Mapping[str, tuple[str, ...]]] = {"individuel": (), "collectif": ()}

#: pmae delivery mode -> data·inclusion ``modes_accueil``.
DELIVERY_MODES: Final[Mapping[str, tuple[str, ...]]] = {
    "sur_site": ("en-presentiel",),
    "a_distance": ("a-distance",),
    "mixte": ("en-presentiel", "a-distance"),
}

#: pmae cost -> data·inclusion ``frais``; :data:`COSTS_WITH_DETAILS` also fill
#: ``frais_precisions`` with the pmae definition, since the condition is what matters.
COSTS: Final[Mapping[str, str]] = {
    "gratuit": "gratuit",
    "payant": "payant",
    "sous_conditions": "gratuit",
}
COSTS_WITH_DETAILS: Final[frozenset[str]] = frozenset({"sous_conditions"})

#: data·inclusion ``publics`` are kinds of *people*; pmae offers are for associations, which
#: none of the 14 codes describes (and ``tous-publics`` would be false). ``publics`` stays
#: empty; size bands and sectors go to ``publics_precisions`` as text.
PUBLICS: Final[tuple[str, ...]] = ()

#: pmae actor type -> data·inclusion ``reseaux_porteurs`` (independent of territory).
ACTOR_TYPES: Final[Mapping[str, tuple[str, ...]]] = {
    "coordination_associative": (),
    "reseau_sectoriel": (),
    "dla_departemental": (),
    "dla_regional": (),
    "maison_des_associations": (),
    "point_appui": (),
    # Only France Active's members are a data·inclusion network: see LABELS.
    "financeur_solidaire": (),
    # A CRESS is an association, not a ``chambres-consulaires`` public body.
    "cress": (),
    "organisation_employeurs": (),
    "opco": (),
    # A GEIQ is one kind of groupement d'employeurs, not every one.
    "groupement_employeurs": (),
    "collectivite": (),  # by the level of its territory: see TERRITORIAL_ACTOR_TYPES
    "service_etat": (),  # by the level of its territory: see TERRITORIAL_ACTOR_TYPES
    "centre_ressources": (),
    "prestataire": (),
    "autre": (),
}

#: (actor type, level of *all* its territories) -> ``reseaux_porteurs``: which authority a
#: collectivité is depends on the territory it governs. A State service is only mapped at
#: regional level (``regions``: "Régions, Préfectures et services régionaux");
#: ``departements`` means the Conseil départemental's services, not the State's.
TERRITORIAL_ACTOR_TYPES: Final[Mapping[tuple[str, str], str]] = {
    ("collectivite", "reg"): "regions",
    ("collectivite", "dep"): "departements",
    ("collectivite", "epci"): "communes",
    ("collectivite", "com"): "communes",
    ("service_etat", "reg"): "regions",
}

#: pmae actor label -> data·inclusion ``reseaux_porteurs``.
LABELS: Final[Mapping[str, tuple[str, ...]]] = {
    "guid_asso_accueil": (),
    "guid_asso_information": (),
    "guid_asso_orientation": (),
    "porteur_dla": (),
    "point_appui_savara": (),
    "pava": (),
    "france_active": ("france-active",),
    "autre": (),
}

#: pmae territory level -> how it is written in ``zone_eligibilite``. Régions are replaced by
#: their départements (data·inclusion's rule); levels added by plugins have no INSEE form there.
TERRITORY_LEVELS: Final[Mapping[str, str]] = {
    "fr": "the code `france`",
    "reg": "its départements' codes (`reg:84` -> `01`, `03`, … `74`)",
    "dep": "the département code (`dep:69` -> `69`)",
    "epci": "the EPCI's SIREN (`epci:200046977` -> `200046977`)",
    "com": "the commune code (`com:69123` -> `69123`)",
}


# -- the reverse direction: data·inclusion -> pmae ------------------------------------------
# Each table below is the inverse of a table above on the codes the export writes: importing a
# code and exporting the result gives the same code back (the tests check it). Where several
# pmae codes share one data·inclusion code, the one whose meaning is closest is chosen and the
# others cannot be told apart: the import reports that choice.

#: data·inclusion ``thematiques`` -> pmae theme. The other 66 codes have no pmae counterpart.
THEMES_FROM: Final[Mapping[str, str]] = {
    # Shared by projet_emploi, aides_emploi, modele_economique and mutualisation: "développer
    # son entreprise" is, for an association, consolidating its economy.
    "creer-une-entreprise--developper-son-entreprise": "modele_economique",
    "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives":
        "paie_declarations",
    "se-former--monter-son-dossier-de-formation": "formation_pro",
}

#: data·inclusion ``type`` -> (pmae stages, pmae formats). ``aide-financiere`` and
#: ``aide-materielle`` have no pmae stage.
TYPES_FROM: Final[Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "information": (("information",), ()),
    # conseil, appui and suivi all export as accompagnement; appui is "Appui / accompagnement".
    "accompagnement": (("appui",), ()),
    "formation": (("formation",), ()),
    "atelier": (("appui",), ("collectif",)),
}

#: data·inclusion ``modes_accueil`` (as a set) -> pmae delivery mode.
DELIVERY_MODES_FROM: Final[Mapping[frozenset[str], str]] = {
    frozenset({"en-presentiel"}): "sur_site",
    frozenset({"a-distance"}): "a_distance",
    frozenset({"en-presentiel", "a-distance"}): "mixte",
}

#: data·inclusion ``frais`` -> pmae cost; ``gratuit`` with the ``sous_conditions`` definition
#: as ``frais_precisions`` (what the export writes) is ``sous_conditions``.
COSTS_FROM: Final[Mapping[str, str]] = {"gratuit": "gratuit", "payant": "payant"}

#: data·inclusion ``reseaux_porteurs`` -> (pmae actor type, pmae label, level of the territory
#: the actor governs, taken from its commune). The other 105 networks have no pmae counterpart.
NETWORKS_FROM: Final[Mapping[str, tuple[str | None, str | None, str | None]]] = {
    "france-active": (None, "france_active", None),
    # A State service at regional level also exports as ``regions``: the collectivité is the
    # likelier reading of "Régions".
    "regions": ("collectivite", None, "reg"),
    "departements": ("collectivite", None, "dep"),
    # Communes and EPCI export as ``communes``; the commune is what the seat gives.
    "communes": ("collectivite", None, "com"),
}
