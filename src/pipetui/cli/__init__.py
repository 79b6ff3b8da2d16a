"""The command line: every command is a thin shell over ``pipetui.core``.

The commands are grouped by subject in this package's modules;
:mod:`pipetui.cli.session` holds what they share (options, opening the
database, errors as one line and an exit status).
"""

from __future__ import annotations


from pipetui.cli import admin, deals, history, people, pipelines, products, report, team, transfer
from pipetui.cli.app import cli, monitor, triage
from pipetui.cli.transfer import IMPORT_FIELDS


for _command in (
    admin.demo, deals.add, deals.move, deals.win, deals.lose, deals.reopen, deals.delete,
    deals.assign, deals.list_deals, deals.stages, transfer.export_command, transfer.import_command, transfer.backup,
    deals.reasons, report.report, report.today, team.rep, team.quota, admin.migrate, triage, monitor,
    people.activity, people.note, people.org, people.contact,
    products.product, products.item,
    pipelines.stage, pipelines.pipeline, pipelines.move_pipeline,
    history.edit, history.history,
):
    cli.add_command(_command)

__all__ = ["IMPORT_FIELDS", "cli", "main"]


def main() -> None:
    cli(prog_name="pipetui")
