"""schema.org JSON-LD on the report's public pages, checked offline as its consumers read it.

The blocks are extracted from the written pages with extruct, expanded to RDF with PyLD (its
document loader serves the schema.org context vendored in ``tests/data/schemaorg/`` and refuses
the network), then checked with rdflib and pyshacl against the vendored schema.org release:
every type and property exists there (none superseded), every property is used within its
``schema:domainIncludes`` and every node value within its ``schema:rangeIncludes`` (pyshacl,
with shapes generated from the release and its class hierarchy).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import extruct
import pyshacl
import pytest
from click.testing import CliRunner
from markupsafe import Markup
from pyld import jsonld
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from pmae.cli import cli
from pmae.model import Actor, Bundle, Meeting, Offer, Source
from pmae.render import jsonld as pmae_jsonld
from pmae.render.report import build_report
from pmae.sample import load_sample

DATA = Path(__file__).resolve().parent / "data" / "schemaorg"
RELEASE = DATA / "schemaorg-current-http.ttl"
CONTEXT = DATA / "schemaorgcontext.jsonld"
SCHEMA = Namespace("http://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
#: The URLs under which schema.org serves its context; the loader maps them to the local copy.
CONTEXT_URLS = {"https://schema.org", "https://schema.org/", "http://schema.org",
                "http://schema.org/", "https://schema.org/docs/jsonldcontext.jsonld"}
#: The URLs the loader was asked for and refused.
REFUSED: list[str] = []
TZ = dt.timezone(dt.timedelta(hours=1))
SCRIPT = re.compile(r'^<script type="application/ld\+json">.*</script>\n', re.MULTILINE)


def _loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader: the vendored schema.org context, nothing from the network."""
    if url not in CONTEXT_URLS:
        REFUSED.append(url)
        raise RuntimeError(f"the test loader refuses to fetch {url}: tests stay offline")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(CONTEXT.read_text(encoding="utf-8"))}


def _blocks(page: Path) -> list[Any]:
    """The JSON-LD blocks of a page, as extruct finds them."""
    found = extruct.extract(page.read_text(encoding="utf-8"), base_url=page.as_uri(),
                            syntaxes=["json-ld"], uniform=False)
    return list(found["json-ld"])


def _rdf(document: Any, base: str) -> Graph:
    """A JSON-LD document as an rdflib graph, expanded by PyLD with the local context.

    schema.org's ``https://schema.org/`` IRIs name the same terms as the ``http`` ones of the
    release and of its context's ``@vocab``: they are read as those.
    """
    options = {"documentLoader": _loader, "base": base, "format": "application/n-quads"}
    nquads = jsonld.to_rdf(jsonld.expand(document, options), options)
    return Graph().parse(data=nquads.replace("<https://schema.org/", "<http://schema.org/"),
                         format="nt")


@pytest.fixture(scope="module")
def release() -> Graph:
    return Graph().parse(RELEASE, format="turtle")


def unknown_terms(data: Graph, release: Graph) -> set[str]:
    """Types, properties and enumeration members of ``data`` the release does not define (or
    has superseded)."""
    unknown = set()
    for _, p, o in data:
        if p == RDF.type:
            if (o, RDF.type, RDFS.Class) not in release:
                unknown.add(str(o))
        elif (p, RDF.type, RDF.Property) not in release:
            unknown.add(str(p))
        elif isinstance(o, URIRef) and o.startswith(SCHEMA) and (o, None, None) not in release:
            unknown.add(str(o))
    return unknown | {str(t) for t in set(data.predicates()) | set(data.objects(None, RDF.type))
                      if (t, SCHEMA.supersededBy, None) in release}


def _alternatives(shapes: Graph, shape: BNode, constraints: list[tuple[URIRef, URIRef]],
                  message: str) -> None:
    """``shape`` holds when one of ``constraints`` (SHACL parameter, value) does."""
    alternatives = []
    for parameter, value in constraints:
        alternatives.append(BNode())
        shapes.add((alternatives[-1], parameter, value))
    head = BNode()
    Collection(shapes, head, alternatives)
    shapes.add((shape, RDF.type, SH.NodeShape))
    shapes.add((shape, SH["or"], head))
    shapes.add((shape, SH.message, Literal(message)))


def schema_shapes(release: Graph) -> Graph:
    """SHACL shapes from the release, for every property:

    - domain: a subject of the property is an instance of one of its ``schema:domainIncludes``
      (or of a subclass);
    - range: a node value is an instance of one of its ``schema:rangeIncludes`` classes (an
      IRI will do where ``URL`` is allowed); a literal is always accepted, as schema.org
      accepts text where it expects a thing.
    """
    datatypes = set(release.transitive_subjects(RDFS.subClassOf, SCHEMA.DataType)) | set(
        release.subjects(RDF.type, SCHEMA.DataType))
    datatypes |= {sub for d in list(datatypes)
                  for sub in release.transitive_subjects(RDFS.subClassOf, d)}
    shapes = Graph()
    for prop in set(release.subjects(SCHEMA.domainIncludes, None)):
        shape = BNode()
        shapes.add((shape, SH.targetSubjectsOf, prop))
        _alternatives(shapes, shape, [(SH["class"], d) for d in
                                      sorted(release.objects(prop, SCHEMA.domainIncludes))],
                      f"{prop} is used outside its domain")
    for prop in set(release.subjects(SCHEMA.rangeIncludes, None)):
        ranges = set(release.objects(prop, SCHEMA.rangeIncludes))
        constraints = [(SH.nodeKind, SH.Literal)] + [
            (SH["class"], r) for r in sorted(ranges - datatypes)]
        if SCHEMA.URL in ranges:
            constraints.append((SH.nodeKind, SH.IRI))
        shape = BNode()
        shapes.add((shape, SH.targetObjectsOf, prop))
        _alternatives(shapes, shape, constraints, f"{prop} has a value outside its range")
    return shapes


def shape_violations(data: Graph, release: Graph) -> list[str]:
    """pyshacl's report of the properties used outside their domain or range (empty when the
    data conforms), with the release's class hierarchy and enumeration members."""
    # The hierarchy and the members' types join a copy of the data itself: given as
    # ont_graph, the members' rdf:type triples were not seen by sh:class (pyshacl 0.40).
    # Neither kind of triple has a schema.org predicate, so none becomes a shape's target.
    mixed = Graph()
    mixed += data
    for triple in release.triples((None, RDFS.subClassOf, None)):
        mixed.add(triple)
    for member, _, kind in release.triples((None, RDF.type, None)):
        if kind not in (RDFS.Class, RDF.Property):  # enumeration members and data types
            mixed.add((member, RDF.type, kind))
    conforms, report, _ = pyshacl.validate(mixed, shacl_graph=schema_shapes(release),
                                           inference="none")
    messages = sorted({str(m) for m in report.objects(None, SH.resultMessage)})
    assert conforms == (not messages)
    return messages


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's public report, made as users make it: ``pmae sample``, ``pmae report``."""
    folder = tmp_path_factory.mktemp("jsonld")
    runner = CliRunner()
    for command in (["sample", "-o", str(folder / "sample.json")],
                    ["report", str(folder / "sample.json"), "-o", str(folder / "site"),
                     "--date", "2025-12-01"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, result.output
    return folder / "site"


def _graph_of_site(site: Path) -> Graph:
    graph = Graph()
    for page in sorted(site.rglob("*.html")):
        for block in _blocks(page):
            graph += _rdf(block, page.as_uri())
    return graph


def test_public_directory_and_meetings_pages_carry_jsonld(sample_site: Path) -> None:
    with_blocks = sorted(p.relative_to(sample_site).as_posix()
                         for p in sample_site.rglob("*.html") if _blocks(p))
    assert with_blocks[0] == "annuaire.html" and with_blocks[-1] == "rencontres.html"
    assert all(p.startswith("annuaire/") for p in with_blocks[1:-1])
    assert len(with_blocks) == len(list((sample_site / "annuaire").glob("*.html"))) + 2
    (directory,) = _blocks(sample_site / "annuaire.html")
    sample = load_sample()
    types = Counter(node["@type"] for node in directory["@graph"])
    assert types["NGO"] + types["Organization"] + types["GovernmentOrganization"] \
        == len(sample.actors)
    assert types["GovernmentOrganization"] == sum(
        a.actor_type in ("collectivite", "service_etat") for a in sample.actors)
    html = (sample_site / "annuaire.html").read_text(encoding="utf-8")
    assert sum(types[t] for t in ("Course", "GovernmentService", "Service")) \
        == html.count('<article class="offer" ')
    kinds = {unquote(node["@id"].removeprefix("annuaire.html#")): node["@type"]
             for node in directory["@graph"]}
    public_bodies = {a.id for a in sample.actors if a.actor_type in ("collectivite",
                                                                     "service_etat")}
    shown = [o for o in sample.offers if o.id in kinds]
    assert {kinds[o.id] for o in shown if o.stages == ("formation",)} == {"Course"}
    assert {kinds[o.id] for o in shown if o.stages != ("formation",)
            and o.actor in public_bodies} == {"GovernmentService"}
    assert {kinds[o.id] for o in shown if o.stages != ("formation",)
            and o.actor not in public_bodies} == {"Service"}
    offers = {node["@id"]: node for node in directory["@graph"]}
    free = offers["annuaire.html#pmae-ra%3Aoffre-001"]
    assert free["provider"] == {"@id": "annuaire.html#pmae-ra%3Adla-01"}
    assert free["offers"] == {"@type": "Offer", "price": 0, "priceCurrency": "EUR",
                              "validFrom": "2025-01-01", "validThrough": "2025-12-31"}
    assert free["areaServed"] == [{"@type": "AdministrativeArea", "name": "Ain",
                                   "identifier": "dep:01"}]
    assert free["audience"]["@type"] == "BusinessAudience"
    (meetings,) = _blocks(sample_site / "rencontres.html")
    assert [n["@type"] for n in meetings["@graph"]] == ["Event"] * len(sample.meetings)


def test_ids_are_the_same_iri_from_every_page(sample_site: Path) -> None:
    def subjects(page: str) -> set[str]:
        path = sample_site / page
        return {str(s) for s in _rdf(_blocks(path)[0], path.as_uri()).subjects(RDF.type, None)
                if isinstance(s, URIRef)}

    everything = subjects("annuaire.html")
    filtered = subjects("annuaire/dep-01.html")
    assert filtered and filtered < everything
    assert (sample_site / "annuaire.html").as_uri() + "#pmae-ra%3Adla-01" in filtered
    organizers = _rdf(_blocks(sample_site / "rencontres.html")[0],
                      (sample_site / "rencontres.html").as_uri()).objects(None, SCHEMA.organizer)
    assert {str(o) for o in organizers} <= everything


def test_sample_passes_the_schemaorg_release_checks(sample_site: Path, release: Graph) -> None:
    data = _graph_of_site(sample_site)
    assert len(data) > 1000
    assert unknown_terms(data, release) == set()
    assert shape_violations(data, release) == []


def test_the_checks_catch_unknown_terms_and_misplaced_properties(release: Graph) -> None:
    bad = {"@context": "https://schema.org", "@graph": [
        {"@type": "Service", "@id": "#s", "name": "x", "isAccessibleForFree": True,
         "fooBarBaz": 1, "eventStatus": {"@id": "https://schema.org/EventNowhere"}},
        {"@type": "Quux", "@id": "#q", "name": "y"},
        {"@type": "Service", "@id": "#p", "provider": {"@type": "Place", "name": "z"},
         "url": "https://example.org/", "areaServed": "Ain"},
        {"@type": "Course", "@id": "#c", "areaServed": "Ain"}]}
    data = _rdf(bad, "https://example.org/page.html")
    assert unknown_terms(data, release) == {str(SCHEMA.fooBarBaz), str(SCHEMA.Quux),
                                            str(SCHEMA.EventNowhere)}
    assert shape_violations(data, release) == [
        f"{SCHEMA.areaServed} is used outside its domain",  # on a Course
        f"{SCHEMA.eventStatus} has a value outside its range",  # not an EventStatusType
        f"{SCHEMA.eventStatus} is used outside its domain",
        f"{SCHEMA.isAccessibleForFree} is used outside its domain",
        f"{SCHEMA.name} is used outside its domain",  # on a node of an unknown type
        f"{SCHEMA.provider} has a value outside its range"]  # a Place
    with pytest.raises(jsonld.JsonLdError, match="loading remote context failed"):
        _rdf({"@context": "https://example.org/context.jsonld", "name": "x"}, "urn:x")
    assert REFUSED[-1] == "https://example.org/context.jsonld"


def test_siret_types_and_hostile_text(tmp_path: Path, release: Graph) -> None:
    hostile = '</script><script>alert(1)</script> & "x"'
    bundle = Bundle(
        source=Source(slug="t", name="Test"), generated_at=dt.datetime(2025, 6, 1, tzinfo=TZ),
        actors=(Actor(id="t:mairie", name=hostile, actor_type="collectivite",
                      siret="213 801 236 00017", commune="com:38185", address="11 bd Jean Pain",
                      email="accueil@example.org", phone="04 00 00 00 00"),),
        offers=(Offer(id="t:o1", actor="t:mairie", title="Conseil", stages=("conseil",),
                      territories=("com:38185",), cost="payant",
                      valid_from=dt.date(2025, 1, 1)),
                Offer(id="t:o2", actor="t:mairie", title="Formation", stages=("formation",),
                      territories=("fr",), cost="sous_conditions")),
        meetings=(Meeting(id="t:m", kind="atelier", title="Atelier", status="annulee",
                          start=dt.datetime(2025, 3, 1, 9, tzinfo=TZ),
                          end=dt.datetime(2025, 3, 1, 12, tzinfo=TZ)),))
    build_report(bundle, tmp_path / "site", today=dt.date(2025, 6, 1))
    page = tmp_path / "site" / "annuaire.html"
    script = SCRIPT.search(page.read_text(encoding="utf-8"))
    assert script is not None and "<" not in script.group(0)[35:-10]
    (block,) = _blocks(page)
    actor, service, course = block["@graph"]
    assert actor["@type"] == "GovernmentOrganization" and actor["name"] == hostile
    assert actor["iso6523Code"] == "0002:21380123600017"
    assert actor["identifier"] == {"@type": "PropertyValue", "propertyID": "SIRET",
                                   "value": "21380123600017"}
    assert actor["address"]["addressLocality"] == "Grenoble"
    assert "accueil@example.org" not in script.group(0) and "04 00" not in script.group(0)
    assert service["@type"] == "GovernmentService"
    assert service["offers"] == {"@type": "Offer", "description": "Payant",
                                 "validFrom": "2025-01-01"}
    assert course["@type"] == "Course" and "areaServed" not in course
    assert course["offers"]["price"] == 0
    assert course["offers"]["areaServed"] == [{"@type": "Country", "name": "France",
                                               "identifier": "fr"}]
    (events,) = _blocks(tmp_path / "site" / "rencontres.html")
    assert events["@graph"][0]["eventStatus"] == {"@id": "https://schema.org/EventCancelled"}
    data = _graph_of_site(tmp_path / "site")
    assert unknown_terms(data, release) == set()
    assert shape_violations(data, release) == []


def test_no_personal_data_in_jsonld(sample_site: Path) -> None:
    sample = load_sample()
    people = [p for a in sample.actors for p in a.contacts] + [
        s.person for m in sample.meetings for s in m.speakers if s.person is not None]
    private = {v for p in people for v in (p.name, p.email, p.phone) if v}
    private |= {v for a in sample.actors for v in (a.email, a.phone) if v}
    assert people and private
    blocks = "".join(m.group(0) for p in sample_site.rglob("*.html")
                     for m in SCRIPT.finditer(p.read_text(encoding="utf-8")))
    assert blocks and not [v for v in private if v in blocks]


def test_other_audiences_get_no_jsonld(tmp_path: Path) -> None:
    build_report(load_sample(), tmp_path / "network", audience="network",
                 today=dt.date(2025, 12, 1))
    assert not any(SCRIPT.search(p.read_text(encoding="utf-8"))
                   for p in (tmp_path / "network").rglob("*.html"))


def test_the_rest_of_every_file_is_unchanged(sample_site: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # The same report without the blocks: every file is the one with them, blocks removed.
    monkeypatch.setattr(pmae_jsonld, "script_block", lambda data: Markup(""))
    build_report(load_sample(), tmp_path / "plain", today=dt.date(2025, 12, 1))
    files = sorted(p.relative_to(sample_site) for p in sample_site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "plain")
                           for p in (tmp_path / "plain").rglob("*") if p.is_file())
    for name in files:
        with_blocks = (sample_site / name).read_text(encoding="utf-8")
        assert SCRIPT.sub("", with_blocks) == (tmp_path / "plain" / name).read_text(
            encoding="utf-8"), name


def test_script_block_is_inert_in_html() -> None:
    block = pmae_jsonld.script_block({"name": "</script><!-- & >"})
    assert block == ('<script type="application/ld+json">'
                     '{"name":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u003e"}</script>')
    assert json.loads(block[35:-9]) == {"name": "</script><!-- & >"}
