"""The catalogue of the issue codes pmae emits: what each means and the usual fix.

Codes are stable kebab-case strings: tools may match on them, so a code is never renamed.
"""

from __future__ import annotations

from typing import Final

import attrs

from pmae.i18n import N_

#: Issue severities, from the most to the least serious.
SEVERITIES: Final = ("error", "warning", "info")


@attrs.define(kw_only=True, frozen=True)
class IssueType:
    """What an issue code means, and the usual way to fix it."""

    code: str
    layer: str
    title: str
    hint: str


#: Every issue code pmae itself emits. Plugins' checks may add their own codes.
ISSUE_TYPES: Final[dict[str, IssueType]] = {
    t.code: t
    for t in (
        # layer 0: reading the file
        IssueType(
            code="file-not-found",
            layer="read",
            title="File not found",
            hint=N_("check the path; the file must exist and be readable"),
        ),
        IssueType(
            code="invalid-encoding",
            layer="read",
            title="Not UTF-8 text",
            hint=N_("save the file as UTF-8 (without BOM) and try again"),
        ),
        IssueType(
            code="invalid-json",
            layer="read",
            title="Not valid JSON",
            hint=(
                N_("fix the JSON at the line and column given "
                "(NaN, Infinity and comments are not JSON)")
            ),
        ),
        IssueType(
            code="duplicate-key",
            layer="read",
            title="Key repeated in an object",
            hint=N_("keep one of the two values: a reader would silently keep only the last"),
        ),
        IssueType(
            code="too-deep",
            layer="read",
            title="Nested too deep",
            hint=N_("a bundle nests about ten levels; remove the runaway nesting at the path "
                    "given"),
        ),
        IssueType(
            code="too-large",
            layer="read",
            title="Too large to read in memory",
            hint=(
                N_("write the bundle as JSON Lines (.jsonl, one record a line: pmae reads it a "
                "line at a time), or split it into several bundles and merge them")
            ),
        ),
        IssueType(
            code="newer-field",
            layer="schema",
            title="Field of a newer bundle format",
            hint=N_("upgrade pmae to read it; meanwhile the field is ignored"),
        ),
        IssueType(
            code="unknown-format",
            layer="read",
            title="Unknown bundle format version",
            hint=N_("this pmae reads bundle format 1.x; upgrade pmae or ask the publisher for 1.x"),
        ),
        # layer 1: JSON Schema
        IssueType(
            code="wrong-type",
            layer="schema",
            title="Wrong type",
            hint=N_("give a value of the type the schema expects"),
        ),
        IssueType(
            code="missing-field",
            layer="schema",
            title="Required field missing",
            hint=N_("add the field; see `pmae schema` for what it holds"),
        ),
        IssueType(
            code="unknown-field",
            layer="schema",
            title="Field not in the schema",
            hint=N_("remove the field or fix its spelling; see `pmae schema`"),
        ),
        IssueType(
            code="invalid-value",
            layer="schema",
            title="Value not allowed",
            hint=N_("see `pmae schema` for the allowed values"),
        ),
        IssueType(
            code="invalid-format",
            layer="schema",
            title="Badly formed value",
            hint=N_("write the value in the expected format"),
        ),
        IssueType(
            code="invalid-date",
            layer="schema",
            title="Invalid date",
            hint=N_("write a real calendar date as YYYY-MM-DD"),
        ),
        IssueType(
            code="invalid-datetime",
            layer="schema",
            title="Invalid date and time",
            hint=N_("write YYYY-MM-DDTHH:MM:SS with a time zone, e.g. 2025-03-14T09:00:00+01:00"),
        ),
        IssueType(
            code="invalid-id",
            layer="schema",
            title="Badly formed id",
            hint=N_("write ids as <source>:<local>, e.g. lma-ra:offre-12"),
        ),
        IssueType(
            code="ambiguous-territory",
            layer="schema",
            title="Territory without its level",
            hint=N_("write the level before the code: reg:84, dep:69, com:69123, epci:…, or fr",
)        ),
        IssueType(
            code="malformed-territory",
            layer="schema",
            title="Badly formed territory code",
            hint=N_("write fr, reg:NN, dep:NN, com:NNNNN or epci:NNNNNNNNN"),
        ),
        IssueType(
            code="unknown-code",
            layer="semantic",
            title="Code not in the vocabulary",
            hint=N_("use a code listed by `pmae vocab NAME`, or a namespaced code from a plugin"),
        ),
        IssueType(
            code="out-of-range",
            layer="schema",
            title="Number out of range",
            hint=N_("give a number within the allowed range"),
        ),
        IssueType(
            code="too-long", layer="schema", title="Text or list too long",
            hint=N_("shorten the value")
        ),
        IssueType(
            code="too-short",
            layer="schema",
            title="Text or list too short",
            hint=N_("complete the value"),
        ),
        IssueType(
            code="schema-violation",
            layer="schema",
            title="Schema rule broken",
            hint=N_("see `pmae schema` for the rule"),
        ),
        # layer 2: structuring into the model
        IssueType(
            code="structure-error",
            layer="structure",
            title="Cannot build the record",
            hint=N_("the value does not fit the model; check its type"),
        ),
        # layer 3: integrity and semantics
        IssueType(
            code="duplicate-id",
            layer="semantic",
            title="Duplicate id",
            hint=N_("give each record its own id"),
        ),
        IssueType(
            code="foreign-id",
            layer="semantic",
            title="Id of another source",
            hint=N_("prefix ids with the bundle's source slug (or list that source in provenance)"),
        ),
        IssueType(
            code="dangling-reference",
            layer="semantic",
            title="Reference to a missing record",
            hint=N_("add the record referred to, or fix the id"),
        ),
        IssueType(
            code="external-reference",
            layer="semantic",
            title="Reference to another network's record",
            hint=N_("it resolves when this bundle is merged with that network's (pmae merge)"),
        ),
        IssueType(
            code="wrong-reference",
            layer="semantic",
            title="Reference to the wrong kind of record",
            hint=N_("point to a record of the kind the field expects"),
        ),
        IssueType(
            code="dates-out-of-order",
            layer="semantic",
            title="End before start",
            hint=N_("swap the dates or fix the one that is wrong"),
        ),
        IssueType(
            code="status-backwards",
            layer="semantic",
            title="Response status moves back",
            hint=N_("a response only moves forward (envisagee, decidee, en_cours, realisee) or is "
                 "abandoned: keep its status, or record a new response"),
        ),
        IssueType(
            code="bad-check-digit",
            layer="semantic",
            title="SIREN or SIRET check digit wrong",
            hint=N_("copy the number again from the SIRENE directory (annuaire-entreprises)"),
        ),
        IssueType(
            code="siret-siren-mismatch",
            layer="semantic",
            title="SIRET does not start with the SIREN",
            hint=N_("the first 9 digits of the SIRET are the SIREN: fix one of them"),
        ),
        IssueType(
            code="unknown-territory",
            layer="semantic",
            title="Territory does not exist",
            hint=N_("use an INSEE code that exists (see the list of régions and départements)",
)        ),
        IssueType(
            code="unknown-commune",
            layer="semantic",
            title="Commune does not exist",
            hint=N_("use the INSEE code of a current commune (the hint names the nearest ones)"),
        ),
        IssueType(
            code="size-band-mismatch",
            layer="semantic",
            title="Size band does not match headcount",
            hint=N_("fix the headcount or the INSEE size band"),
        ),
        IssueType(
            code="control-character",
            layer="semantic",
            title="Control character in a text",
            hint=N_("remove the character (NUL and other control characters are invisible and "
                 "break the files pmae writes); only tab and line breaks are allowed"),
        ),
        IssueType(
            code="bidi-override",
            layer="semantic",
            title="Text-direction override in a text",
            hint=N_("remove the invisible direction control (U+202A–U+202E, U+2066–U+2069): it "
                 "makes the text display in another order than it reads"),
        ),
        IssueType(
            code="check-failed",
            layer="semantic",
            title="A plugin's check failed",
            hint=N_("the check's plugin has a bug: report it to its authors"),
        ),
        IssueType(
            code="merge-conflict",
            layer="merge",
            title="Same id, different content",
            hint=N_("decide which version is right and fix the other bundle, then merge again"),
        ),
        # diagnostic tools: questionnaires (after their JSON Schema) and answers
        IssueType(
            code="invalid-bands",
            layer="questionnaire",
            title="Bands out of order or without a final open band",
            hint=N_("sort the bands by 'upto', lowest first, and end with one band without 'upto'"),
        ),
        IssueType(
            code="invalid-levels",
            layer="questionnaire",
            title="Levels out of order or without a final open level",
            hint=N_("sort the levels by 'below', lowest first, and end with one level without "
                    "'below'"),
        ),
        IssueType(
            code="field-of-other-kind",
            layer="questionnaire",
            title="Field of another kind of question",
            hint=N_("bands, minimum, maximum and unit are for number questions, "
            "choices for choice questions"),
        ),
        IssueType(
            code="invalid-csv",
            layer="read",
            title="Not valid CSV",
            hint=N_("fix the quoting at the line given (a quote inside a cell is written twice)"),
        ),
        IssueType(
            code="unknown-question",
            layer="answers",
            title="Answer to an unknown question",
            hint=N_("check the question id against the questionnaire"),
        ),
        IssueType(
            code="invalid-answer",
            layer="answers",
            title="Answer the question does not take",
            hint=N_("answer with a step of the scale, a number, a choice's value, "
            'or null for "ne sait pas"'),
        ),
        IssueType(
            code="duplicate-answer",
            layer="answers",
            title="Question answered twice",
            hint=N_("keep one answer for each question"),
        ),
        # programme rules (after their JSON Schema) and the check of a year
        IssueType(
            code="rule-parameter-not-used",
            layer="programme-rules",
            title="Parameter the rule's check does not take",
            hint=N_("remove it; see docs/programme.md for the parameters of each check"),
        ),
        IssueType(
            code="min-above-max",
            layer="programme-rules",
            title="Lower bound above the upper bound",
            hint=N_("make the minimum no greater than the maximum"),
        ),
        IssueType(
            code="outdated-status",
            layer="programme",
            title="Planned meeting whose date has passed",
            hint=N_("mark the meeting tenue or annulee"),
        ),
    )
}
