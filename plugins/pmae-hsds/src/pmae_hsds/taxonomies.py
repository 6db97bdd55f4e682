"""pmae's vocabularies published as HSDS taxonomies, and which field each one describes.

Every coded field of an actor or an offer becomes HSDS ``attributes``: one per code, each
pointing to a ``taxonomy_term`` of the taxonomy that publishes the pmae vocabulary (its URI is
``https://schemas.pmae.fr/hsds/1.0/taxonomies/<vocabulary id>``). Fields that hold values rather
than codes (the pmae id of an offer, an actor's territories and networks, and the flags of
values the export had to make up) use the terms of one more taxonomy, ``pmae_fields``, with
the value in the attribute's ``value``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from pmae.vocab import Vocabulary

from pmae_hsds.ids import FIELDS_TAXONOMY, PROFILE_VERSION, hsds_id, taxonomy_uri

#: (pmae field, vocabulary id) of an offer, in the order attributes are written.
SERVICE_CODES: Final = (
    ("themes", "themes"), ("stages", "stages"), ("size_bands", "size_bands"),
    ("sectors", "sectors"), ("formats", "offer_formats"), ("delivery", "delivery_modes"),
    ("cost", "costs"),
)
#: (pmae field, vocabulary id) of an actor.
ORGANIZATION_CODES: Final = (("actor_type", "actor_types"), ("labels", "actor_labels"))

#: The terms of ``pmae_fields``: code -> (French name, English name, French description).
FIELD_TERMS: Final[Mapping[str, tuple[str, str, str]]] = {
    "id": ("Identifiant pmae", "pmae id",
           "L'identifiant de l'enregistrement dans pmae (<source>:<local>), dans value."),
    "territories": ("Territoire d'intervention", "Territory served",
                    "Un territoire où l'acteur intervient, code pmae dans value "
                    "(reg:84, dep:69, com:69123, epci:…, fr)."),
    "networks": ("Réseau d'appartenance", "Network",
                 "L'identifiant pmae d'un réseau dont l'acteur est membre, dans value."),
    "generated": ("Valeur produite par l'export", "Value made by the export",
                  "Le champ nommé dans value n'existe pas dans pmae : l'export l'a produit "
                  "parce que HSDS ou le profil pmae l'exigent ; l'import l'ignore."),
}

_FIELDS_TITLE: Final = ("Champs pmae", "pmae fields",
                        "Les champs de pmae qui portent une valeur plutôt qu'un code.")


def taxonomy(vocabulary_id: str, vocabularies: Mapping[str, Vocabulary],
             lang: str) -> dict[str, Any]:
    """The HSDS ``taxonomy`` object that publishes one pmae vocabulary (or ``pmae_fields``)."""
    if vocabulary_id == FIELDS_TAXONOMY:
        title_fr, title_en, description = _FIELDS_TITLE
        name = title_fr if lang == "fr" else title_en
    else:
        vocabulary = vocabularies[vocabulary_id]
        name = vocabulary.title_fr if lang == "fr" else vocabulary.title_en
        description = ((vocabulary.description_fr if lang == "fr" else vocabulary.description_en)
                       or name)
    return {
        "id": hsds_id("taxonomy", vocabulary_id),
        "name": f"pmae : {name}",
        "description": description,
        "uri": taxonomy_uri(vocabulary_id),
        "version": PROFILE_VERSION,
    }


def term(vocabulary_id: str, code: str, vocabularies: Mapping[str, Vocabulary],
         lang: str) -> dict[str, Any]:
    """The HSDS ``taxonomy_term`` of one code, named in ``lang`` (``fr`` or ``en``)."""
    if vocabulary_id == FIELDS_TAXONOMY:
        name_fr, name_en, description = FIELD_TERMS[code]
        name = name_fr if lang == "fr" else name_en
    else:
        found = vocabularies[vocabulary_id].get(code)
        if found is None:
            name = description = code
        else:
            name = found.label_fr if lang == "fr" else found.label_en
            description = (found.description_fr if lang == "fr" else found.description_en) or name
    uri = taxonomy_uri(vocabulary_id)
    return {
        "id": term_id(vocabulary_id, code, lang),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": uri,
        "language": lang,
        "taxonomy_id": hsds_id("taxonomy", vocabulary_id),
        "term_uri": f"{uri}#{code}",
    }


def term_id(vocabulary_id: str, code: str, lang: str) -> str:
    """The id of a term: one per vocabulary, code and language."""
    return hsds_id("taxonomy_term", vocabulary_id, code, lang)


def published(vocabularies: Mapping[str, Vocabulary],
              langs: Iterable[str] = ("fr", "en")) -> dict[str, list[dict[str, Any]]]:
    """Every taxonomy and term of the profile, in French and English: the profile's data files.

    ``profile/data/taxonomy.json`` and ``taxonomy_term.json`` hold this for pmae's core
    vocabularies (the tests check they are up to date).
    """
    ids = [v for _, v in (*SERVICE_CODES, *ORGANIZATION_CODES)] + [FIELDS_TAXONOMY]
    taxonomies = [taxonomy(v, vocabularies, "fr") for v in ids]
    terms: list[dict[str, Any]] = []
    for lang in langs:
        for vocabulary_id in ids:
            codes = (FIELD_TERMS if vocabulary_id == FIELDS_TAXONOMY
                     else vocabularies[vocabulary_id].codes())
            terms.extend(term(vocabulary_id, code, vocabularies, lang) for code in codes)
    return {"taxonomy": taxonomies, "taxonomy_term": terms}
