"""pmae plugin: fill or enrich associations from the French registries.

Two importers:

- ``recherche-entreprises``: the JSON the business registry's search API returns
  (``https://recherche-entreprises.api.gouv.fr/search``); associations only (legal form 92xx);
- ``rna``: the RNA open-data extract (``rna_waldec_*.csv``); active associations only.

Both take ``--option source=SLUG`` (the ids are ``<source>:<RNA or SIREN>``), or
``--option bundle=PATH`` to enrich the associations of that bundle (matched by RNA, SIREN or
SIRET) and add the others; ``--option territory=reg:84`` keeps the associations whose commune
lies there. Associations are ``restricted``, as pmae's model says. With
``--option online=yes``, ``recherche-entreprises`` reads PATH as a list of SIREN, SIRET or RNA
numbers and asks the API for them, within its rate limit (:mod:`pmae_registres.online`); nothing
else reaches the network. See the README.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from pmae.io.csv_reader import detect_encoding
from pmae.plugins import Importer, Option, hookimpl

from pmae_registres.common import Found, Place, enrich
from pmae_registres.entreprises import import_entreprises, read_entreprises
from pmae_registres.rna import import_rna, read_rna

__all__ = [
    "Found",
    "Place",
    "detect_encoding",
    "enrich",
    "import_entreprises",
    "import_rna",
    "read_entreprises",
    "read_rna",
]

#: The options both importers take: pmae lists them (``pmae plugins``) and checks them.
OPTIONS: Final = (
    Option(name="source", help="the slug of the ids <source>:<RNA or SIREN> (or give bundle=)"),
    Option(name="bundle", help="a bundle to enrich (its source gives the ids' slug)"),
    Option(name="territory", help="keep the associations of this territory only (dep:69…)"),
    Option(name="name", help="the new bundle's source name"),
)
#: What ``recherche-entreprises`` takes besides.
ONLINE: Final = Option(name="online", type=bool, default=False,
                       help="read PATH as a list of SIREN, SIRET or RNA numbers and look them "
                            "up on recherche-entreprises.api.gouv.fr")


@hookimpl
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """``recherche-entreprises`` (API response JSON) and ``rna`` (RNA waldec CSV)."""
    register(Importer(
        name="recherche-entreprises", title="Recherche d'entreprises (réponse JSON de l'API)",
        read=read_entreprises, options=(*OPTIONS, ONLINE),
        description="Associations (legal form 92xx) of a recherche-entreprises.api.gouv.fr "
                    "response, or online=yes to look up a list of SIREN/SIRET/RNA numbers."))
    register(Importer(
        name="rna", title="Répertoire national des associations (extrait rna_waldec)",
        read=read_rna, options=OPTIONS,
        description="Active associations of an rna_waldec CSV extract (; UTF-8 or Latin-1); "
                    "personal columns dropped."))
