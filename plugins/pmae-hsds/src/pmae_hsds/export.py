"""pmae actors and offers as HSDS 3.0 organizations and services (the JSON objects).

:func:`to_hsds` returns a :class:`Dataset`: the organizations and services, each with its own
objects nested (identifiers, locations, contacts, phones, service areas, schedules, cost options,
attributes), and the taxonomies and terms the attributes point to. :mod:`pmae_hsds.forms` lays
it out as files. Every id is a uuid5 of the pmae id (:func:`pmae_hsds.ids.hsds_id`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import attrs
from pmae.model import Actor, Bundle, Offer, Person
from pmae.plugins import ExportError
from pmae.territories import Territories, TerritoryError
from pmae.vocab import Vocabulary

from pmae_hsds import taxonomies
from pmae_hsds.ids import FIELDS_TAXONOMY, PMAE_ID_TYPE, SIRET_SCHEME, SIRET_TYPE, hsds_id
from pmae_hsds.ids import territory_uri as cog_uri

__all__ = ["Dataset", "to_hsds"]

#: ``location.external_identifier_type`` of a commune's INSEE code.
COMMUNE_IDENTIFIER_TYPE = "INSEE COG commune"
#: The last line of a French address: postcode and city.
_POSTCODE_CITY = re.compile(
    r"\b((?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3})[ \t]+([^\n\d,;][^\n,;]*)\s*$")


@attrs.define(kw_only=True, frozen=True)
class Dataset:
    """One export: organizations and services (nested), and the taxonomies and terms used."""

    organizations: list[dict[str, Any]]
    services: list[dict[str, Any]]
    taxonomies: list[dict[str, Any]]
    taxonomy_terms: list[dict[str, Any]]
    generated_at: str


def to_hsds(bundle: Bundle, *, vocabularies: Mapping[str, Vocabulary], territories: Territories,
            lang: str = "fr", as_of: dt.date | None = None) -> Dataset:
    """The actors and offers of ``bundle`` as HSDS objects.

    :param as_of: the date a service's status is judged at (default: the bundle's date).
    :raises ExportError: an offer's actor is not in the bundle, or an offer has no territory,
        nor has its actor (the profile needs a service area).
    """
    builder = _Builder(vocabularies=vocabularies, territories=territories, lang=lang,
                       as_of=as_of or bundle.generated_at.date(),
                       modified=bundle.generated_at.isoformat())
    actors = {actor.id: actor for actor in bundle.actors}
    organizations = [builder.organization(actor) for actor in bundle.actors]
    absent = next((o for o in bundle.offers if o.actor not in actors), None)
    if absent is not None:
        raise ExportError(
            f"offer {absent.id}: its actor {absent.actor} is not in the bundle (another "
            "network's record?); an HSDS service needs its organization in the same dataset: "
            "merge the bundle with its publisher's (pmae merge) before exporting")
    services = [builder.service(offer, actors[offer.actor]) for offer in bundle.offers]
    used = sorted(builder.used, key=builder.order)
    return Dataset(
        organizations=organizations, services=services,
        taxonomies=[taxonomies.taxonomy(v, vocabularies, lang)
                    for v in dict.fromkeys(v for v, _ in used)],
        taxonomy_terms=[taxonomies.term(v, c, vocabularies, lang) for v, c in used],
        generated_at=bundle.generated_at.isoformat())


class _Builder:
    def __init__(self, *, vocabularies: Mapping[str, Vocabulary], territories: Territories,
                 lang: str, as_of: dt.date, modified: str) -> None:
        self.vocabularies = vocabularies
        self.territories = territories
        self.lang = lang
        self.as_of = as_of
        self.modified = modified
        self.used: set[tuple[str, str]] = set()
        ranks = [v for _, v in (*taxonomies.SERVICE_CODES, *taxonomies.ORGANIZATION_CODES)]
        self._vocabulary_rank = {v: i for i, v in enumerate([*ranks, FIELDS_TAXONOMY])}

    def order(self, used: tuple[str, str]) -> tuple[int, int, str]:
        vocabulary_id, code = used
        if vocabulary_id == FIELDS_TAXONOMY:
            position = list(taxonomies.FIELD_TERMS).index(code)
        else:
            codes = self.vocabularies[vocabulary_id].codes()
            position = codes.index(code) if code in codes else len(codes)
        return self._vocabulary_rank[vocabulary_id], position, code

    def label(self, vocabulary_id: str, code: str) -> str:
        found = self.vocabularies.get(vocabulary_id)
        return found.label(code, self.lang) if found is not None else code

    def attribute(self, owner: str, entity: str, field: str, vocabulary_id: str, code: str,
                  value: str | None = None) -> dict[str, Any]:
        self.used.add((vocabulary_id, code))
        parts = (owner, field, code) if value is None else (owner, field, code, value)
        attribute = {
            "id": hsds_id("attribute", *parts),
            "link_id": hsds_id(entity, owner),
            "taxonomy_term_id": taxonomies.term_id(vocabulary_id, code, self.lang),
            "link_type": field,
            "link_entity": entity,
        }
        if value is not None:
            attribute["value"] = value
        return attribute

    def coded(self, owner: str, entity: str, record: Actor | Offer,
              fields: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        for field, vocabulary_id in fields:
            value = getattr(record, field)
            codes = (value,) if isinstance(value, str) else (value or ())
            result.extend(self.attribute(owner, entity, field, vocabulary_id, code)
                          for code in codes)
        return result

    def valued(self, owner: str, entity: str, field: str,
               values: tuple[str, ...]) -> list[dict[str, Any]]:
        return [self.attribute(owner, entity, field, FIELDS_TAXONOMY, field, value)
                for value in values]

    def place_name(self, code: str) -> str | None:
        try:
            return self.territories.name(code)
        except TerritoryError:
            return None

    # -- organizations ----------------------------------------------------------------------
    def organization(self, actor: Actor) -> dict[str, Any]:
        oid = hsds_id("organization", actor.id)
        generated: tuple[str, ...] = ()
        description = actor.description
        if not description:
            description = f"{actor.name} : {self.label('actor_types', actor.actor_type)}."
            generated = ("description",)
        identifiers = [{"id": hsds_id("organization_identifier", actor.id, PMAE_ID_TYPE),
                        "organization_id": oid, "identifier_type": PMAE_ID_TYPE,
                        "identifier": actor.id}]
        if actor.siret:
            identifiers.append({
                "id": hsds_id("organization_identifier", actor.id, SIRET_SCHEME),
                "organization_id": oid, "identifier_scheme": SIRET_SCHEME,
                "identifier_type": SIRET_TYPE, "identifier": actor.siret})
        organization: dict[str, Any] = {"id": oid, "name": actor.name,
                                        "description": description}
        if actor.email:
            organization["email"] = actor.email
        if actor.website:
            organization["website"] = actor.website
        if actor.contacts:
            organization["contacts"] = [self.contact(actor, i, person)
                                        for i, person in enumerate(actor.contacts)]
        if actor.phone:
            organization["phones"] = [{"id": hsds_id("phone", actor.id), "organization_id": oid,
                                       "number": actor.phone}]
        location = self.location(actor, oid)
        if location is not None:
            organization["locations"] = [location]
        organization["organization_identifiers"] = identifiers
        organization["attributes"] = [
            *self.coded(actor.id, "organization", actor, taxonomies.ORGANIZATION_CODES),
            *self.valued(actor.id, "organization", "territories", actor.territories),
            *self.valued(actor.id, "organization", "networks", actor.networks),
            *self.valued(actor.id, "organization", "generated", generated),
        ]
        return organization

    def contact(self, actor: Actor, index: int, person: Person) -> dict[str, Any]:
        cid = hsds_id("contact", actor.id, str(index))
        contact: dict[str, Any] = {"id": cid, "organization_id": hsds_id("organization", actor.id),
                                   "name": person.name}
        if person.role:
            contact["title"] = person.role
        if person.email:
            contact["email"] = person.email
        if person.phone:
            contact["phones"] = [{"id": hsds_id("phone", actor.id, str(index)),
                                  "contact_id": cid, "number": person.phone}]
        return contact

    def location(self, actor: Actor, oid: str) -> dict[str, Any] | None:
        if not actor.commune and not actor.address:
            return None
        lid = hsds_id("location", actor.id)
        location: dict[str, Any] = {"id": lid, "location_type": "physical",
                                    "organization_id": oid, "name": actor.name}
        if actor.commune:
            location["external_identifier"] = actor.commune.removeprefix("com:")
            location["external_identifier_type"] = COMMUNE_IDENTIFIER_TYPE
        if actor.address:
            address = self.address(actor, lid)
            if address is not None:
                location["addresses"] = [address]
            else:  # HSDS requires a city, a département and a postcode pmae does not have
                location["description"] = actor.address
        return location

    def address(self, actor: Actor, lid: str) -> dict[str, Any] | None:
        """A structured address, when the text ends with a postcode and a city (``69002 Lyon``).

        HSDS requires a city, a "state or province" (the département here) and a postcode.
        """
        assert actor.address is not None
        found = _POSTCODE_CITY.search(actor.address)
        if found is None:
            return None
        postcode, city = found.group(1), found.group(2).strip()
        departement = None
        if actor.commune:
            departement = self.territories.departements(actor.commune)[0]
        elif self.place_name(f"dep:{postcode[:2]}") is not None:
            departement = f"dep:{postcode[:2]}"
        state = self.place_name(departement) if departement else None
        if not (city and state):
            return None
        return {"id": hsds_id("address", actor.id), "location_id": lid,
                "address_1": actor.address, "city": city, "state_province": state,
                "postal_code": postcode, "country": "FR", "address_type": "physical"}

    # -- services ---------------------------------------------------------------------------
    def service(self, offer: Offer, actor: Actor | None) -> dict[str, Any]:
        sid = hsds_id("service", offer.id)
        generated: list[str] = []
        description = offer.description
        if not description:
            description = self.describe(offer, actor)
            generated.append("description")
        codes = offer.territories
        if not codes and actor is not None:
            codes = actor.territories or ((actor.commune,) if actor.commune else ())
            generated.append("service_areas")
        if not codes:
            raise ExportError(
                f"offer {offer.id} has no territory, nor has its actor {offer.actor}: the pmae "
                "HSDS profile needs a service area; give the offer its territories")
        service: dict[str, Any] = {
            "id": sid, "organization_id": hsds_id("organization", offer.actor),
            "name": offer.title, "description": description}
        if offer.url:
            service["url"] = offer.url
        service["status"] = self.status(offer)
        if offer.cost:
            service["fees_description"] = self.fees(offer.cost)
        service["last_modified"] = self.modified
        if offer.valid_from or offer.valid_until:
            service["schedules"] = [self.schedule(offer, sid)]
        service["service_areas"] = [
            {"id": hsds_id("service_area", offer.id, code), "service_id": sid,
             "name": self.place_name(code) or code, "uri": cog_uri(code)} for code in codes]
        if offer.cost:
            service["cost_options"] = [self.cost_option(offer, sid)]
        service["attributes"] = [
            *self.valued(offer.id, "service", "id", (offer.id,)),
            *self.coded(offer.id, "service", offer, taxonomies.SERVICE_CODES),
            *self.valued(offer.id, "service", "generated", tuple(generated)),
        ]
        return service

    def status(self, offer: Offer) -> str:
        if offer.valid_until is not None and offer.valid_until < self.as_of:
            return "defunct"
        if offer.valid_from is not None and offer.valid_from > self.as_of:
            return "inactive"
        return "active"

    def schedule(self, offer: Offer, sid: str) -> dict[str, Any]:
        schedule: dict[str, Any] = {"id": hsds_id("schedule", offer.id), "service_id": sid}
        words = []
        if offer.valid_from:
            schedule["valid_from"] = offer.valid_from.isoformat()
            words.append(f"du {offer.valid_from.isoformat()}" if self.lang == "fr"
                         else f"from {offer.valid_from.isoformat()}")
        if offer.valid_until:
            schedule["valid_to"] = offer.valid_until.isoformat()
            words.append(f"au {offer.valid_until.isoformat()}" if self.lang == "fr"
                         else f"to {offer.valid_until.isoformat()}")
        lead = "Offre valable" if self.lang == "fr" else "Offer valid"
        schedule["description"] = f"{lead} {' '.join(words)}."
        return schedule

    def fees(self, cost: str) -> str:
        term = self.vocabularies["costs"].get(cost) if "costs" in self.vocabularies else None
        if term is None:
            return cost
        label = term.label_fr if self.lang == "fr" else term.label_en
        detail = term.description_fr if self.lang == "fr" else term.description_en
        return f"{label}. {detail}" if detail else label

    def cost_option(self, offer: Offer, sid: str) -> dict[str, Any]:
        assert offer.cost is not None
        option: dict[str, Any] = {"id": hsds_id("cost_option", offer.id), "service_id": sid,
                                  "option": self.label("costs", offer.cost), "currency": "EUR"}
        if offer.cost == "gratuit":
            option["amount"] = 0
        if offer.valid_from:
            option["valid_from"] = offer.valid_from.isoformat()
        if offer.valid_until:
            option["valid_to"] = offer.valid_until.isoformat()
        return option

    def describe(self, offer: Offer, actor: Actor | None) -> str:
        """A description for an offer without one (the profile requires it), from its codes."""
        fr = self.lang == "fr"
        parts = [f"{offer.title}."]
        if actor is not None:
            parts.append(f"Offre de {actor.name}." if fr else f"Offered by {actor.name}.")
        for field, vocabulary_id, word_fr, word_en in (
                ("themes", "themes", "Thèmes", "Themes"),
                ("stages", "stages", "Étapes", "Stages")):
            codes = getattr(offer, field)
            if codes:
                labels = ", ".join(self.label(vocabulary_id, c) for c in codes)
                parts.append(f"{word_fr if fr else word_en} : {labels}." if fr
                             else f"{word_en}: {labels}.")
        return " ".join(parts)
