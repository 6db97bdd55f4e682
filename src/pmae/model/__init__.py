"""The model of the démarche PMAE: pure data, attrs classes, no I/O (DESIGN §2)."""

from pmae.model.bundle import COLLECTION_OF, COLLECTIONS, FORMAT_VERSION, Bundle
from pmae.model.common import VISIBILITIES, Person, Provenance, Source
from pmae.model.fields import ModelTypeError
from pmae.model.records import (
    Actor,
    Answer,
    Association,
    Diagnosis,
    Meeting,
    Need,
    Offer,
    Practice,
    Production,
    Programme,
    Record,
    Referral,
    Registration,
    Resource,
    Response,
    Speaker,
    Workshop,
)

__all__ = [
    "COLLECTIONS",
    "COLLECTION_OF",
    "FORMAT_VERSION",
    "VISIBILITIES",
    "Actor",
    "Answer",
    "Association",
    "Bundle",
    "Diagnosis",
    "Meeting",
    "ModelTypeError",
    "Need",
    "Offer",
    "Person",
    "Practice",
    "Production",
    "Programme",
    "Provenance",
    "Record",
    "Referral",
    "Registration",
    "Resource",
    "Response",
    "Source",
    "Speaker",
    "Workshop",
]
