"""``pmae diagnose``: the bundle a diagnosis goes into, and running the tool.

The bundle is opened for an update (:mod:`pmae.updates`) before any question is asked, so a
bundle with errors, of a newer format or without the association is refused first; the
diagnosis is recorded into what is on disk when the answers are in.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Mapping

import attrs
import click

from pmae.analysis.diagnosing import (
    UnknownAssociationError,
    find_association,
    record_diagnosis,
    run_tool,
)
from pmae.cli.common import echo_update, open_update, prepare_update
from pmae.diagnostics import Evaluation
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.model import Association, Bundle
from pmae.plugins.items import DiagnosticTool
from pmae.sessions import Session
from pmae.updates import BundleUpdate, UpdateResult

__all__ = ["Target", "echo_recorded", "open_target", "record", "run_checked"]

_NEWER_HINT = N_("write the result to another file with -o")



@attrs.define(kw_only=True, frozen=True)
class Target:
    """The bundle opened for the update, and the association diagnosed in it."""

    update: BundleUpdate
    association: Association

    @property
    def output(self) -> str:
        """The file the bundle with the diagnosis is written to."""
        return self.update.output


def open_target(ctx: click.Context, path: str, output: str | None, association_id: str,
                advisor: str | None) -> Target:
    """Open the bundle for the update and find the association (and the advisor) in it."""
    update = open_update(ctx, path, output, hint=_(_NEWER_HINT))
    try:
        association = find_association(update.bundle, association_id)
    except UnknownAssociationError as error:
        raise click.UsageError(str(error)) from None
    if advisor is not None and advisor not in {actor.id for actor in update.bundle.actors}:
        raise click.UsageError(_("--advisor {advisor!r} is not an actor of {path}").format(
            advisor=advisor, path=path))
    return Target(update=update, association=association)


def record(target: Target, evaluation: Evaluation, *, date: dt.date,
           advisor: str | None) -> UpdateResult:
    """Add the diagnosis and its needs to the bundle, validated whole, written atomically."""

    def change(bundle: Bundle) -> Bundle:
        return record_diagnosis(
            bundle, evaluation, association_id=target.association.id, date=date,
            advisor=advisor, generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0))

    try:
        return prepare_update(target.update, change, what=_("this diagnosis"),
                              hint=_(_NEWER_HINT)).write()
    except UnknownAssociationError as error:  # the file was replaced while the questions ran
        raise click.UsageError(str(error)) from None


def echo_recorded(result: UpdateResult, lang: str, *, err: bool = True) -> None:
    """Say which diagnosis was recorded where, then the counts per collection, then the ids
    of the needs it created and how to orient them."""
    diagnosis = result.bundle.diagnoses[-1]
    said = _("Recorded in {bundle}: diagnosis {id}, {needs} need(s).")
    echo_update(result, said.format(bundle=result.path, id=diagnosis.id,
                                    needs=len(diagnosis.needs)), lang=lang, err=err)
    if diagnosis.needs:
        command = shlex.join(["pmae", "orient", result.path, "--association",
                              diagnosis.association])
        click.echo(_("Needs created: {ids}\nTo orient them: {command}").format(
            ids=", ".join(diagnosis.needs), command=command), err=err)


def run_checked(item: DiagnosticTool, answers: Mapping[str, object],
                session: Session) -> Evaluation:
    """Run the tool on the answers; a tool whose scoring fails on them is its plugin's failure:
    one line naming the plugin, exit 1 (``PMAE_DEBUG=1``: the traceback)."""
    from pmae.cli import plugin_failed
    from pmae.plugins.calls import PluginFailure

    try:
        return run_tool(item, answers, vocabularies=session.vocabularies, session=session)
    except PluginFailure as failure:
        plugin_failed(click.get_current_context(), failure)
        raise
