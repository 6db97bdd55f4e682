"""The HSDS importer on datasets pmae did not write: what it keeps, and every loss reported."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from hsds_support import OFFICIAL, back, losses
from pmae.plugins import OptionError


# -- import of someone else's HSDS, with its losses ----------------------------------------------
def test_import_of_a_foreign_dataset_reports_every_loss(tmp_path: Path) -> None:
    org = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    organizations = [{
        "id": org, "name": "Example Org", "description": "Help", "year_incorporated": 2011,
        "organization_identifiers": [{"id": str(uuid.uuid4()), "identifier_scheme": "GB-COH",
                                      "identifier_type": "Company number",
                                      "identifier": "1234567"}],
        "phones": [{"id": str(uuid.uuid4()), "number": "04 72 00 00 01"},
                   {"id": str(uuid.uuid4()), "number": "04 72 00 00 02"}]}]
    services = [{
        "id": "ac148810-d857-441c-9679-408f346de14b", "organization_id": org,
        "name": "Counselling", "status": "active", "eligibility_description": "Adults",
        "service_areas": [{"id": str(uuid.uuid4()), "name": "MyCity"},
                          {"id": str(uuid.uuid4()), "name": "Lyon",
                           "uri": "http://id.insee.fr/geo/commune/69123"}],
        "cost_options": [{"id": str(uuid.uuid4()), "amount": 35, "currency": "GBP"}],
        "languages": [{"id": str(uuid.uuid4()), "name": "Urdu"}]}]
    (tmp_path / "organizations.json").write_text(json.dumps(organizations), encoding="utf-8")
    (tmp_path / "services.json").write_text(json.dumps(services), encoding="utf-8")
    report = back(tmp_path, source="ailleurs")
    assert report.ok, report.issues
    assert report.bundle is not None
    (actor,) = report.bundle.actors
    (offer,) = report.bundle.offers
    assert (actor.id, actor.actor_type, actor.phone) == (f"ailleurs:hsds-{org}", "autre",
                                                      "04 72 00 00 01")
    assert (offer.territories, offer.cost) == (("com:69123",), "payant")
    # Losses go to pmae's warning channel (context.warn), not into the issues.
    assert not [i for i in report.issues if i.code == "hsds:not-imported"]
    lost = set(losses(tmp_path, source="ailleurs"))
    assert lost >= {
        "not imported: organization year_incorporated (pmae has no field for it) (1×, at "
        "organization.year_incorporated)",
        "not imported: identifiers other than SIRET (1×, at organization_identifiers)",
        "not imported: no actor type (pmae's 'autre' is given) (1×, at organizations)",
        "not imported: phones but the first (1×, at organizations.phones)",
        "not imported: service eligibility_description (pmae has no field for it) (1×, at "
        "service.eligibility_description)",
        "not imported: areas without a COG or pmae URI (1×, at service_areas)",
        "not imported: amounts (pmae says 'payant', not how much) (1×, at "
        "cost_options.amount)",
        "not imported: every language (pmae has no place for it) (1×, at language objects)",
        "HSDS has no visibility: every record is imported as 'public' (--option "
        "visibility=network to change it)",
    }


def test_import_of_something_else_is_a_clear_error(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # the core's part of a message follows the locale
    report = back(tmp_path)
    assert [i.code for i in report.issues] == ["hsds:not-hsds"]
    assert "is it an HSDS dataset?" in report.issues[0].message
    # Declared options are pmae's to check, before the importer runs.
    with pytest.raises(OptionError, match="option visibility: 'everyone' is not one of public"):
        back(tmp_path, visibility="everyone")
    report = back(tmp_path, source="Not A Slug")
    assert [i.code for i in report.issues] == ["hsds:bad-option"]


def test_import_reads_no_file_outside_the_dataset(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("id\nx\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "datapackage.json").write_text(json.dumps(
        {"resources": [{"name": "organization", "path": "../secret.csv"}]}), encoding="utf-8")
    report = back(tmp_path / "data")
    assert [i.code for i in report.issues] == ["hsds:not-hsds"]
    assert "is not a file of the dataset's folder" in report.issues[0].message


def test_import_of_open_referrals_own_example(tmp_path: Path) -> None:
    if OFFICIAL is None:
        pytest.skip("the official HSDS copy is not beside this repository")
    example = json.loads((OFFICIAL / "examples" / "service_full.json").read_text(
        encoding="utf-8"))
    (tmp_path / "services.json").write_text(json.dumps([example]), encoding="utf-8")
    report = back(tmp_path, source="exemple")
    assert report.ok, [i.render() for i in report.issues if i.severity == "error"]
    assert report.bundle is not None
    (actor,) = report.bundle.actors
    (offer,) = report.bundle.offers
    assert (actor.name, offer.title, offer.actor) == (
        example["organization"]["name"], example["name"], actor.id)
    lost = {loss.rpartition(", at ")[2].rstrip(")") for loss in losses(tmp_path,
                                                                        source="exemple")}
    # what pmae rebuilds from other fields is lost when the dataset is not pmae's
    assert {"schedule.description", "service_area.name", "service.fees_description",
            "service.eligibility_description", "program objects"} <= lost
