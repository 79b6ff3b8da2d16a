"""Looking after the database: the demo pipeline and migrations."""

from __future__ import annotations

import click

from pipetui.cli.session import Session, command, echo, progress


@command(opens=False)
@click.option("--deals", "count", type=int, default=300, show_default=True, help="How many deals.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same pipeline.")
@click.option("--force", is_flag=True, help="Replace the deals already in the database.")
def demo(state: Session, count: int, seed: int, force: bool) -> None:
    """Fill the database with a realistic demo pipeline."""
    from pipetui.core import demo as demo_data

    state.fill_demo = False  # this command fills it, as asked
    state.open()
    with progress("Generating deals", minimum=5_000) as step:
        summary = demo_data.generate(count, seed=seed, force=force, progress=step)
    echo(
        f"Created {summary.deals:,} deals ({summary.open:,} open, {summary.won:,} won, "
        f"{summary.lost:,} lost) for {summary.reps} reps in {state.location.display()}"
    )


@command(opens=False)
def migrate(state: Session) -> None:
    """Bring the database schema up to date (opening it does this too)."""
    from pipetui.store.database import migrate as apply_migrations
    from pipetui.store.database import schema_version

    db = state.open(run_migrations=False)
    applied = apply_migrations(db)
    for name in applied:
        echo(f"applied {name}")
    echo(f"{state.location.display()}: schema up to date ({schema_version(db)[-1]})")
