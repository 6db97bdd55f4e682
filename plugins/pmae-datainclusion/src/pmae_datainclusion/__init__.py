"""pmae plugin: export actors and offers as data·inclusion v1 structures and services.

``pmae export bundle.json --to datainclusion -o di.json`` writes one JSON document
``{"structures": [...], "services": [...]}`` whose records follow the *schéma de l'offre
d'insertion* v1 (``data-inclusion-schema`` 1.0.x). The exporter writes plain JSON and needs
nothing but pmae at run time; the tests validate its output with the real package.

Ids are ``<source>--<pmae id>`` (``pmae-ra--lma-ra:offre-12``): the pmae id is kept whole, so
:func:`pmae_id` gives it back from any record. See the README for every rule and what is lost.

``pmae import datainclusion di.json -o bundle.json`` goes the other way
(:mod:`pmae_datainclusion.importer`): data·inclusion structures and services, this exporter's
or anyone's, become actors and offers through the inverse of the same tables.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any, Final

from pmae.io.files import dumps_json
from pmae.model import Actor, Bundle, Offer
from pmae.plugins import ExportContext, Exporter, ExportError, Importer, Option, hookimpl
from pmae.territories import Territories, TerritoryError, core_territories
from pmae.vocab import Vocabulary, core_vocabularies

from pmae_datainclusion import mapping
from pmae_datainclusion.importer import IMPORT_OPTIONS, from_datainclusion, read_datainclusion

__all__ = [
    "EXPORTER_NAME",
    "ID_SEPARATOR",
    "di_id",
    "export_datainclusion",
    "from_datainclusion",
    "pmae_id",
    "read_datainclusion",
    "to_datainclusion",
    "zone_eligibilite",
]

EXPORTER_NAME: Final = "datainclusion"

#: Between the data·inclusion source and the pmae id, as in data·inclusion's own ids
#: (``dora--AidantsConnect:2024-47BXY``, which also shows that a colon is fine in an id).
ID_SEPARATOR: Final = "--"

#: A data·inclusion source name, as given with ``--option source=…``: pmae's slug form.
_SOURCE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")

#: data·inclusion's limits that the pydantic models enforce.
_NAME_MIN, _NAME_MAX = 3, 150
_TEXT_MIN, _TEXT_MAX = 5, 10_000
_OLDEST_DATE_MAJ: Final = dt.date(2000, 1, 1)

#: Structure and service fields, in the order data·inclusion's models declare them; only the
#: fields this exporter can fill are written (``null`` when a record has no value).
STRUCTURE_FIELDS: Final = (
    "source", "id", "nom", "date_maj", "description", "siret", "commune", "code_insee",
    "adresse", "telephone", "courriel", "site_web", "reseaux_porteurs",
)
SERVICE_FIELDS: Final = (
    "source", "structure_id", "id", "nom", "description", "lien_source", "date_maj", "type",
    "thematiques", "frais", "frais_precisions", "publics", "publics_precisions",
    "modes_accueil", "zone_eligibilite",
)


def di_id(source: str, pmae_record_id: str) -> str:
    """The data·inclusion id of a pmae record: ``<source>--<pmae id>``."""
    return f"{source}{ID_SEPARATOR}{pmae_record_id}"


def pmae_id(record: Mapping[str, Any]) -> str:
    """The pmae id an exported structure or service came from (the inverse of :func:`di_id`).

    The record's own ``source`` says where the prefix ends, so a source with ``--`` in it is
    no problem.
    """
    prefix = f"{record['source']}{ID_SEPARATOR}"
    identifier = str(record["id"])
    if not identifier.startswith(prefix):
        raise ValueError(f"{identifier!r} does not start with {prefix!r}")
    return identifier[len(prefix):]


def zone_eligibilite(codes: Iterable[str], territories: Territories) -> list[str] | None:
    """pmae territory codes as data·inclusion ``zone_eligibilite`` codes (INSEE, no level).

    ``fr`` is ``france`` (and then alone: it covers everything); a région (current or former)
    becomes its départements, never a bare région code, which data·inclusion does not accept
    and which could be read as a département (``84`` is the Vaucluse); ``dep:``, ``com:`` and
    ``epci:`` lose their prefix. Codes of levels added by plugins (*bassins de vie*…) have no
    INSEE form there and are dropped rather than widened to whole départements. ``None`` when
    nothing is left: data·inclusion reads that as "not stated".
    """
    zone: dict[str, None] = {}  # ordered set
    for code in codes:
        if code == "fr":
            return ["france"]
        level, _, local = code.partition(":")
        if level == "reg":
            try:
                departements = territories.departements(code)
            except TerritoryError:
                continue  # an unknown région: nothing honest to write
            zone.update((d.removeprefix("dep:"), None) for d in departements)
        elif level in ("dep", "com", "epci"):
            zone[local] = None
    return list(zone) or None


def to_datainclusion(
    bundle: Bundle,
    *,
    source: str | None = None,
    territories: Territories | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The actors and offers of ``bundle`` as data·inclusion v1 structures and services.

    The bundle should already be filtered for its audience (pmae's core does it before an
    exporter runs). Left out: actors (and their offers) whose name has fewer than 3
    characters, and offers that ended before the bundle's date.

    :param source: data·inclusion's ``source``; the bundle's source slug by default.
    :param territories: to expand régions; pmae's INSEE referential by default.
    :param vocabularies: for French labels in generated text; pmae's own by default.
    :raises ExportError: ``source`` is not a slug, or the bundle's date is outside the range
        data·inclusion accepts for ``date_maj`` (2000-01-01 to today).
    """
    source = source or bundle.source.slug
    if not _SOURCE.match(source):
        raise ExportError(f"data·inclusion source {source!r} must be lower-case letters, digits "
                         "and dashes (like a pmae network slug)")
    date_maj = bundle.generated_at.date()
    if not _OLDEST_DATE_MAJ <= date_maj <= dt.date.today():
        raise ExportError(f"the bundle's date {date_maj.isoformat()} cannot be data·inclusion's "
                         "date_maj: it must be between 2000-01-01 and today")
    territories = territories or core_territories()
    vocabularies = vocabularies or core_vocabularies()
    builder = _Builder(source=source, date_maj=date_maj, territories=territories,
                       vocabularies=vocabularies)
    structures: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for actor in bundle.actors:
        structure = builder.structure(actor)
        if structure is not None:
            structures.append(structure)
            names[actor.id] = structure["nom"]
    services = [service for offer in bundle.offers if offer.actor in names
                if (service := builder.service(offer, names[offer.actor])) is not None]
    return {"structures": structures, "services": services}


#: The exporter's options: pmae lists them (``pmae plugins``) and checks them before it runs.
EXPORT_OPTIONS: Final = (
    Option(name="source", help="the data·inclusion source name (default: the bundle's source "
                               "slug)"),
)


def export_datainclusion(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """The ``datainclusion`` exporter: one JSON document, ``{"structures", "services"}``.

    Option ``source`` (:data:`EXPORT_OPTIONS`): the data·inclusion source name (default: the
    bundle's source slug).
    """
    territories = context.territories if isinstance(context.territories, Territories) else None
    document = to_datainclusion(bundle, source=context.options.get("source"),
                                territories=territories,
                                vocabularies=context.vocabularies or None)
    stream.write(dumps_json(document))


@hookimpl
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``datainclusion``: actors and offers as data·inclusion v1 structures and services."""
    register(Exporter(
        name=EXPORTER_NAME, title="data·inclusion v1 (structures et services)",
        export=export_datainclusion, suffix=".json", options=EXPORT_OPTIONS,
        description="Actors and offers as data·inclusion structures and services, one JSON "
                    "document."))


@hookimpl
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """``datainclusion``: data·inclusion v1 structures and services as actors and offers."""
    register(Importer(
        name=EXPORTER_NAME, title="data·inclusion v1 (structures et services)",
        read=read_datainclusion, options=IMPORT_OPTIONS,
        description="data·inclusion structures and services (one JSON document, an API page, "
                    "an array, or a folder with structures.json and services.json) as actors "
                    "and offers; what has no place in pmae is reported as warnings."))


class _Builder:
    """Turns records into data·inclusion dictionaries for one export (source, date, labels)."""

    def __init__(self, *, source: str, date_maj: dt.date, territories: Territories,
                 vocabularies: Mapping[str, Vocabulary]) -> None:
        self.source = source
        self.date_maj = date_maj
        self.territories = territories
        self.vocabularies = vocabularies

    def label(self, vocabulary: str, code: str) -> str:
        found = self.vocabularies.get(vocabulary)
        return found.label(code, "fr") if found is not None else code

    def structure(self, actor: Actor) -> dict[str, Any] | None:
        nom = _name(actor.name)
        if nom is None:
            return None
        commune = actor.commune
        values: dict[str, Any] = {
            "source": self.source,
            "id": di_id(self.source, actor.id),
            "nom": nom,
            "date_maj": self.date_maj.isoformat(),
            "description": _text(actor.description),
            "siret": actor.siret,
            "commune": self.territories.name(commune) if commune else None,
            "code_insee": commune.removeprefix("com:") if commune else None,
            "adresse": _clean(actor.address),
            "telephone": _phone(actor.phone),
            "courriel": actor.email,
            "site_web": actor.website,
            "reseaux_porteurs": _networks(actor) or None,
        }
        return {name: values[name] for name in STRUCTURE_FIELDS}

    def service(self, offer: Offer, structure_name: str) -> dict[str, Any] | None:
        if offer.valid_until is not None and offer.valid_until < self.date_maj:
            return None  # over: data·inclusion v1 has no end date to say so
        nom = _name(offer.title)
        if nom is None:
            return None
        cost = offer.cost
        values: dict[str, Any] = {
            "source": self.source,
            "structure_id": di_id(self.source, offer.actor),
            "id": di_id(self.source, offer.id),
            "nom": nom,
            "description": _text(offer.description) or self.describe(offer, nom, structure_name),
            "lien_source": offer.url,
            "date_maj": self.date_maj.isoformat(),
            "type": _service_type(offer),
            "thematiques": _unique(c for t in offer.themes for c in mapping.THEMES.get(t, ()))
            or None,
            "frais": mapping.COSTS.get(cost) if cost else None,
            "frais_precisions": self.cost_details(cost),
            "publics": list(mapping.PUBLICS) or None,
            "publics_precisions": self.audience(offer),
            "modes_accueil": list(mapping.DELIVERY_MODES.get(offer.delivery, ()))
            if offer.delivery else None,
            "zone_eligibilite": zone_eligibilite(offer.territories, self.territories),
        }
        return {name: values[name] for name in SERVICE_FIELDS}

    def describe(self, offer: Offer, nom: str, structure_name: str) -> str:
        """A description from the offer's codes, for offers without one (it is required)."""
        parts = [f"{nom}.", f"Offre de {structure_name}."]
        if offer.themes:
            parts.append("Thèmes : " + ", ".join(self.label("themes", t) for t in offer.themes)
                         + ".")
        if offer.stages:
            parts.append("Étapes : " + ", ".join(self.label("stages", s) for s in offer.stages)
                         + ".")
        return _text(" ".join(parts)) or nom

    def cost_details(self, cost: str | None) -> str | None:
        if cost not in mapping.COSTS_WITH_DETAILS:
            return None
        term = self.vocabularies["costs"].get(cost) if "costs" in self.vocabularies else None
        return (term.description_fr or term.label_fr) if term is not None else cost

    def audience(self, offer: Offer) -> str:
        """``publics_precisions``: associations, with the size bands and sectors as text."""
        details = []
        if offer.size_bands:
            details.append("effectif salarié : " + ", ".join(
                self.label("size_bands", b) for b in offer.size_bands))
        if offer.sectors:
            details.append("secteurs : " + ", ".join(
                self.label("sectors", s) for s in offer.sectors))
        return "Associations" + (f" ({' ; '.join(details)})" if details else "") + "."


def _service_type(offer: Offer) -> str | None:
    stages = [s for s in mapping.STAGE_ORDER if s in offer.stages]
    if not stages:
        return None
    kind = mapping.STAGE_TYPES[stages[-1]]
    if offer.formats == ("collectif",):
        kind = mapping.COLLECTIVE_TYPES.get(kind, kind)
    return kind


def _networks(actor: Actor) -> list[str]:
    codes = list(mapping.ACTOR_TYPES.get(actor.actor_type, ()))
    levels = {code.partition(":")[0] for code in actor.territories}
    if len(levels) == 1:
        (level,) = levels
        network = mapping.TERRITORIAL_ACTOR_TYPES.get((actor.actor_type, level))
        if network is not None:
            codes.append(network)
    codes.extend(c for label in actor.labels for c in mapping.LABELS.get(label, ()))
    return _unique(codes)


def _unique(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(text.split()) or None


def _name(text: str) -> str | None:
    """``nom``: 3 to 150 characters, not ending with a full stop (unless "etc.")."""
    name = _clean(text) or ""
    while name.endswith(".") and not name.endswith("etc."):
        name = name[:-1].rstrip()
    if len(name) > _NAME_MAX:
        name = _shorten(name, _NAME_MAX)
    return name if len(name) >= _NAME_MIN else None


def _text(text: str | None) -> str | None:
    """A description: 5 to 10,000 characters, or nothing."""
    if text is None:
        return None
    text = text.strip()
    if len(text) > _TEXT_MAX:
        return _shorten(text, _TEXT_MAX)
    return text if len(text) >= _TEXT_MIN else None


def _shorten(text: str, limit: int) -> str:
    # Cut at a word boundary and say so with an ellipsis (never a full stop, for ``nom``).
    cut = text[:limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def _phone(phone: str | None) -> str | None:
    """A French 10-digit number in E.164 (data·inclusion's preference); others as they are."""
    if phone is None:
        return None
    digits = re.sub(r"[\s.\-]", "", phone)
    if re.fullmatch(r"0[1-9][0-9]{8}", digits):
        return "+33" + digits[1:]
    return _clean(phone)
