"""Regenerate the profile's taxonomies from pmae's core vocabularies.

``python -m pmae_hsds.regenerate`` rewrites ``hsds/profile/data/taxonomy.json`` and
``taxonomy_term.json`` (a test says when they are out of date).
"""

from __future__ import annotations

import json
from pathlib import Path

from pmae.vocab import core_vocabularies

from pmae_hsds.taxonomies import published


def write_profile_data() -> list[Path]:
    """Rewrite ``profile/data/taxonomy.json`` and ``taxonomy_term.json`` from pmae's core
    vocabularies (``python -m pmae_hsds.regenerate``); returns the files written."""
    folder = Path(__file__).parent / "hsds" / "profile" / "data"
    written = []
    for name, items in published(core_vocabularies()).items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(items, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_profile_data():
        print(f"wrote {path}")
