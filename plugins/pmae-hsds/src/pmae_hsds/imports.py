"""An HSDS 3.0 dataset (any form) into pmae actors and offers, with every loss reported.

Organizations become actors and services offers. What the export wrote comes back exactly (the
pmae ids, codes through the taxonomies, territories through their COG URIs); what an HSDS
dataset holds that pmae has no field for is reported, one warning per kind of loss with how
many records it touches: :func:`to_document` returns them, and the importer hands them to
pmae's warning channel (``context.warn``), which ``pmae import`` shows counted and named after
the plugin.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Final

from pmae.issues import Issue
from pmae.model.bundle import FORMAT_VERSION

from pmae_hsds import taxonomies
from pmae_hsds.export import COMMUNE_IDENTIFIER_TYPE
from pmae_hsds.forms import Lookup, Tables
from pmae_hsds.ids import (
    FIELDS_TAXONOMY,
    PMAE_ID_TYPE,
    SIRET_SCHEME,
    territory_code,
    vocabulary_of,
)

__all__ = ["to_document"]

#: The issue code of every loss.

#: Properties of each HSDS object the import reads (or that only link objects together).
#: Any other property with a value is reported as lost; so is every object of another type.
READ: Final[Mapping[str, frozenset[str]]] = {
    name: frozenset(fields.split()) for name, fields in {
        "organization": "id name description email website",
        "organization_identifier": "id organization_id identifier_scheme identifier_type "
                                   "identifier",
        "location": "id organization_id location_type name external_identifier "
                    "external_identifier_type description",
        "address": "id location_id address_1 city state_province postal_code country "
                   "address_type",
        "phone": "id organization_id contact_id number",
        "contact": "id organization_id name title email",
        "service": "id organization_id name description url status fees_description "
                   "last_modified",
        "schedule": "id service_id valid_from valid_to description",
        "service_area": "id service_id name uri",
        "cost_option": "id service_id option currency amount valid_from valid_to",
        "attribute": "id link_id link_type link_entity taxonomy_term_id value",
        "taxonomy": "id name description uri version",
        "taxonomy_term": "id code name description parent_id taxonomy language taxonomy_id "
                         "term_uri",
    }.items()
}
#: Properties the import reads but rebuilds from others when it writes pmae's own export back
#: (a schedule's sentence from its dates, a service area's name from its territory…): in a
#: dataset pmae did not write they may say more, so there they are reported as lost.
DERIVED: Final[Mapping[str, frozenset[str]]] = {
    name: frozenset(fields.split()) for name, fields in {
        "location": "name location_type",
        "address": "city state_province postal_code country address_type",
        "service": "status fees_description last_modified",
        "schedule": "description",
        "service_area": "name",
        "cost_option": "option currency valid_from valid_to",
    }.items()
}
_PMAE_ID = re.compile(r"^([a-z0-9][a-z0-9-]*):[A-Za-z0-9][A-Za-z0-9._~-]*$")
_FIELDS = {**dict(taxonomies.SERVICE_CODES), **dict(taxonomies.ORGANIZATION_CODES)}
_SINGLE = frozenset({"actor_type", "delivery", "cost"})


def to_document(tables: Tables, *, file: str, options: Mapping[str, str],
                descriptor: Mapping[str, Any]) -> tuple[dict[str, Any], list[Issue], list[str]]:
    """A pmae bundle document from HSDS tables, the issues of the import, and the warnings
    saying what was lost (one per kind, with how many times)."""
    reader = _Reader(tables, file=file)
    document = reader.document(options, descriptor)
    return document, reader.notes, reader.losses()


class _Reader:
    def __init__(self, tables: Tables, *, file: str) -> None:
        self.tables = tables
        self.file = file
        self.lost: collections.Counter[tuple[str, str]] = collections.Counter()
        self.notes: list[Issue] = []
        self.visibility = "public"
        self.lookup = Lookup(tables)
        self.by_id = {name: {r["id"]: r for r in rows if "id" in r}
                      for name, rows in tables.items()}

    # -- helpers ----------------------------------------------------------------------------
    def lose(self, where: str, what: str, count: int = 1) -> None:
        self.lost[(where, what)] += count

    def rows(self, name: str, key: str, value: Any) -> list[dict[str, Any]]:
        return self.lookup.where(name, key, value)

    def coded(self, entity: str, link_id: str) -> dict[str, list[str]]:
        """``pmae field -> codes or values`` from the attributes of one object."""
        found: dict[str, list[str]] = collections.defaultdict(list)
        for attribute in self.rows("attribute", "link_id", link_id):
            if attribute.get("link_entity", entity) != entity:
                continue
            term = self.by_id.get("taxonomy_term", {}).get(attribute.get("taxonomy_term_id"))
            vocabulary = self.vocabulary(term) if term else None
            code = term.get("code") if term else None
            if vocabulary == FIELDS_TAXONOMY and code in taxonomies.FIELD_TERMS \
                    and attribute.get("value"):
                found[str(code)].append(str(attribute["value"]))
            elif vocabulary in _FIELDS.values() and code:
                field = next(f for f, v in _FIELDS.items() if v == vocabulary)
                found[field].append(str(code))
            else:
                name = (term or {}).get("name") or attribute.get("link_type") or "?"
                self.lose(f"{entity}.attributes", f"attributes of a taxonomy pmae does not "
                          f"publish ({name})")
        return found

    def vocabulary(self, term: Mapping[str, Any]) -> str | None:
        taxonomy = self.by_id.get("taxonomy", {}).get(term.get("taxonomy_id"), {})
        for uri in (taxonomy.get("uri"), term.get("taxonomy"),
                    str(term.get("term_uri") or "").partition("#")[0]):
            found = vocabulary_of(uri)
            if found is not None:
                return found
        return None

    def single(self, values: dict[str, list[str]], field: str, where: str) -> str | None:
        codes = values.get(field, [])
        if len(codes) > 1:
            self.lose(where, f"{field}: every value but the first (pmae has one)")
        return codes[0] if codes else None

    # -- records ----------------------------------------------------------------------------
    def actor(self, row: Mapping[str, Any], source: str) -> dict[str, Any]:
        oid = row.get("id")
        identifiers = self.rows("organization_identifier", "organization_id", oid)
        pmae_id = next((i.get("identifier") for i in identifiers
                        if i.get("identifier_type") == PMAE_ID_TYPE), None)
        siret = next((i.get("identifier") for i in identifiers
                      if i.get("identifier_scheme") == SIRET_SCHEME), None)
        others = [i for i in identifiers if i.get("identifier_type") != PMAE_ID_TYPE
                  and i.get("identifier_scheme") != SIRET_SCHEME]
        if others:
            self.lose("organization_identifiers", "identifiers other than SIRET", len(others))
        values = self.coded("organization", str(oid))
        actor: dict[str, Any] = {"id": pmae_id or f"{source}:hsds-{oid}",
                                 "name": row.get("name")}
        actor_type = self.single(values, "actor_type", "organization.attributes")
        if actor_type is None:
            self.lose("organizations", "no actor type (pmae's 'autre' is given)")
        actor["actor_type"] = actor_type or "autre"
        if row.get("description") and "description" not in values.get("generated", []):
            actor["description"] = row["description"]
        for field in ("labels", "networks", "territories"):
            if values.get(field):
                actor[field] = values[field]
        self.place(actor, self.rows("location", "organization_id", oid))
        phones = [p for p in self.rows("phone", "organization_id", oid) if "contact_id" not in p]
        actor.update({k: v for k, v in (("siret", siret), ("website", row.get("website")),
                                        ("email", row.get("email"))) if v})
        if phones:
            actor["phone"] = phones[0].get("number")
            if len(phones) > 1:
                self.lose("organizations.phones", "phones but the first", len(phones) - 1)
        contacts = [self.person(c) for c in self.rows("contact", "organization_id", oid)]
        if contacts:
            actor["contacts"] = contacts
        return actor

    def place(self, actor: dict[str, Any], locations: list[dict[str, Any]]) -> None:
        if not locations:
            return
        if len(locations) > 1:
            self.lose("organizations.locations", "locations but the first", len(locations) - 1)
        location = locations[0]
        if location.get("external_identifier_type") == COMMUNE_IDENTIFIER_TYPE:
            actor["commune"] = f"com:{location.get('external_identifier')}"
        elif location.get("external_identifier"):
            self.lose("locations.external_identifier", "identifiers of a place other than "
                      "an INSEE commune code")
        addresses = self.rows("address", "location_id", location.get("id"))
        if addresses:
            actor["address"] = addresses[0].get("address_1")
            if len(addresses) > 1:
                self.lose("locations.addresses", "addresses but the first", len(addresses) - 1)
        elif location.get("description"):
            actor["address"] = location["description"]

    def person(self, contact: Mapping[str, Any]) -> dict[str, Any]:
        phones = self.rows("phone", "contact_id", contact.get("id"))
        person = {k: v for k, v in (("name", contact.get("name")), ("role", contact.get("title")),
                                    ("email", contact.get("email")),
                                    ("phone", phones[0].get("number") if phones else None)) if v}
        if len(phones) > 1:
            self.lose("contacts.phones", "phones but the first", len(phones) - 1)
        if "name" not in person:
            self.lose("contacts", "contacts without a name (pmae needs one)")
        return person

    def offer(self, row: Mapping[str, Any], source: str,
              actors: Mapping[str, str]) -> dict[str, Any] | None:
        sid = row.get("id")
        actor = actors.get(str(row.get("organization_id")))
        if actor is None:
            self.lose("services", "services of no organization in the dataset (pmae needs "
                      "the actor)")
            return None
        values = self.coded("service", str(sid))
        ids = values.get("id", [])
        offer: dict[str, Any] = {"id": ids[0] if ids else f"{source}:hsds-{sid}",
                                 "actor": actor, "title": row.get("name")}
        generated = values.get("generated", [])
        if row.get("description") and "description" not in generated:
            offer["description"] = row["description"]
        for field, _ in taxonomies.SERVICE_CODES:
            if field in _SINGLE:
                code = self.single(values, field, "service.attributes")
                if code:
                    offer[field] = code
            elif values.get(field):
                offer[field] = values[field]
        if "service_areas" not in generated:
            areas = self.rows("service_area", "service_id", sid)
            codes = [territory_code(a.get("uri")) for a in areas]
            if None in codes:
                self.lose("service_areas", "areas without a COG or pmae URI",
                          codes.count(None))
            if any(codes):
                offer["territories"] = list(dict.fromkeys(c for c in codes if c))
        self.validity(offer, row, self.rows("schedule", "service_id", sid))
        if "cost" not in offer:
            self.cost(offer, self.rows("cost_option", "service_id", sid))
        if row.get("url"):
            offer["url"] = row["url"]
        return offer

    def validity(self, offer: dict[str, Any], row: Mapping[str, Any],
                 schedules: list[dict[str, Any]]) -> None:
        dated = [s for s in schedules if s.get("valid_from") or s.get("valid_to")]
        if len(schedules) > 1:
            self.lose("services.schedules", "schedules but the first", len(schedules) - 1)
        if dated:
            for field, key in (("valid_from", "valid_from"), ("valid_until", "valid_to")):
                value = _date(dated[0].get(key))
                if value:
                    offer[field] = value
                elif dated[0].get(key):
                    self.lose("schedules", f"{key} that is not a date")
        elif row.get("status") not in (None, "active"):
            self.lose("services.status", "a status other than active without validity dates")

    def cost(self, offer: dict[str, Any], options: list[dict[str, Any]]) -> None:
        amounts = [o.get("amount") for o in options]
        if not options:
            return
        if all(a == 0 for a in amounts):
            offer["cost"] = "gratuit"
        elif all(isinstance(a, (int, float)) and a > 0 for a in amounts):
            offer["cost"] = "payant"
            self.lose("cost_options.amount", "amounts (pmae says 'payant', not how much)",
                      len(options))
        else:
            self.lose("services.cost_options", "cost options pmae cannot tell free or paid")

    # -- the whole ----------------------------------------------------------------------------
    def document(self, options: Mapping[str, str],
                 descriptor: Mapping[str, Any]) -> dict[str, Any]:
        source = options.get("source") or self.guess_source()
        visibility = options.get("visibility", "public")
        actors = []
        uuids: dict[str, str] = {}
        for row in self.tables.get("organization", ()):
            actor = self.actor(row, source)
            uuids[str(row.get("id"))] = actor["id"]
            actors.append({**actor, "visibility": visibility})
        offers = []
        for row in self.tables.get("service", ()):
            offer = self.offer(row, source, uuids)
            if offer is not None:
                offers.append({**offer, "visibility": visibility})
        self.unread()
        self.visibility = visibility
        modified = sorted(str(r["last_modified"]) for r in self.tables.get("service", ())
                          if r.get("last_modified"))
        generated_at = (modified[-1] if modified else str(descriptor.get("created") or "")
                        or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        name = options.get("name") or str(descriptor.get("title") or "") or source
        return {"format_version": FORMAT_VERSION,
                "source": {"slug": source, "name": name},
                "generated_at": generated_at, "actors": actors, "offers": offers}

    def guess_source(self) -> str:
        prefixes = collections.Counter(
            match.group(1) for row in self.tables.get("organization_identifier", ())
            if row.get("identifier_type") == PMAE_ID_TYPE
            and (match := _PMAE_ID.match(str(row.get("identifier")))) is not None)
        return prefixes.most_common(1)[0][0] if prefixes else "hsds"

    def unread(self) -> None:
        from_pmae = any(vocabulary_of(t.get("uri")) for t in self.tables.get("taxonomy", ()))
        for name, rows in self.tables.items():
            if name not in READ:
                self.lose(f"{name} objects", f"every {name} (pmae has no place for it)",
                          len(rows))
                continue
            read = READ[name] if from_pmae else READ[name] - DERIVED.get(name, frozenset())
            for row in rows:
                for key, value in row.items():
                    if key not in read and value not in (None, "", []):
                        self.lose(f"{name}.{key}", f"{name} {key} (pmae has no field for it)")

    def losses(self) -> list[str]:
        found = [f"not imported: {what} ({count}×, at {where})"
                 for (where, what), count in sorted(self.lost.items())]
        return [*found, f"HSDS has no visibility: every record is imported as "
                        f"'{self.visibility}' (--option visibility=network to change it)"]


def _date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None

