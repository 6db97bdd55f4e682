"""The tables the checks of layer 3 read (:mod:`pmae.io.checks`): for each collection, the
fields that hold vocabulary codes, references to other records and territories. A new field is
checked by adding a row here."""

from __future__ import annotations

from typing import Final

from pmae.i18n import N_

__all__ = ["REFERENCE_FIELDS", "TERRITORY_FIELDS", "VOCABULARY_FIELDS"]

#: collection -> ((field, vocabulary id), …). List fields and single fields alike.
VOCABULARY_FIELDS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "actors": (("actor_type", "actor_types"), ("labels", "actor_labels")),
    "offers": (("themes", "themes"), ("stages", "stages"), ("size_bands", "size_bands"),
               ("sectors", "sectors"), ("formats", "offer_formats"),
               ("delivery", "delivery_modes"), ("cost", "costs")),
    "associations": (("sector", "sectors"), ("size_band", "size_bands")),
    "diagnoses": (),
    "needs": (("theme", "themes"), ("origin", "need_origins"), ("stage", "stages"),
              ("size_band", "size_bands"), ("sector", "sectors"), ("status", "need_statuses")),
    "referrals": (("outcome", "referral_outcomes"),),
    "meetings": (("kind", "meeting_kinds"), ("status", "meeting_statuses"), ("themes", "themes")),
    "productions": (("kind", "production_kinds"), ("themes", "themes"),
                    ("status", "production_statuses")),
    "resources": (("kind", "resource_kinds"), ("themes", "themes")),
    "programmes": (("priorities", "themes"),),
    "responses": (("themes", "themes"), ("stages", "stages"), ("status", "response_statuses")),
    "practices": (("themes", "themes"), ("stages", "stages")),
}

#: collection -> ((field, collections it may point to), …).
REFERENCE_FIELDS: Final[dict[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "actors": (("networks", ("actors",)),),
    "offers": (("actor", ("actors",)),),
    "associations": (),
    "diagnoses": (("association", ("associations",)), ("needs", ("needs",)),
                  ("advisor", ("actors",))),
    "needs": (("association", ("associations",)), ("diagnosis", ("diagnoses",))),
    "referrals": (("need", ("needs",)), ("offer", ("offers",)), ("by", ("actors",))),
    "meetings": (("organisers", ("actors",)), ("productions", ("productions",))),
    "productions": (("authors", ("actors",)), ("resources", ("resources",)),
                    ("meeting", ("meetings",))),
    "resources": (),
    "programmes": (("meetings", ("meetings",)), ("productions", ("productions",))),
    "responses": (("actors", ("actors",)), ("meeting", ("meetings",)),
                  ("programme", ("programmes",)), ("offers", ("offers",)),
                  ("productions", ("productions",))),
    "practices": (("actors", ("actors",)), ("meeting", ("meetings",)),
                  ("resources", ("resources",))),
}

#: collection -> territory fields.
TERRITORY_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "actors": ("territories", "commune"),
    "offers": ("territories",),
    "associations": ("commune",),
    "needs": ("territory",),
    "meetings": ("commune",), "responses": ("territories",), "practices": ("territories",),
}

_CLOSED_BY_SCHEMA: Final = frozenset({
    "stages", "size_bands", "offer_formats", "delivery_modes", "costs", "need_origins",
    "need_statuses", "referral_outcomes", "meeting_statuses", "production_statuses",
    "response_statuses"})

#: How an issue names a record of each collection.
# Marked for the catalogue: the messages that name a kind of record translate it.
_SINGULAR: Final = {"actors": N_("an actor"), "offers": N_("an offer"),
                    "associations": N_("an association"), "diagnoses": N_("a diagnosis"),
                    "needs": N_("a need"), "referrals": N_("a referral"),
                    "meetings": N_("a meeting"), "productions": N_("a production"),
                    "resources": N_("a resource"), "programmes": N_("a programme"),
                    "responses": N_("a response"), "practices": N_("a practice")}
