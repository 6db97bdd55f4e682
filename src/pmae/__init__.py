"""pmae: support small employer associations together (démarche PMAE).

The library's front door::

    import pmae

    bundle = pmae.load_bundle("bundle.json")        # raises InvalidBundleError with every issue
    report = pmae.validate_file("bundle.json")      # or look at the issues yourself
    for issue in report.issues:
        print(issue.render())
    pmae.write_bundle(bundle, "copy.jsonl")         # atomic; JSON Lines by the file name

The model (:mod:`pmae.model`), the vocabularies (:mod:`pmae.vocab`) and the territories
(:mod:`pmae.territories`) are pure data; :mod:`pmae.io` reads, checks and writes them.
"""

from pmae.io.bundles import MergeResult, dumps_bundle, merge_bundles, write_bundle
from pmae.io.checks import CheckContext, check_bundle
from pmae.io.pipeline import (
    InvalidBundleError,
    Report,
    load_bundle,
    validate_document,
    validate_file,
)
from pmae.issues import ISSUE_TYPES, Issue, IssueGroup, group_issues
from pmae.model import (
    COLLECTIONS,
    FORMAT_VERSION,
    Actor,
    Association,
    Bundle,
    Diagnosis,
    Meeting,
    Need,
    Offer,
    Person,
    Production,
    Programme,
    Provenance,
    Referral,
    Registration,
    Resource,
    Source,
    Speaker,
    Workshop,
)

__all__ = [
    "COLLECTIONS",
    "FORMAT_VERSION",
    "ISSUE_TYPES",
    "Actor",
    "Association",
    "Bundle",
    "CheckContext",
    "Diagnosis",
    "InvalidBundleError",
    "Issue",
    "IssueGroup",
    "Meeting",
    "MergeResult",
    "Need",
    "Offer",
    "Person",
    "Production",
    "Programme",
    "Provenance",
    "Referral",
    "Registration",
    "Report",
    "Resource",
    "Source",
    "Speaker",
    "Workshop",
    "check_bundle",
    "dumps_bundle",
    "group_issues",
    "load_bundle",
    "merge_bundles",
    "validate_document",
    "validate_file",
    "write_bundle",
]
