"""schema.org JSON-LD for the report's public pages: actors, offers and public meetings.

Search engines and directory aggregators read ``<script type="application/ld+json">`` blocks;
these functions build what the public directory and meetings pages carry:

- an actor is an ``Organization``, an ``NGO`` (the types that are associations) or a
  ``GovernmentOrganization`` (local authorities and State services), with its SIRET both as an
  ``identifier`` and as an ISO 6523 ``iso6523Code`` (ICD ``0002`` is SIRENE, registered by
  INSEE for SIREN and SIRET numbers);
- an offer is a ``Course`` when training is its only stage, a ``GovernmentService`` when a
  public body provides it, a ``Service`` otherwise, with its ``provider``, the territories
  it serves, its audience and its cost as an ``Offer`` (free: price 0);
- a meeting is an ``Event``.

Every node's ``@id`` is the pmae id as a fragment of the page that lists the record
(``annuaire.html#<id>``, ``rencontres.html#<id>``, ``:`` written ``%3A``), relative to the
page: it resolves to the same IRI from every directory page, wherever the site is published.
No person's name, e-mail or phone ever goes in, nor the actors' own e-mail and phone: the
blocks only say what a public directory entry needs. The properties are chosen within their
schema.org domains (the tests check them against a schema.org release): ``areaServed`` is not
a ``Course`` property, so a course's territories go on its ``Offer``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from markupsafe import Markup

from pmae.model import Actor, Meeting, Offer
from pmae.render.labels import Labels, is_http_url
from pmae.territories import TerritoryError

__all__ = ["CONTEXT", "ID_SAFE", "SIRENE_ICD", "actor_type", "directory_graph", "meetings_graph",
           "node_id",
           "offer_type", "script_block"]

#: The context every block names (the JSON-LD context schema.org publishes).
CONTEXT: Final = "https://schema.org"
#: The ISO 6523 International Code Designator of SIRENE (INSEE's SIREN/SIRET register).
SIRENE_ICD: Final = "0002"
#: Actor types that are public bodies, and those that are associations.
GOVERNMENT_TYPES: Final = frozenset({"collectivite", "service_etat"})
NGO_TYPES: Final = frozenset({"coordination_associative", "reseau_sectoriel",
                              "dla_departemental", "dla_regional", "cress"})
#: The stage that makes an offer a course when it is its only one.
TRAINING_STAGE: Final = "formation"
_AUDIENCE: Final = {"fr": "associations employeuses", "en": "employer associations"}
_SCHEMA: Final = "https://schema.org/"
#: The characters of a record id left as they are in a fragment (``:`` is encoded, see
#: :func:`node_id`); the report's links to a record use the same form.
ID_SAFE: Final = "@!$()*+,;=-._~"


def node_id(root: str, page: str, record_id: str) -> str:
    """The ``@id`` of a record: its id as a fragment of the page listing it, from ``root``.

    The id's colons are percent-encoded: JSON-LD processors read ``a.html#x:y`` as an
    absolute IRI (scheme-like prefix) and would not resolve it against the page.
    """
    return f"{root}{page}#{quote(record_id, safe=ID_SAFE)}"


def actor_type(actor: Actor) -> str:
    """The schema.org type of an actor."""
    if actor.actor_type in GOVERNMENT_TYPES:
        return "GovernmentOrganization"
    return "NGO" if actor.actor_type in NGO_TYPES else "Organization"


def offer_type(offer: Offer, provider: Actor | None) -> str:
    """The schema.org type of an offer."""
    if offer.stages and set(offer.stages) == {TRAINING_STAGE}:
        return "Course"
    if provider is not None and provider.actor_type in GOVERNMENT_TYPES:
        return "GovernmentService"
    return "Service"


def _place(code: str, labels: Labels) -> dict[str, Any]:
    """A territory as a schema.org place: its name and its pmae code as identifier."""
    try:
        name = labels.territories.name(code)
    except TerritoryError:
        name = None
    kind = ("Country" if code == "fr" else "City" if code.startswith("com:")
            else "AdministrativeArea")
    return {"@type": kind, "name": name or labels.territory(code), "identifier": code}


def _actor(actor: Actor, root: str, labels: Labels) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": actor_type(actor),
                            "@id": node_id(root, "annuaire.html", actor.id), "name": actor.name}
    if actor.description:
        node["description"] = actor.description
    if is_http_url(actor.website):
        node["url"] = actor.website
    if actor.siret:
        siret = "".join(actor.siret.split())
        node["identifier"] = {"@type": "PropertyValue", "propertyID": "SIRET", "value": siret}
        node["iso6523Code"] = f"{SIRENE_ICD}:{siret}"
    if actor.address or actor.commune:
        address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": "FR"}
        if actor.address:
            address["streetAddress"] = actor.address
        if actor.commune:
            address["addressLocality"] = _place(actor.commune, labels)["name"]
        node["address"] = address
    if actor.territories:
        node["areaServed"] = [_place(c, labels) for c in actor.territories]
    return node


def _price(offer: Offer, labels: Labels) -> dict[str, Any]:
    """The offer's cost as a schema.org ``Offer``: price 0 when free, no price when unknown."""
    price: dict[str, Any] = {"@type": "Offer"}
    if offer.cost in ("gratuit", "sous_conditions"):
        price.update({"price": 0, "priceCurrency": "EUR"})
    if offer.cost and offer.cost != "gratuit":
        price["description"] = labels.code("costs", offer.cost)
    if offer.valid_from:
        price["validFrom"] = offer.valid_from.isoformat()
    if offer.valid_until:
        price["validThrough"] = offer.valid_until.isoformat()
    return price


def _offer(offer: Offer, provider: Actor | None, root: str, labels: Labels) -> dict[str, Any]:
    kind = offer_type(offer, provider)
    node: dict[str, Any] = {"@type": kind, "@id": node_id(root, "annuaire.html", offer.id),
                            "name": offer.title}
    if offer.description:
        node["description"] = offer.description
    if is_http_url(offer.url):
        node["url"] = offer.url
    node["provider"] = {"@id": node_id(root, "annuaire.html", offer.actor)}
    node["audience"] = {"@type": "BusinessAudience", "audienceType": _AUDIENCE[labels.lang]}
    themes = [labels.code("themes", t) for t in offer.themes]
    price = _price(offer, labels) if offer.cost or offer.valid_from or offer.valid_until \
        else None
    areas = [_place(c, labels) for c in offer.territories]
    if kind == "Course":
        if themes:
            node["keywords"] = themes
        if areas:  # areaServed belongs to Offer, not to Course (a CreativeWork)
            price = {**(price or {"@type": "Offer"}), "areaServed": areas}
    else:
        if areas:
            node["areaServed"] = areas
        if offer.stages:
            node["serviceType"] = [labels.code("stages", s) for s in offer.stages]
        if themes:
            node["category"] = themes
    if price is not None:
        node["offers"] = price
    return node


def directory_graph(entries: Iterable[tuple[Actor, Sequence[Offer]]], *, root: str,
                    labels: Labels) -> dict[str, Any]:
    """The JSON-LD of a directory page: each actor, then its offers."""
    graph: list[dict[str, Any]] = []
    for actor, offers in entries:
        graph.append(_actor(actor, root, labels))
        graph.extend(_offer(o, actor, root, labels) for o in offers)
    return {"@context": CONTEXT, "@graph": graph}


def meetings_graph(meetings: Iterable[Meeting], *, root: str, labels: Labels,
                   actors: Mapping[str, Actor]) -> dict[str, Any]:
    """The JSON-LD of the meetings page: each meeting as an ``Event``.

    Organisers are the visible actors, by their ``@id``; speakers and registrations (people,
    attendance) stay out.
    """
    graph = []
    for meeting in meetings:
        status = "EventCancelled" if meeting.status == "annulee" else "EventScheduled"
        node: dict[str, Any] = {
            "@type": "Event", "@id": node_id(root, "rencontres.html", meeting.id),
            "name": meeting.title, "startDate": meeting.start.isoformat(),
            "endDate": meeting.end.isoformat(),
            "eventStatus": {"@id": _SCHEMA + status},
            "description": labels.code("meeting_kinds", meeting.kind)}
        if meeting.place or meeting.commune:
            place: dict[str, Any] = {"@type": "Place"}
            if meeting.place:
                place["name"] = meeting.place
            if meeting.commune:
                place["address"] = {"@type": "PostalAddress", "addressCountry": "FR",
                                    "addressLocality": _place(meeting.commune, labels)["name"]}
            node["location"] = place
        organisers = [{"@id": node_id(root, "annuaire.html", a)} for a in meeting.organisers
                      if a in actors]
        if organisers:
            node["organizer"] = organisers
        graph.append(node)
    return {"@context": CONTEXT, "@graph": graph}


def script_block(data: Mapping[str, Any]) -> Markup:
    """``data`` as a ``<script type="application/ld+json">`` element, safe in HTML.

    ``<``, ``>`` and ``&`` are written as JSON escapes, so no value from the data can close
    the element or open a comment, whatever it holds.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">{text}</script>')
