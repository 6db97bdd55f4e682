"""Identifiers and URIs of the pmae HSDS profile: uuid5 ids, taxonomy and territory URIs.

HSDS ids are UUIDs. Each is derived with uuid5 from the pmae id (and the kind of object), in a
namespace of its own, so the same pmae record always gets the same HSDS id, in every export and
every form, and two records never share one.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

#: The canonical URI of the pmae HSDS profile (HSDS "Profile URLs"); its merge patches are
#: under ``profile/`` and the compiled schemas under ``schema/`` below it.
PROFILE_URI: Final = "https://schemas.pmae.fr/hsds/1.0/"
PROFILE_VERSION: Final = "1.0.0"

#: The namespace of every uuid5 this plugin derives: itself a uuid5 of the profile URI.
NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, PROFILE_URI)

#: Where the taxonomies that publish pmae's vocabularies live: ``<base><vocabulary id>``.
TAXONOMY_BASE: Final = f"{PROFILE_URI}taxonomies/"

#: The taxonomy of pmae's own fields (id, territories, networks, generated values), whose
#: attributes carry a ``value`` rather than a code of a vocabulary.
FIELDS_TAXONOMY: Final = "pmae_fields"

#: ``organization_identifier.identifier_type`` of the pmae id, and the SIRET's scheme.
PMAE_ID_TYPE: Final = "pmae"
SIRET_SCHEME: Final = "FR-SIRET"
SIRET_TYPE: Final = "SIRET"

#: INSEE's code-based URIs of the Code officiel géographique (the form data.gouv.fr uses).
COG_BASE: Final = "http://id.insee.fr/geo/"
_COG_LEVELS: Final = {"reg": "region", "dep": "departement", "com": "commune",
                      "epci": "intercommunalite"}
#: France as a whole: its COG code among countries.
COG_FRANCE: Final = f"{COG_BASE}pays/99100"
#: A territory of a level added by a plugin (*bassin de vie*…): no COG URI, pmae's own.
PMAE_TERRITORY_BASE: Final = "urn:pmae:territoire:"
_COG_URI = re.compile(r"^http://id\.insee\.fr/geo/(region|departement|commune|intercommunalite)"
                      r"/([0-9AB]+)$")


def hsds_id(kind: str, *parts: str) -> str:
    """The HSDS id of a ``kind`` of object (``organization``, ``service``…) made from ``parts``.

    ``hsds_id("service", "lma-ra:offre-12")`` is the same UUID in every export.
    """
    return str(uuid.uuid5(NAMESPACE, "\x1f".join((kind, *parts))))


def taxonomy_uri(vocabulary: str) -> str:
    """The URI of the HSDS taxonomy that publishes a pmae vocabulary."""
    return f"{TAXONOMY_BASE}{vocabulary}"


def vocabulary_of(uri: str | None) -> str | None:
    """The pmae vocabulary a taxonomy URI publishes, or ``None`` for another taxonomy."""
    if uri and uri.startswith(TAXONOMY_BASE):
        return uri[len(TAXONOMY_BASE):] or None
    return None


def territory_uri(code: str) -> str:
    """A pmae territory code as a URI: INSEE's COG URI where there is one, else pmae's URN."""
    if code == "fr":
        return COG_FRANCE
    level, _, local = code.partition(":")
    if level in _COG_LEVELS:
        return f"{COG_BASE}{_COG_LEVELS[level]}/{local}"
    return f"{PMAE_TERRITORY_BASE}{code}"


def territory_code(uri: str | None) -> str | None:
    """The pmae territory code of a service area URI (the inverse of :func:`territory_uri`)."""
    if not uri:
        return None
    if uri == COG_FRANCE:
        return "fr"
    if uri.startswith(PMAE_TERRITORY_BASE):
        return uri[len(PMAE_TERRITORY_BASE):] or None
    match = _COG_URI.match(uri)
    if match is None:
        return None
    level = {v: k for k, v in _COG_LEVELS.items()}[match.group(1)]
    return f"{level}:{match.group(2)}"
