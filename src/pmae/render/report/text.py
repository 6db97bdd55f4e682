"""The words of the report, in French (the default) and English.

Templates read them as ``t.<key>``; the vocabularies' own labels come from :mod:`pmae.vocab`.
"""

from __future__ import annotations

from typing import Final

__all__ = ["LANGUAGES", "TEXT"]

#: The languages the report is written in.
LANGUAGES: Final = ("fr", "en")

TEXT: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "site": "Démarche PMAE",
        "tagline": "Qui accompagne les petites associations employeuses, avec quoi, où",
        "nav_label": "Navigation principale",
        "home": "Accueil",
        "directory": "Annuaire",
        "coverage": "Couverture",
        "chain": "Chaîne de l'accompagnement",
        "diagnosis": "Diagnostic partagé",
        "meetings": "Rencontres",
        "key_figures": "Chiffres clés",
        "actors": "acteurs",
        "offers": "offres",
        "needs": "besoins exprimés",
        "meetings_of_year": "réunions en {year}",
        "actors_by_type": "Acteurs par type",
        "offers_by_theme": "Offres par thème",
        "offers_by_stage": "Offres par étape de l'accompagnement",
        "offers_count": "{n} offres",
        "source": "Source",
        "data_of": "données publiées le {date}",
        "report_of": "rapport du {date}",
        "audience": "Public",
        "licence": "Licence",
        "audience_public": "tout public",
        "audience_network": "membres des réseaux",
        "audience_all": "usage interne (tout)",
        "audience_recipient": "destinataire {who}",
        "made_with": "Produit avec pmae {version}",
        "pages": "Pages du rapport",
        "directory_intro": "Les acteurs de l'accompagnement et leurs offres. Filtrer :",
        "by_theme": "par thème",
        "by_stage": "par étape",
        "by_departement": "par département",
        "all_actors": "Tous les acteurs",
        "filtered": "Annuaire — {what}",
        "no_offer": "Aucune offre publiée.",
        "no_actor": "Aucun acteur ne correspond à ce filtre.",
        "actor_type": "Type",
        "labels": "Labels",
        "served": "Territoires",
        "website": "Site",
        "themes": "Thèmes",
        "stages": "Étapes",
        "territories": "Territoires",
        "cost": "Coût",
        "formats": "Format",
        "delivery": "Modalité",
        "valid": "Validité",
        "from_to": "du {start} au {end}",
        "from": "à partir du {start}",
        "until": "jusqu'au {end}",
        "ended": "terminée",
        "link": "Voir l'offre",
        "offer_of": "Offres de {actor}",
        "coverage_intro": "Nombre d'offres en vigueur le {date} par département et par thème. "
                          "Une case hachurée marquée « × » est une zone blanche : aucune offre "
                          "sur ce thème à cette étape dans le département.",
        "all_stages": "Toutes étapes",
        "stage_selector": "Étape",
        "zone_blanche": "zone blanche",
        "partial": "couvert en partie seulement (offres d'une commune ou d'un territoire plus "
                   "petit que le département)",
        "couvert": "couvert",
        "redondant": "redondant (au moins {n} acteurs sur tout le département)",
        "legend": "Légende",
        "gaps": "Zones blanches",
        "gaps_count": "{n} cases sans aucune offre sur {total}",
        "no_gap": "Aucune zone blanche.",
        "departement": "Département",
        "theme": "Thème",
        "stage": "Étape",
        "heatmap_title": "Couverture par département et par thème — {stage}",
        "cell_title": "{dep} × {theme} : {n} offre(s), {status}",
        "chain_intro": "Pour chaque thème, les acteurs présents à chaque étape de la chaîne "
                       "d'accompagnement, avec le territoire qu'ils couvrent.",
        "nobody": "personne",
        "deps_covered": "{n}/{total} départements",
        "region_wide": "région",
        "diagnosis_intro": "Besoins exprimés par les associations, par thème et par "
                           "département. Une case n'est montrée que si elle compte au moins "
                           "{min} associations et qu'aucune ne pèse plus de {dominance}. Pour "
                           "qu'aucune association ne puisse être reconnue, chaque chiffre est "
                           "légèrement brouillé, toujours de la même façon pour les mêmes "
                           "besoins : un total est brouillé à part et peut différer de la somme "
                           "de ses cases. « s » marque une case vide ou trop petite pour être "
                           "montrée : on ne peut pas savoir laquelle des deux. « Autres "
                           "départements » réunit, thème par thème, les départements de la "
                           "région qui ne sont pas montrés.",
        "rolled_up": "r",
        "rolled_up_title": "besoins regroupés dans « autres départements » de la région",
        "secret": "s",
        "secret_title": "case vide ou trop petite pour être montrée",
        "total": "Total",
        "unspecified": "non précisé",
        "others": "autres départements",
        "needs_column": "besoins",
        "meetings_intro": "Les réunions de la démarche en {year} : COFIL, rencontres "
                          "régionales et ateliers.",
        "no_meeting": "Aucune réunion en {year}.",
        "date": "Date",
        "kind": "Type",
        "title": "Intitulé",
        "place": "Lieu",
        "speaker": "Intervenant extérieur",
        "workshops": "Ateliers",
        "present": "Structures présentes",
        "none": "—",
        "sheets": "Fiches Les ESSentiels",
        "sheet_of": "fiche",
        "scope_public": "Ce rapport montre les {n} offres publiques en vigueur le {date}.",
        "scope_network": "Ce rapport montre les {n} offres visibles des membres des réseaux, "
                         "en vigueur le {date}.",
        "scope_recipient": "Ce rapport montre les {n} offres visibles de ce destinataire, en "
                           "vigueur le {date}.",
        "scope_all": "Ce rapport montre les {n} offres en vigueur le {date}, quelle que soit "
                     "leur visibilité.",
        "scope_closed": "Offres visibles closes ou pas encore ouvertes à cette date, non "
                        "comptées : {n}.",
        "scope_why": "Les offres réservées à d'autres publics et celles qui ne sont pas en "
                     "vigueur à cette date n'y figurent pas : les totaux peuvent donc être plus "
                     "petits que ceux des données complètes (la synthèse de pmae demo, pmae "
                     "coverage).",
        "needs_why": "Besoins : total publié du diagnostic partagé, brouillé pour le secret "
                     "statistique ; il peut différer de quelques unités du nombre de besoins "
                     "enregistrés.",
        "legend_counts": "Le chiffre d'une case est le nombre d'offres en vigueur qui la "
                         "couvrent.",
        "legend_one": "1 offre : couvert",
        "legend_more": "2 offres ou plus : couvert",
        "legend_redundant": "{k} offres ou plus, dont au moins {k} acteurs sur tout le "
                            "département : redondant",
        "cell_link": "Voir ces offres dans l'annuaire",
        "gaps_needs": "Zones blanches où des besoins sont observés",
        "gaps_needs_intro": "Cases sans aucune offre ({stage}) là où le diagnostic partagé "
                            "publie des besoins sur le thème dans le département (toutes étapes "
                            "confondues, chiffres brouillés pour le secret statistique), des "
                            "plus nombreux aux moins nombreux.",
        "gaps_needs_none": "Aucune zone blanche ne croise un besoin publié par le diagnostic "
                           "partagé.",
        "needs_published": "Besoins publiés",
        "gaps_by_dep": "Zones blanches par département",
        "gaps_by_theme": "Zones blanches par thème",
        "themes_without": "Thèmes sans offre",
        "deps_without": "Départements sans offre",
        "count": "Nombre",
        "see_offers": "voir les offres",
        "map_gaps": "Carte : thèmes sans aucune offre par département — {stage}",
        "map_needs": "Carte : besoins publiés par département",
        "map_desc": "Une tuile par département, placée à peu près où il se trouve ; la couleur "
                    "et le chiffre donnent la valeur ; chaque tuile mène à l'annuaire du "
                    "département.",
        "map_data": "Données de la carte",
        "map_secret": "non publié",
        "range": "de {low} à {high}",
        "search": "Rechercher",
        "search_label": "Mots (titre, acteur, description)",
        "search_any": "tous",
        "search_found": "{n} offre(s) affichée(s)",
        "search_reset": "Tout afficher",
    },
    "en": {
        "site": "PMAE cooperation",
        "tagline": "Who supports small employer associations, with what, where",
        "nav_label": "Main navigation",
        "home": "Home",
        "directory": "Directory",
        "coverage": "Coverage",
        "chain": "Support chain",
        "diagnosis": "Shared diagnosis",
        "meetings": "Meetings",
        "key_figures": "Key figures",
        "actors": "actors",
        "offers": "offers",
        "needs": "needs expressed",
        "meetings_of_year": "meetings in {year}",
        "actors_by_type": "Actors by type",
        "offers_by_theme": "Offers by theme",
        "offers_by_stage": "Offers by support stage",
        "offers_count": "{n} offers",
        "source": "Source",
        "data_of": "data published on {date}",
        "report_of": "report of {date}",
        "audience": "Audience",
        "licence": "Licence",
        "audience_public": "public",
        "audience_network": "network members",
        "audience_all": "internal use (everything)",
        "audience_recipient": "recipient {who}",
        "made_with": "Made with pmae {version}",
        "pages": "Pages of the report",
        "directory_intro": "The support actors and their offers. Filter:",
        "by_theme": "by theme",
        "by_stage": "by stage",
        "by_departement": "by département",
        "all_actors": "All actors",
        "filtered": "Directory — {what}",
        "no_offer": "No published offer.",
        "no_actor": "No actor matches this filter.",
        "actor_type": "Type",
        "labels": "Labels",
        "served": "Territories",
        "website": "Website",
        "themes": "Themes",
        "stages": "Stages",
        "territories": "Territories",
        "cost": "Cost",
        "formats": "Format",
        "delivery": "Delivery",
        "valid": "Valid",
        "from_to": "from {start} to {end}",
        "from": "from {start}",
        "until": "until {end}",
        "ended": "ended",
        "link": "See the offer",
        "offer_of": "Offers of {actor}",
        "coverage_intro": "Number of offers in force on {date} by département and theme. A "
                          "hatched cell marked “×” is a gap (zone blanche): no offer on that "
                          "theme at that stage in the département.",
        "all_stages": "All stages",
        "stage_selector": "Stage",
        "zone_blanche": "gap (zone blanche)",
        "partial": "covered only in part (offers of a commune or a territory smaller than the "
                   "département)",
        "couvert": "covered",
        "redondant": "redundant (at least {n} actors over the whole département)",
        "legend": "Legend",
        "gaps": "Gaps",
        "gaps_count": "{n} cells without any offer out of {total}",
        "no_gap": "No gap.",
        "departement": "Département",
        "theme": "Theme",
        "stage": "Stage",
        "heatmap_title": "Coverage by département and theme — {stage}",
        "cell_title": "{dep} × {theme}: {n} offer(s), {status}",
        "chain_intro": "For each theme, the actors present at each stage of the support "
                       "chain, with the territory they cover.",
        "nobody": "nobody",
        "deps_covered": "{n}/{total} départements",
        "region_wide": "région",
        "diagnosis_intro": "Needs expressed by associations, by theme and département. A cell "
                           "is shown only when it counts at least {min} associations and none "
                           "weighs more than {dominance}. So that no association can be "
                           "recognised, every figure is slightly blurred, always the same way "
                           "for the same needs: a total is blurred on its own and may differ "
                           "from the sum of its cells. “s” marks a cell that is empty or too "
                           "small to be shown: nobody can tell which. “Other départements” "
                           "gathers, theme by theme, the région's départements not shown.",
        "rolled_up": "r",
        "rolled_up_title": "needs merged into the région's other départements",
        "secret": "s",
        "secret_title": "empty, or too small to be shown",
        "total": "Total",
        "unspecified": "not specified",
        "others": "other départements",
        "needs_column": "needs",
        "meetings_intro": "The meetings of the cooperation in {year}: steering committees, "
                          "regional meetings and workshops.",
        "no_meeting": "No meeting in {year}.",
        "date": "Date",
        "kind": "Kind",
        "title": "Title",
        "place": "Place",
        "speaker": "Outside speaker",
        "workshops": "Workshops",
        "present": "Organisations present",
        "none": "—",
        "sheets": "Les ESSentiels sheets",
        "sheet_of": "sheet",
        "scope_public": "This report shows the {n} public offers in force on {date}.",
        "scope_network": "This report shows the {n} offers network members may see, in force "
                         "on {date}.",
        "scope_recipient": "This report shows the {n} offers this recipient may see, in force "
                           "on {date}.",
        "scope_all": "This report shows the {n} offers in force on {date}, whatever their "
                     "visibility.",
        "scope_closed": "Visible offers closed or not yet open on that date, not counted: {n}.",
        "scope_why": "Offers meant for other audiences and offers not in force on that date are "
                     "left out: totals may be smaller than those of the full data (the summary "
                     "of pmae demo, pmae coverage).",
        "needs_why": "Needs: the published total of the shared diagnosis, blurred for "
                     "statistical secrecy; it may differ by a few units from the number of "
                     "needs recorded.",
        "legend_counts": "The figure in a cell is the number of offers in force covering it.",
        "legend_one": "1 offer: covered",
        "legend_more": "2 offers or more: covered",
        "legend_redundant": "{k} offers or more, of at least {k} actors over the whole "
                            "département: redundant",
        "cell_link": "See these offers in the directory",
        "gaps_needs": "Gaps where needs are observed",
        "gaps_needs_intro": "Cells without any offer ({stage}) where the shared diagnosis "
                            "publishes needs on the theme in the département (all stages, "
                            "figures blurred for statistical secrecy), most needs first.",
        "gaps_needs_none": "No gap meets a need published by the shared diagnosis.",
        "needs_published": "Published needs",
        "gaps_by_dep": "Gaps by département",
        "gaps_by_theme": "Gaps by theme",
        "themes_without": "Themes without an offer",
        "deps_without": "Départements without an offer",
        "count": "Count",
        "see_offers": "see the offers",
        "map_gaps": "Map: themes without any offer by département — {stage}",
        "map_needs": "Map: published needs by département",
        "map_desc": "One tile per département, placed roughly where it lies; the colour and the "
                    "figure give the value; each tile leads to the département's directory.",
        "map_data": "Data of the map",
        "map_secret": "not published",
        "range": "{low} to {high}",
        "search": "Search",
        "search_label": "Words (title, actor, description)",
        "search_any": "all",
        "search_found": "{n} offer(s) shown",
        "search_reset": "Show all",
    },
}
