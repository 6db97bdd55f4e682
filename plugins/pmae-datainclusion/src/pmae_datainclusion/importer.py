"""data·inclusion structures and services as pmae actors and offers: the export, reversed.

``pmae import datainclusion di.json -o bundle.json`` reads what the ``datainclusion`` exporter
writes, and data·inclusion's own releases, into a bundle that pmae then validates like any
other. Each value goes back through the inverse of the export's tables (:mod:`.mapping`); what
has no place in pmae is reported as a warning with the file and JSON path of the value, and the
import goes on without it.

Losses go to pmae's warning channel (``context.warn``), each with the JSON path of the value
in the source; ``pmae import`` shows them counted, named after the plugin. A record that cannot
be imported at all is an ``error`` issue and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pmae.identifiers import siret_ok
from pmae.issues import Issue
from pmae.model import FORMAT_VERSION
from pmae.plugins import ImportContext, ImportResult, Option
from pmae.sessions import session as current_session

from pmae_datainclusion import mapping
from pmae_datainclusion.describe import Labels
from pmae_datainclusion.reading import (
    SERVICE_FIELDS,
    SERVICE_LOSSES,
    STRUCTURE_FIELDS,
    STRUCTURE_LOSSES,
    InputError,
    Located,
    codes,
    lost,
    read_records,
    text,
)
from pmae_datainclusion.zones import territories_from_zone

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["from_datainclusion", "read_datainclusion"]

ID_SEPARATOR: Final = "--"
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_PMAE_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?:[A-Za-z0-9][A-Za-z0-9._~-]*$")
_LOCAL_CHARACTER = re.compile(r"[^A-Za-z0-9._-]")
_COMMUNE = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{5,24}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/]+")

def read_datainclusion(path: Path, options: Mapping[str, str],
                       context: ImportContext) -> ImportResult:
    """The ``datainclusion`` importer: a JSON file, or a folder with ``structures.json`` and
    ``services.json``. Options (:data:`IMPORT_OPTIONS`, checked by pmae): ``source`` (the
    bundle's source slug), ``name`` (its name).

    It reads with the run's session (``context.session``: the plugins loaded, as ``pmae
    import`` validates with) and reports what has no place in pmae with ``context.warn``.
    """
    try:
        structures, services = read_records(path)
    except InputError as error:
        return ImportResult(document=None, issues=(error.issue,))
    return from_datainclusion(structures, services, source=options.get("source"),
                              name=options.get("name"), session=context.session,
                              context=context)


#: The importer's options: pmae lists them (``pmae plugins``) and checks them before it runs.
IMPORT_OPTIONS: Final = (
    Option(name="source", help="the bundle's source slug (default: the records' own source, "
                               "when they all have the same one)"),
    Option(name="name", help="the bundle's source name (default: data·inclusion (<source>))"),
)


def from_datainclusion(structures: list[Located], services: list[Located], *,
                       source: str | None = None, name: str | None = None,
                       session: Session | None = None,
                       context: ImportContext | None = None) -> ImportResult:
    """A bundle document from data·inclusion records, with the issues of the import.

    :param source: the bundle's source slug; by default the records' own ``source`` when they
        all have the same one.
    :param name: the bundle's source name (default: ``data·inclusion (<source>)``).
    :param session: vocabularies (labels to read back) and territories (régions to rebuild);
        :func:`pmae.session` by default.
    :param context: where the values pmae has no place for are reported (``context.warn``,
        with the JSON path of the value in the source); without one, they are
        ``datainclusion:lost`` issues, as before the warning channel existed.
    """
    s = current_session(session)
    importer = _Importer(s)
    actors = [a for located in structures if (a := importer.actor(located)) is not None]
    offers = [o for located in services if (o := importer.offer(located)) is not None]
    for message, where in importer.losses:
        if context is not None:
            context.warn(message, record=where)
        else:
            file, _, path = where.rpartition(":$")
            importer.issues.append(Issue(code="datainclusion:lost", severity="info",
                                         file=file, path=f"${path}", message=message))
    issues = importer.issues
    if any(i.severity == "error" for i in issues):
        return ImportResult(document=None, issues=tuple(issues))
    slug = source or importer.single_source()
    if slug is None or not _SLUG.match(slug):
        issues.append(Issue(
            code="datainclusion:no-source",
            message=f"the bundle's source slug {slug!r} is not valid" if slug else
            "the records come from several data·inclusion sources (or none)",
            hint="give the bundle's source with --option source=SLUG (lower-case letters, "
                 "digits and dashes)"))
        return ImportResult(document=None, issues=tuple(issues))
    generated = importer.latest or dt.date.today()
    generated_at = dt.datetime.combine(generated, dt.time(), dt.UTC).isoformat()
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "source": {"slug": slug, "name": name or f"data·inclusion ({slug})"},
        "generated_at": generated_at,
    }
    # Records of other sources keep their ids; the provenance says where they come from.
    others = Counter(r["id"].partition(":")[0] for r in (*actors, *offers))
    del others[slug]
    if others:
        document["provenance"] = [
            {"source": {"slug": other, "name": f"data·inclusion ({other})"},
             "generated_at": generated_at, "records": count}
            for other, count in sorted(others.items())]
    document["actors"] = actors
    document["offers"] = offers
    places = {**{f"$.actors[{i}]": p for i, p in enumerate(importer.actor_places)},
              **{f"$.offers[{i}]": p for i, p in enumerate(importer.offer_places)}}

    def locate(json_path: str) -> tuple[str | None, int | None, str | None] | None:
        match = re.match(r"^\$\.(?:actors|offers)\[\d+\]", json_path)
        place = places.get(match[0]) if match else None
        return (place.file, None, place.path) if place else None

    return ImportResult(document=document, issues=tuple(issues), locate=locate)


def pmae_id_of(di_source: str, identifier: str) -> str:
    """The pmae id of a data·inclusion id: the pmae id the export put there, or else
    ``<source>:<local>`` with the characters pmae ids do not allow written ``~XX``."""
    prefix = f"{di_source}{ID_SEPARATOR}"
    rest = identifier.removeprefix(prefix)
    if _PMAE_ID.match(rest):
        return rest
    local = _LOCAL_CHARACTER.sub(
        lambda m: "".join(f"~{byte:02X}" for byte in m[0].encode()), rest)
    if not local[:1].isalnum():
        local = "id" + local
    return f"{di_source}:{local}"


class _Importer:
    """The state of one import: issues, sources and dates seen, structures' ids and names."""

    def __init__(self, session: Session) -> None:
        self.territories = session.territories
        self.labels = Labels(session.vocabularies)
        self.issues: list[Issue] = []
        #: What has no place in pmae: (message, JSON path in the source), see reading.lost.
        self.losses: list[tuple[str, str]] = []
        self.sources: set[str] = set()
        self.latest: dt.date | None = None
        self.structures: dict[str, tuple[str, str]] = {}  # data·inclusion id -> pmae id, nom
        self.actor_places: list[Located] = []
        self.offer_places: list[Located] = []
        self.seen: set[str] = set()

    def single_source(self) -> str | None:
        return next(iter(self.sources)) if len(self.sources) == 1 else None

    def identify(self, located: Located) -> tuple[str, str, str] | None:
        """The record's data·inclusion source, id and pmae id (``None``: an error reported)."""
        di_source = text(located, "source", self.issues, required=True)
        identifier = text(located, "id", self.issues, required=True)
        if di_source is None or identifier is None:
            return None
        if not _SLUG.match(di_source):
            self.issues.append(Issue(code="invalid-format", file=located.file,
                                     path=f"{located.path}.source",
                                     message=f"source {di_source!r} is not a slug"))
            return None
        self.sources.add(di_source)
        pmae_id = pmae_id_of(di_source, identifier)
        if pmae_id in self.seen:
            self.issues.append(Issue(code="duplicate-id", file=located.file,
                                     path=f"{located.path}.id",
                                     message=f"id {identifier!r} appears twice"))
            return None
        self.seen.add(pmae_id)
        self.date(located)
        return di_source, identifier, pmae_id

    def date(self, located: Located) -> None:
        value = text(located, "date_maj", self.issues)
        try:
            day = dt.date.fromisoformat(value) if value else None
        except ValueError:
            day = None
            lost(located, "date_maj", f"{value!r} is not a date", self.losses)
        if day is not None and (self.latest is None or day > self.latest):
            self.latest = day

    def actor(self, located: Located) -> dict[str, Any] | None:
        identity = self.identify(located)
        nom = text(located, "nom", self.issues, required=True)
        if identity is None or nom is None:
            return None
        _, identifier, pmae_id = identity
        self.structures[identifier] = (pmae_id, nom)
        actor: dict[str, Any] = {"id": pmae_id, "name": nom, "actor_type": "autre"}
        if description := text(located, "description", self.issues):
            actor["description"] = description
        code_insee = text(located, "code_insee", self.issues)
        commune = f"com:{code_insee}" if code_insee and _COMMUNE.match(code_insee) else None
        if commune and not self.territories.exists(commune):
            commune = None
        if code_insee and commune is None:
            lost(located, "code_insee", f"{code_insee!r} is not a commune code", self.losses)
        self.networks(located, actor, commune)
        if commune:
            actor["commune"] = commune
        address = ", ".join(filter(None, (text(located, "adresse", self.issues),
                                          text(located, "complement_adresse", self.issues))))
        if address:
            actor["address"] = " ".join(address.split())[:500]
        postcode = text(located, "code_postal", self.issues)
        if postcode and postcode not in address:
            lost(located, "code_postal", "pmae keeps the commune code, not the postcode",
                 self.losses)
        siret = text(located, "siret", self.issues)
        if siret and not (siret.isdigit() and len(siret) == 14 and siret_ok(siret)):
            lost(located, "siret", f"{siret!r} is not a valid SIRET (check digit)",
                 self.losses)
        elif siret:
            actor["siret"] = siret
        self.contact(located, actor, "site_web", "website", _URL)
        self.contact(located, actor, "courriel", "email", _EMAIL)
        self.contact(located, actor, "telephone", "phone", _PHONE)
        for field, why in STRUCTURE_LOSSES.items():
            if located.record.get(field) not in (None, ""):
                lost(located, field, why, self.losses)
        self.unknown(located, STRUCTURE_FIELDS)
        self.actor_places.append(located)
        return actor

    def unknown(self, located: Located, fields: frozenset[str]) -> None:
        for field in located.record:
            if field not in fields and located.record[field] not in (None, "", []):
                lost(located, field, "not a field of data·inclusion v1", self.losses)

    def contact(self, located: Located, record: dict[str, Any], field: str, target: str,
                pattern: re.Pattern[str]) -> None:
        value = text(located, field, self.issues)
        if value and pattern.match(value):
            record[target] = value
        elif value:
            lost(located, field, f"{value!r} is not in a form pmae accepts", self.losses)

    def networks(self, located: Located, actor: dict[str, Any], commune: str | None) -> None:
        labels: list[str] = []
        for network in codes(located, "reseaux_porteurs", self.issues):
            found = mapping.NETWORKS_FROM.get(network)
            if found is None:
                lost(located, "reseaux_porteurs", f"network {network!r} has no pmae "
                     "counterpart", self.losses)
                continue
            actor_type, label, level = found
            if label:
                labels.append(label)
            if actor_type:
                actor["actor_type"] = actor_type
            if level and commune:
                # The authority governs the territory of that level around its seat.
                actor["territories"] = [self.seat(commune, level)]
        if labels:
            actor["labels"] = list(dict.fromkeys(labels))

    def seat(self, commune: str, level: str) -> str:
        """The territory of ``level`` (``com``, ``dep`` or current ``reg``) of a commune."""
        if level == "com":
            return commune
        (departement,) = self.territories.departements(commune)
        if level == "dep":
            return departement
        return next((r for r in self.territories.regions()
                     if departement in self.territories.departements(r)), departement)

    def offer(self, located: Located) -> dict[str, Any] | None:
        identity = self.identify(located)
        nom = text(located, "nom", self.issues, required=True)
        structure_id = text(located, "structure_id", self.issues, required=True)
        if identity is None or nom is None or structure_id is None:
            return None
        if structure_id not in self.structures:
            self.issues.append(Issue(
                code="datainclusion:skipped", severity="warning", file=located.file,
                path=f"{located.path}.structure_id",
                message=f"structure {structure_id!r} is not in the import: service skipped",
                hint="import the structures with their services"))
            return None
        actor_id, structure_nom = self.structures[structure_id]
        offer: dict[str, Any] = {"id": identity[2], "actor": actor_id, "title": nom}
        themes, stages, formats = self.kinds(located, offer)
        description = text(located, "description", self.issues, required=True)
        generated = self.labels.generated(description, nom, structure_nom)
        if generated is not None:
            # The export wrote it for an offer without description: all its themes and
            # stages are in it (the export's tables keep only some), in their order.
            themes, stages = generated
        elif description:
            offer["description"] = description
        for field, values in (("themes", themes), ("stages", stages), ("formats", formats)):
            if values:
                offer[field] = values
        if zone := codes(located, "zone_eligibilite", self.issues):
            territories, unknown = territories_from_zone(zone, self.territories)
            for code in unknown:
                lost(located, "zone_eligibilite", f"{code!r} is not a territory pmae knows",
                     self.losses)
            if territories:
                offer["territories"] = territories
        self.audience(located, offer)
        self.conditions(located, offer)
        self.contact(located, offer, "lien_source", "url", _URL)
        for field, why in SERVICE_LOSSES.items():
            if located.record.get(field) not in (None, "", []):
                lost(located, field, why, self.losses)
        self.unknown(located, SERVICE_FIELDS)
        self.offer_places.append(located)
        return offer

    def kinds(self, located: Located,
              offer: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
        themes: list[str] = []
        for code in codes(located, "thematiques", self.issues):
            theme = mapping.THEMES_FROM.get(code)
            if theme is None:
                lost(located, "thematiques", f"{code!r} has no pmae theme", self.losses)
            elif theme not in themes:
                themes.append(theme)
        kind = text(located, "type", self.issues)
        stages: tuple[str, ...] = ()
        formats: tuple[str, ...] = ()
        if kind is not None and kind in mapping.TYPES_FROM:
            stages, formats = mapping.TYPES_FROM[kind]
        elif kind:
            lost(located, "type", f"{kind!r} has no pmae stage", self.losses)
        return themes, list(stages), list(formats)

    def audience(self, located: Located, offer: dict[str, Any]) -> None:
        if codes(located, "publics", self.issues):
            lost(located, "publics", "pmae offers are for associations, not for people",
                 self.losses)
        details = text(located, "publics_precisions", self.issues)
        parsed = self.labels.audience(details) if details else None
        if parsed is not None:
            offer.update({key: value for key, value in parsed.items() if value})
        elif details:
            lost(located, "publics_precisions", "only the export's own wording is read back "
                 "(size bands and sectors)", self.losses)

    def conditions(self, located: Located, offer: dict[str, Any]) -> None:
        modes = frozenset(codes(located, "modes_accueil", self.issues))
        if modes and (delivery := mapping.DELIVERY_MODES_FROM.get(modes)):
            offer["delivery"] = delivery
        elif modes:
            lost(located, "modes_accueil", f"{sorted(modes)} has no pmae delivery mode",
                 self.losses)
        frais = text(located, "frais", self.issues)
        details = text(located, "frais_precisions", self.issues)
        if frais == "gratuit" and details and details == self.labels.conditional_cost():
            offer["cost"] = "sous_conditions"
            return
        if frais is not None and frais in mapping.COSTS_FROM:
            offer["cost"] = mapping.COSTS_FROM[frais]
        elif frais:
            lost(located, "frais", f"{frais!r} has no pmae cost", self.losses)
        if details:
            lost(located, "frais_precisions", "pmae keeps the cost as a code", self.losses)
