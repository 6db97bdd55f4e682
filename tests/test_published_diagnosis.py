"""What a reader who never sees the needs works from: a shared diagnosis rebuilt from its
published tables (a network of a PostgreSQL store reads them so), and a store's name printed
without its password."""

from __future__ import annotations

import pytest

from pmae.analysis.shared_diagnosis import aggregate, shareable_needs, trends
from pmae.analysis.shared_diagnosis.published import from_published
from pmae.render.needs import render_text, render_trends, to_csv
from pmae.sample import load_sample
from pmae.store.backend import redacted


@pytest.mark.parametrize("by", ["theme", "theme,dep", "theme,reg,size_band", "theme,year"])
def test_the_published_tables_render_as_the_computed_ones(by: str) -> None:
    computed = aggregate(shareable_needs(load_sample().needs), by=by)
    rebuilt = from_published(computed.to_json())
    assert rebuilt.to_json() == computed.to_json()
    assert render_text(rebuilt, "fr") == render_text(computed, "fr")
    assert render_text(rebuilt, "en") == render_text(computed, "en")
    assert to_csv(rebuilt) == to_csv(computed)
    if "year" in by:
        assert trends(rebuilt) == trends(computed)
        assert render_trends(rebuilt, "text", "fr") == render_trends(computed, "text", "fr")


def test_what_is_not_a_diagnosis_s_tables_is_refused() -> None:
    with pytest.raises(ValueError, match="not the published tables"):
        from_published({"dimensions": ["theme"], "cells": []})


@pytest.mark.parametrize(("given", "printed"), [
    ("postgresql://pmae_a:s3cret@db.example/pmae", "postgresql://pmae_a:***@db.example/pmae"),
    ("postgres://pmae_a:s3cr%40t@db:5432/pmae?sslmode=verify-full",
     "postgres://pmae_a:***@db:5432/pmae?sslmode=verify-full"),
    ("postgresql://pmae_a:s3c@ret@db/pmae", "postgresql://pmae_a:***@db/pmae"),
    ("postgresql:///pmae?host=/tmp&user=a&password=s3cret&port=5",
     "postgresql:///pmae?host=/tmp&user=a&password=***&port=5"),
    ("postgresql://pmae_a@db/pmae", "postgresql://pmae_a@db/pmae"),
    ("mysql://root:s3cret@db/x", "mysql://root:***@db/x"),
    ("postgresql://a:s3cret@[::1/x", "postgresql://a:***@[::1/x"),
    ("sqlite:///pmae.db", "sqlite:///pmae.db"),
    ("data/pmae.db", "data/pmae.db"),
])
def test_a_store_is_named_without_its_password(given: str, printed: str) -> None:
    assert redacted(given) == printed
