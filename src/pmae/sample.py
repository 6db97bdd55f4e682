"""The sample bundle shipped with pmae: the démarche PMAE in Rhône-Alpes, 2025 (illustrative).

Real public structures are named, offers are plausible but invented, associations and people
are fictional; contact data uses ``example.org`` addresses and phone numbers reserved for
fiction. ``tools/build_sample.py`` builds the file, deterministically; ``pmae demo`` and the
documentation's examples start from it.
"""

from __future__ import annotations

import importlib.resources
from typing import Final

from pmae.io.files import parse_json
from pmae.io.pipeline import InvalidBundleError, validate_document
from pmae.model import Bundle

__all__ = ["SAMPLE_FILE", "load_sample", "sample_bytes"]

#: The name of the sample bundle in the package data (``pmae/data/``).
SAMPLE_FILE: Final = "sample.json"


def sample_bytes() -> bytes:
    """The sample bundle exactly as shipped: JSON bytes, UTF-8."""
    return importlib.resources.files("pmae").joinpath("data", SAMPLE_FILE).read_bytes()


def load_sample() -> Bundle:
    """The sample bundle, parsed and validated like any other bundle.

    :raises InvalidBundleError: if the shipped file has errors (a packaging bug: the build
        script refuses to write a sample with any issue).
    """
    data = parse_json(sample_bytes(), file=SAMPLE_FILE)
    report = validate_document(data, file=SAMPLE_FILE)
    if not report.ok or report.bundle is None:
        raise InvalidBundleError(report.issues)
    return report.bundle
