"""Data in and out: import, export and backup."""

from __future__ import annotations


import shlex
from pathlib import Path

import click


from pipetui.cli.session import STATUS_CHOICES, Session, command, count, echo, progress

@command(name="export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]),
              help="Default: from the file's suffix, else csv.")
@click.option("--status", type=click.Choice(STATUS_CHOICES), default="all", show_default=True)
def export_command(state: Session, file: Path, fmt: str | None, status: str) -> None:
    """Write the deals to a CSV or JSON file (the columns the import reads)."""
    from pipetui.core.export import export

    fmt = fmt or ("json" if file.suffix.lower() == ".json" else "csv")
    count = export(file, fmt=fmt, status=status)
    echo(f"Exported {count:,} deals to {file}")


IMPORT_FIELDS = ("source_id title stage pipeline status value currency probability owner organization contact "
                 "product created expected_close close_date closed lost_reason note is_won is_closed")


@command(name="import", epilog=f"Fields for --map: {IMPORT_FIELDS}, or ignore. See the README for "
                                   "what each means and how the import reads dates, amounts and stages.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--preset", type=click.Choice(["pipedrive", "hubspot", "salesforce", "generic", "pipetui"]),
              help="Whose export this is (default: recognised from the header, else generic).")
@click.option("--map", "column_map", multiple=True, metavar="COLUMN=FIELD",
              help="Read COLUMN as FIELD (or 'ignore'); repeatable.")
@click.option("--stage-map", multiple=True, metavar="SOURCE=STAGE",
              help="Put deals in SOURCE stage into STAGE (or won, lost); repeatable.")
@click.option("--create-stages", is_flag=True, help="Add the file's unknown stages to the pipeline.")
@click.option("--date-format", metavar="FMT", help="Date order when the file leaves it open: %d/%m/%Y, MM/DD/YY …")
@click.option("--currency", help="Currency of values that name none (default from the config, else USD).")
@click.option("--encoding", help="The file's text encoding when it is not UTF-8 (e.g. cp1252).")
@click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")
@click.option("--strict", is_flag=True,
              help="Rows whose amount is missing or reads only by a guessed decimal mark are bad rows.")
@click.option("--skip-bad", metavar="REJECTS.csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Import the good rows; write the bad ones here with their reasons.")
def import_command(state: Session, file: Path, preset, column_map, stage_map, create_stages, date_format, currency,
                   encoding, dry_run, strict, skip_bad) -> None:
    """Import deals from a CSV file (Pipedrive, HubSpot, Salesforce, pipetui or any other),
    or from pipetui's JSON export."""
    from pipetui.core import imports
    from pipetui.core.files import refuse_database_files
    from pipetui.core.imports.mapping import parse_pairs
    from pipetui.core.money import validate_currency

    if skip_bad is not None:
        refuse_database_files(skip_bad)  # before the check prints its plan
    options = imports.Options(
        preset=preset, column_map=parse_pairs(list(column_map), "column_map"),
        stage_map=parse_pairs(list(stage_map), "stage_map"), create_stages=create_stages,
        date_format=date_format, currency=validate_currency(currency or state.context.currency),
        encoding=encoding, skip_bad=skip_bad is not None, strict=strict,
    )
    with progress("Checking rows") as step:
        plan = imports.check(file, options, step)
    writes = not dry_run and (not plan.bad or options.skip_bad)
    _print_plan(file, plan, writes)
    if plan.bad:
        for bad in plan.bad:
            if not bad.unknown_stage:
                echo(f"line {bad.line}: {bad.reason}", err=True)
        if plan.unknown_stages:
            stage_list = ", ".join(plan.stage_names.values())
            echo("stages the pipeline does not have:", err=True)
            for spelling, rows, guess in imports.unknown_stage_guesses(plan):
                pair = shlex.quote(f"{spelling}={guess or 'STAGE'}")  # pasted into a shell: one literal word
                where = f" (--stage-map {pair})" if spelling.isprintable() else ""
                echo(f"  {spelling!r}: {count(rows, 'row')}{where}", err=True)
            echo(f"  map each with --stage-map SOURCE=STAGE (the stages: {stage_list}; or won, lost), "
                 f"or add --create-stages", err=True)
        if plan.unknown_pipelines:
            echo("pipelines the database does not have:", err=True)
            for spelling, rows in sorted(plan.unknown_pipelines.items(), key=lambda item: -item[1]):
                echo(f"  {spelling!r}: {count(rows, 'row')}", err=True)
            echo("  add each with 'pipetui pipeline add NAME --stages A,B,C' (--create-stages then adds "
                 "the stages the file names), then import again", err=True)
        if not options.skip_bad:
            refused = imports.ImportRefused(plan)
            fixes = ["fix them"] if len(refused.rows) else []
            if plan.unknown_stages:
                fixes.append("map the stages with --stage-map or add --create-stages")
            if plan.unknown_pipelines:
                fixes.append("add the pipelines with 'pipetui pipeline add'")
            fixes.append("or add --skip-bad REJECTS.csv to import the good rows and list the bad ones there")
            raise imports.ImportRefused(plan, f"{refused.counts}; nothing was imported ({', '.join(fixes)})")
    if plan.to_update:
        changes = ", ".join(f"{name} {n:,}" for name, n in plan.change_counts().most_common())
        echo(f"Updates change: {changes}")
    if dry_run:
        left_out = f"; {count(len(plan.bad), 'bad row')} left out" if plan.bad else ""
        echo("Dry run, nothing written. " + _import_counts(plan, None) + left_out)
        return
    with progress("Writing deals") as step:
        outcome = imports.commit(plan, rejects=skip_bad, progress=step)
    echo(_import_counts(plan, outcome.written))
    if outcome.rejects is not None:
        listed = "listed with its reason" if len(plan.bad) == 1 else "listed with their reasons"
        echo(f"{count(len(plan.bad), 'bad row')} left out, {listed} in {outcome.rejects}")


_EXAMPLES = 3  # amounts named in a note; the rest are counted
_LINES = 5  # line numbers named in a note


def _print_plan(file: Path, plan, writes: bool = True) -> None:
    from pipetui.core.imports.mapping import FIELDS
    from pipetui.core.text import printable

    table, mapping = plan.table, plan.mapping
    echo(f"Read {file}: {count(len(table.rows), 'row')}, {table.layout}, {table.encoding}")
    if mapping.preset == "generic":
        how = "columns guessed from the header" if mapping.detected else "as asked"
    else:
        how = "recognised from the header" if mapping.detected else "as asked"
    echo(f"Preset: {mapping.preset} ({how}); columns:")
    width = min(max((len(c.header) for c in mapping.columns), default=0), 40)
    for column in mapping.columns:
        target = FIELDS[column.field] if column.field else "(not imported)"
        origin = {"guessed": "  [guessed]", "--map": "  [--map]"}.get(column.how, "")
        echo(f"  {printable(column.header):<{width}}  -> {target}{origin}")
    if plan.dates is not None and plan.dates.evidence:
        line, example = plan.dates.evidence
        echo(f"Dates read as {plan.dates.order} (line {line} has {printable(example)})")
    for note in plan.notes:
        echo(f"Note: {note}")
    if plan.footer_rows:
        echo(f"Note: left out the footer at the end of the file ({count(plan.footer_rows, 'line')})")
    if plan.left_out_deleted:
        echo(f"Note: left out {count(plan.left_out_deleted, 'deal')} marked deleted")
    if plan.deleted_here:
        echo(f"Note: left alone {count(plan.deleted_here, 'deal')} deleted here since an earlier import")
    if plan.rounded:
        echo(f"Note: rounded {count(plan.rounded, 'value')} to their currency's smallest unit")
    _print_amount_notes(plan, writes)


def _print_amount_notes(plan, writes: bool) -> None:
    """Amounts that only a guessed decimal mark decided, and rows without an amount."""
    from pipetui.core.money import format_money
    from pipetui.core.text import printable

    guessed = plan.guessed_amounts
    if guessed:
        were = "amount was" if len(guessed) == 1 else "amounts were"
        mark = ""
        if plan.decimal_evidence is not None:
            line, example = plan.decimal_evidence
            mark = f", the one line {line} shows ({printable(example)!r}):"
        examples = ", ".join(f"{printable(text)!r} as {format_money(minor, currency)} on line {line}"
                             for line, text, minor, currency in guessed[:_EXAMPLES])
        more = ", …" if len(guessed) > _EXAMPLES else ""
        listed = f" {examples}{more}" if mark else f" ({examples}{more})"
        echo(f"Note: {len(guessed):,} {were} read with a guessed decimal mark{mark}{listed}")
    empty = plan.empty_amounts
    if empty:
        lines = ", ".join(str(line) for line in empty[:_LINES]) + (", …" if len(empty) > _LINES else "")
        one = len(empty) == 1
        rows = "row has" if one else "rows have"
        imported = ("it was" if one else "they were") if writes else ("it would be" if one else "they would be")
        echo(f"Note: {len(empty):,} {rows} no amount (line{'' if one else 's'} {lines}); "
             f"{imported} imported as 0")


def _import_counts(plan, written) -> str:
    if written is None:  # a dry run: what the plan would write
        reps, organizations, contacts = map(len, plan.new_names())
        created, updated = len(plan.to_create), len(plan.to_update)
        products = len(plan.new_products())
    else:
        reps, organizations, contacts = written.reps, written.organizations, written.contacts
        created, updated = written.created, written.updated
        products = written.products
    people = ", ".join(count(n, word) for n, word in
                       ((reps, "rep"), (organizations, "organization"), (contacts, "contact")))
    if plan.mapping.has("product"):
        people += ", " + count(products, "product")
    stages = ""
    if plan.new_stages:
        stages = "; stages " + ", ".join(f"{name} ({p} %)" for _ref, name, p in plan.new_stages)
    if written is None:
        return (f"Would create {count(created, 'deal')}, update {updated:,}, leave {plan.unchanged:,} "
                f"unchanged; new: {people}{stages}")
    return (f"Imported: {count(created, 'deal')} created, {updated:,} updated, "
            f"{plan.unchanged:,} unchanged; new: {people}{stages}")


@command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(state: Session, path: Path) -> None:
    """A consistent copy of the SQLite database, safe while the app runs."""
    from pipetui.core.export import backup as make_backup

    make_backup(path)
    echo(f"Backed up to {path}")
