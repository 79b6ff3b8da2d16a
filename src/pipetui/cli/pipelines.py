"""Shaping the pipelines: ``stage`` and ``pipeline`` with their verbs, and
``move-pipeline`` for a deal."""

from __future__ import annotations

import click

from pipetui.cli.session import FriendlyGroup, Listing, Session, command, echo, list_options

PIPELINE_OPTION = click.option("--pipeline", "-P", "pipeline", metavar="PIPELINE",
                               help="The pipeline (name or prefix; default: the first one).")


def _place_options(command_function):
    for option in reversed((
        click.option("--after", metavar="STAGE", help="Right after this stage."),
        click.option("--before", metavar="STAGE", help="Right before this stage."),
        click.option("--position", metavar="N", help="At this place, 1 for the first."),
    )):
        command_function = option(command_function)
    return command_function


def _rot_text(days: int | None) -> str:
    return f"rots after {days} days" if days else "never rots"


@click.group(cls=FriendlyGroup)
def stage() -> None:
    """A pipeline's stages: add, rename, move, set, delete, list."""


@command(name="list", parent=stage)
@PIPELINE_OPTION
@list_options
def stage_list(state: Session, pipeline: str | None, listing: Listing) -> None:
    """List the stages with their default win probability and rotting days."""
    show_stages(state, pipeline, listing)


def show_stages(state: Session, pipeline: str | None, listing: Listing) -> None:
    """The stages of one pipeline (``stages`` and ``stage list``). The
    rotting days shown are those in force: a config's [rotting_days] wins
    on this machine, and the text says so."""
    from pipetui.core import lookup
    from pipetui.core.stages import open_deal_counts, pipeline_of, stage_json

    chosen = pipeline_of(pipeline)
    found = lookup.stages(chosen)
    counts = open_deal_counts([s.id for s in found])
    rules = state.context.rules
    width = max((len(s.name) for s in found), default=0)

    def line(s) -> str:
        in_force = rules.rotting_days(s.id, s.rotting_days)
        rot = _rot_text(in_force)
        if in_force != s.rotting_days:
            rot += f" (config; the stage's own: {s.rotting_days or 'never'})"
        return f"{s.position + 1}. {s.name:<{width}} {s.probability:>3}%  {rot}"

    listing.emit(found, text=line, key="name", to_json=lambda s: {
        **stage_json(s, chosen.name, counts.get(s.id, 0)),
        "rotting_days": rules.rotting_days(s.id, s.rotting_days), "stage_rotting_days": s.rotting_days},
        empty=f"Pipeline {chosen.name} has no stages; add one with "
              f"'pipetui stage add NAME --pipeline \"{chosen.name}\"'.")


@command(name="add", parent=stage)
@click.argument("name")
@_place_options
@click.option("--probability", metavar="PERCENT", help="Default win probability (default: its neighbours').")
@click.option("--rotting-days", metavar="DAYS", help="Days without activity before a deal rots (or 'never').")
@PIPELINE_OPTION
def stage_add(state: Session, name: str, after, before, position, probability, rotting_days, pipeline) -> None:
    """Add a stage NAME (last, unless --after, --before or --position)."""
    from pipetui.core import stages

    added = stages.add_stage(name, pipeline=pipeline, after=after, before=before, position=position,
                             probability=probability, rotting_days=rotting_days)
    echo(f"Added stage {added.name} at {added.position + 1} ({added.probability}%, "
         f"{_rot_text(added.rotting_days)})")


@command(name="rename", parent=stage)
@click.argument("name")
@click.argument("new_name")
@PIPELINE_OPTION
def stage_rename(state: Session, name: str, new_name: str, pipeline) -> None:
    """Rename stage NAME to NEW_NAME (its deals and history follow)."""
    from pipetui.core import lookup, stages

    old = lookup.resolve_stage(name, stages.pipeline_of(pipeline)).name
    renamed = stages.rename_stage(name, new_name, pipeline=pipeline)
    echo(f"Renamed stage {old} to {renamed.name}")


@command(name="move", parent=stage)
@click.argument("name")
@_place_options
@PIPELINE_OPTION
def stage_move(state: Session, name: str, after, before, position, pipeline) -> None:
    """Move stage NAME to another place in the order."""
    from pipetui.core import stages

    moved = stages.move_stage(name, pipeline=pipeline, after=after, before=before, position=position)
    echo(f"Moved stage {moved.name} to {moved.position + 1}")


@command(name="set", parent=stage)
@click.argument("name")
@click.option("--probability", metavar="PERCENT", help="Default win probability.")
@click.option("--rotting-days", metavar="DAYS", help="Days without activity before a deal rots (or 'never').")
@PIPELINE_OPTION
def stage_set(state: Session, name: str, probability, rotting_days, pipeline) -> None:
    """Set stage NAME's default win probability or rotting days."""
    from pipetui.core import stages

    given = {"rotting_days": rotting_days} if rotting_days is not None else {}
    changed = stages.set_stage(name, pipeline=pipeline, probability=probability, **given)
    echo(f"Stage {changed.name}: {changed.probability}%, {_rot_text(changed.rotting_days)}")


@command(name="delete", parent=stage)
@click.argument("name")
@click.option("--to", "to", metavar="STAGE", help="Move the stage's deals to this stage first.")
@PIPELINE_OPTION
def stage_delete(state: Session, name: str, to: str | None, pipeline) -> None:
    """Delete stage NAME; refused while deals are in it, unless --to says where they go."""
    from pipetui.cli.session import count
    from pipetui.core import stages

    removed, moved = stages.delete_stage(name, pipeline=pipeline, to=to, actor=state.actor())
    where = f"; moved {count(moved, 'deal')} to {to}" if moved else ""
    echo(f"Deleted stage {removed.name}{where}")


@click.group(cls=FriendlyGroup)
def pipeline() -> None:
    """Pipelines: add, rename, archive, restore, list; move a deal to one."""


@command(name="list", parent=pipeline)
@click.option("--all", "include_archived", is_flag=True, help="The archived ones too.")
@list_options
def pipeline_list(state: Session, include_archived: bool, listing: Listing) -> None:
    """List the pipelines with their stages and open deals."""
    from pipetui.cli.session import count
    from pipetui.core import stages

    def line(p) -> str:
        archived = "  (archived)" if p.archived else ""
        return f"{p.name:<24} {count(p.stages, 'stage'):>10} {count(p.open_deals, 'open deal'):>16}{archived}"

    listing.emit(stages.pipeline_list(include_archived=include_archived), text=line, key="name",
                 to_json=lambda p: p.as_json())


@command(name="add", parent=pipeline)
@click.argument("name")
@click.option("--stages", "stage_names", metavar="A,B,C", help="Its stages, in order (or add them later).")
def pipeline_add(state: Session, name: str, stage_names: str | None) -> None:
    """Add a pipeline NAME."""
    from pipetui.core import stages

    names = [n for n in stage_names.split(",")] if stage_names is not None else []
    added = stages.add_pipeline(name, stages=names)
    echo(f"Added pipeline {added.name}" + (f" with {len(names)} stages" if names else ""))


@command(name="rename", parent=pipeline)
@click.argument("name")
@click.argument("new_name")
def pipeline_rename(state: Session, name: str, new_name: str) -> None:
    """Rename pipeline NAME to NEW_NAME."""
    from pipetui.core import stages

    old = stages.pipeline_of(name, include_archived=True).name
    renamed = stages.rename_pipeline(name, new_name)
    echo(f"Renamed pipeline {old} to {renamed.name}")


@command(name="archive", parent=pipeline)
@click.argument("name")
def pipeline_archive(state: Session, name: str) -> None:
    """Archive pipeline NAME (refused while it holds open deals, or if it is the last one)."""
    from pipetui.core import stages

    echo(f"Archived pipeline {stages.archive_pipeline(name).name}")


@command(name="restore", parent=pipeline)
@click.argument("name")
def pipeline_restore(state: Session, name: str) -> None:
    """Bring archived pipeline NAME back."""
    from pipetui.core import stages

    echo(f"Restored pipeline {stages.restore_pipeline(name).name}")


@command(name="move-pipeline")
@click.argument("deal")
@click.argument("pipeline_name", metavar="PIPELINE")
@click.option("--stage", "-s", help="The stage there (default: the one of the same name, else the first).")
def move_pipeline(state: Session, deal: str, pipeline_name: str, stage: str | None) -> None:
    """Move DEAL to another PIPELINE; its history goes with it."""
    from pipetui.core import lookup, stages

    found = lookup.resolve_deal(deal, acting_on=("open", "won", "lost"))
    moved = stages.move_deal_to_pipeline(found.id, pipeline_name, stage=stage, actor=state.actor())
    target = stages.pipeline_of(moved.pipeline_id)
    echo(f"Moved #{moved.id} {moved.title} to {target.name}, stage {moved.stage}")


pipeline.add_command(move_pipeline, name="move")
