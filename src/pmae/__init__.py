"""pmae: support small employer associations together (démarche PMAE).

The library's front door::

    import pmae

    session = pmae.session()                        # the plugins installed, as `pmae` runs
    bundle = pmae.load_bundle("bundle.json")        # raises InvalidBundleError with every issue
    report = pmae.validate_file("bundle.json")      # or look at the issues yourself
    for issue in report.issues:
        print(issue.render())
    pmae.write_bundle(bundle, "copy.jsonl")         # atomic; JSON Lines by the file name
    result = pmae.update_bundle("bundle.json", change)  # validated whole, atomic; says what

Every function that depends on vocabularies, territories, checks or plugins takes ``session=``
(default: :func:`pmae.session`, the process's plugin-aware session). The model
(:mod:`pmae.model`), the vocabularies (:mod:`pmae.vocab`) and the territories
(:mod:`pmae.territories`) are pure data; :mod:`pmae.io` reads, checks and writes them.

Names are imported on first use, so ``import pmae.model`` loads no I/O layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> module that defines it; imported on first access (PEP 562).
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("MergeResult", "dumps_bundle", "merge_bundles", "write_bundle"),
                    "pmae.io.bundles"),
    **dict.fromkeys(("CheckContext", "check_bundle"), "pmae.io.checks"),
    **dict.fromkeys(("InvalidBundleError", "Report"), "pmae.io.pipeline"),
    **dict.fromkeys(("ISSUE_TYPES", "Issue", "IssueGroup", "group_issues"), "pmae.issues"),
    **dict.fromkeys((
        "COLLECTIONS", "FORMAT_VERSION", "Actor", "Association", "Bundle", "Diagnosis",
        "Meeting", "ModelTypeError", "Need", "Offer", "Person", "Practice", "Production",
        "Programme", "Provenance",
        "Referral", "Registration", "Resource", "Response", "Source", "Speaker", "Workshop",
    ), "pmae.model"),
    **dict.fromkeys((
        "Session", "load_bundle", "make_session", "session", "use_session", "validate_bundle",
        "validate_document", "validate_file",
    ), "pmae.sessions"),
    **dict.fromkeys(("BundleUpdate", "InvalidUpdateError", "NewerFormatError", "UpdateResult",
                     "update_bundle"), "pmae.updates"),
}

__all__ = [
    "COLLECTIONS",
    "FORMAT_VERSION",
    "ISSUE_TYPES",
    "Actor",
    "Association",
    "Bundle",
    "BundleUpdate",
    "CheckContext",
    "Diagnosis",
    "InvalidBundleError",
    "InvalidUpdateError",
    "Issue",
    "IssueGroup",
    "Meeting",
    "MergeResult",
    "ModelTypeError",
    "Need",
    "NewerFormatError",
    "Offer",
    "Person",
    "Practice",
    "Production",
    "Programme",
    "Provenance",
    "Referral",
    "Registration",
    "Report",
    "Resource",
    "Response",
    "Session",
    "Source",
    "Speaker",
    "UpdateResult",
    "Workshop",
    "check_bundle",
    "dumps_bundle",
    "group_issues",
    "load_bundle",
    "make_session",
    "merge_bundles",
    "session",
    "update_bundle",
    "use_session",
    "validate_bundle",
    "validate_document",
    "validate_file",
    "write_bundle",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pmae' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    from pmae.io.bundles import MergeResult, dumps_bundle, merge_bundles, write_bundle
    from pmae.io.checks import CheckContext, check_bundle
    from pmae.io.pipeline import InvalidBundleError, Report
    from pmae.issues import ISSUE_TYPES, Issue, IssueGroup, group_issues
    from pmae.model import (
        COLLECTIONS,
        FORMAT_VERSION,
        Actor,
        Association,
        Bundle,
        Diagnosis,
        Meeting,
        ModelTypeError,
        Need,
        Offer,
        Person,
        Practice,
        Production,
        Programme,
        Provenance,
        Referral,
        Registration,
        Resource,
        Response,
        Source,
        Speaker,
        Workshop,
    )
    from pmae.sessions import (
        Session,
        load_bundle,
        make_session,
        session,
        use_session,
        validate_bundle,
        validate_document,
        validate_file,
    )
    from pmae.updates import (
        BundleUpdate,
        InvalidUpdateError,
        NewerFormatError,
        UpdateResult,
        update_bundle,
    )
