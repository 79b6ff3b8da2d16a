"""Shaping the pipelines: their stages (add, rename, reorder, probability,
rotting days, remove) and the pipelines themselves (add, rename, archive),
and moving a deal from one pipeline to another.

Stages and pipelines live in the database, so a team shares them. Each
service is one transaction and refuses bad input with one
:class:`~pipetui.core.errors.InvalidInput` before writing anything. Stages
and pipelines are named as a person types them (a case-insensitive name or
a unique prefix, see :mod:`pipetui.core.lookup`); names are unique per
pipeline, compared without regard to case.

A removed stage stays as a row, out of every list, so that the history of
the deals that passed through it still names it (migration 0009).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import fn

from pipetui.core import lookup
from pipetui.core.deals import _check_stage, _locked_deal, _record_change, _save, change_time
from pipetui.core.errors import InvalidInput, NotFound
from pipetui.core.rows import DealRow, RepRef, StageRef, id_of, stage_ref
from pipetui.core.text import clean_line, parse_probability, parse_whole_number
from pipetui.store import OPEN, Deal, FieldChange, Pipeline, Rep, Stage
from pipetui.store import database_proxy as db

NAME_MAX_LENGTH = 100
ROTTING_MAX_DAYS = 365  # as in the config's [rotting_days]
_UNSET: Any = object()


@dataclass(frozen=True)
class PipelineRef:
    """A pipeline with what its list shows."""

    id: int
    name: str
    archived: bool
    stages: int  # not removed
    open_deals: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "archived": self.archived, "stages": self.stages,
                "open_deals": self.open_deals}


def stage_json(stage: StageRef, pipeline_name: str, open_deals: int) -> dict[str, Any]:
    return {"id": stage.id, "name": stage.name, "position": stage.position + 1,
            "probability": stage.probability, "rotting_days": stage.rotting_days,
            "pipeline": pipeline_name, "open_deals": open_deals}


# --- reading -----------------------------------------------------------------


def pipeline_of(pipeline: str | Pipeline | int | None, *, include_archived: bool = False) -> Pipeline:
    """The pipeline named (a name or unique prefix), given, or the default one."""
    if pipeline is None:
        return lookup.default_pipeline()
    if isinstance(pipeline, str):
        return lookup.resolve_pipeline(pipeline, include_archived=include_archived)
    found = Pipeline.get_or_none(Pipeline.id == id_of(pipeline))
    if found is None:
        raise NotFound(f"no pipeline #{id_of(pipeline)}")
    return found


def open_deal_counts(stage_ids: list[int]) -> dict[int, int]:
    """Open live deals per stage, in one grouped query."""
    if not stage_ids:
        return {}
    query = (Deal.select(Deal.stage, fn.COUNT(Deal.id))
             .where(Deal.stage.in_(stage_ids), Deal.status == OPEN, Deal.deleted_at.is_null())
             .group_by(Deal.stage))
    return {stage_id: count for stage_id, count in query.tuples()}


def pipeline_list(*, include_archived: bool = False) -> list[PipelineRef]:
    """The pipelines with their number of stages and open deals."""
    found = lookup.pipelines(include_archived=include_archived)
    stage_counts = dict(Stage.select(Stage.pipeline, fn.COUNT(Stage.id)).where(Stage.removed_at.is_null())
                        .group_by(Stage.pipeline).tuples())
    deal_counts = dict(Deal.select(Deal.pipeline, fn.COUNT(Deal.id))
                       .where(Deal.status == OPEN, Deal.deleted_at.is_null()).group_by(Deal.pipeline).tuples())
    return [PipelineRef(p.id, p.name, p.archived_at is not None, stage_counts.get(p.id, 0),
                        deal_counts.get(p.id, 0)) for p in found]


# --- checks ------------------------------------------------------------------


def _name(text: str, what: str) -> str:
    return clean_line(text or "", what, max_length=NAME_MAX_LENGTH)


def _check_free_stage_name(name: str, pipeline: Pipeline, *, but: int | None = None) -> None:
    for stage in lookup.stages(pipeline):
        if stage.name.casefold() == name.casefold() and stage.id != but:
            raise InvalidInput(f"pipeline {pipeline.name!r} already has a stage {stage.name!r}")


def parse_rotting_days(text: str | int | None) -> int | None:
    """Days without activity before a deal rots: 1 to 365; ``never``, ``0``
    or an empty text: it never rots (None)."""
    if text is None:
        return None
    shown = str(text).strip()
    if shown.casefold() in ("", "never", "0", "-"):
        return None
    return parse_whole_number(shown, "rotting days", minimum=1, maximum=ROTTING_MAX_DAYS)


def _place(ordered: list[StageRef], *, after: str | None, before: str | None, position: int | None,
           pipeline: Pipeline, moving: int | None = None) -> int:
    """The index (0-based) a stage goes to among ``ordered`` (which holds
    not the stage being moved); the end when nothing is said."""
    given = [name for name, value in (("--after", after), ("--before", before), ("--position", position))
             if value is not None]
    if len(given) > 1:
        raise InvalidInput(f"give one of --after, --before and --position, not {' and '.join(given)}")
    if after is not None or before is not None:
        anchor = lookup.resolve_stage(after if after is not None else before, pipeline)
        if anchor.id == moving:
            raise InvalidInput(f"a stage cannot go {'after' if after is not None else 'before'} itself")
        index = next(i for i, s in enumerate(ordered) if s.id == anchor.id)
        return index + 1 if after is not None else index
    if position is not None:
        number = parse_whole_number(position, "position", minimum=1)
        if number > len(ordered) + 1:
            raise InvalidInput(f"position {number} is past the end: pipeline {pipeline.name!r} "
                               f"has {len(ordered) + (moving is not None)} stages")
        return number - 1
    return len(ordered)


def _renumber(stage_ids: list[int]) -> None:
    """Positions 0, 1, 2 … in the order given."""
    for position, stage_id in enumerate(stage_ids):
        Stage.update(position=position).where(Stage.id == stage_id, Stage.position != position).execute()


def _probability(text, default: int) -> int:
    return default if text is None else parse_probability(text)


# --- stages ------------------------------------------------------------------


def add_stage(name: str, *, pipeline: str | Pipeline | int | None = None, after: str | None = None,
              before: str | None = None, position: int | str | None = None,
              probability: int | str | None = None, rotting_days: int | str | None = None) -> StageRef:
    """Add a stage at a place (after or before a stage, at a 1-based
    position, else last). Without a probability it takes its neighbours'
    mean (the one before's when last, the one after's when first)."""
    name = _name(name, "stage name")
    rotting = parse_rotting_days(rotting_days)
    with db.atomic():
        chosen = pipeline_of(pipeline)
        _check_free_stage_name(name, chosen)
        ordered = lookup.stages(chosen)
        index = _place(ordered, after=after, before=before, position=position, pipeline=chosen)
        neighbours = [s.probability for s in ordered[max(index - 1, 0):index + 1]]
        default = round(sum(neighbours) / len(neighbours)) if neighbours else 0
        chance = _probability(probability, default)
        stage = Stage.create(pipeline=chosen.id, name=name, position=index, probability=chance,
                             rotting_days=rotting)
        ids = [s.id for s in ordered]
        ids.insert(index, stage.id)
        _renumber(ids)
        return stage_ref(Stage.get_by_id(stage.id))


def rename_stage(stage: str, new_name: str, *, pipeline: str | Pipeline | int | None = None) -> StageRef:
    """Give a stage another name; its deals and history follow (they hold its id)."""
    new_name = _name(new_name, "stage name")
    with db.atomic():
        chosen = pipeline_of(pipeline)
        found = lookup.resolve_stage(stage, chosen)
        _check_free_stage_name(new_name, chosen, but=found.id)
        if found.name == new_name:
            raise InvalidInput(f"stage {found.name!r} already has that name")
        Stage.update(name=new_name).where(Stage.id == found.id).execute()
        return stage_ref(Stage.get_by_id(found.id))


def move_stage(stage: str, *, pipeline: str | Pipeline | int | None = None, after: str | None = None,
               before: str | None = None, position: int | str | None = None) -> StageRef:
    """Put a stage at another place in its pipeline's order."""
    with db.atomic():
        chosen = pipeline_of(pipeline)
        found = lookup.resolve_stage(stage, chosen)
        if after is None and before is None and position is None:
            raise InvalidInput("say where the stage goes: --after STAGE, --before STAGE or --position N")
        others = [s for s in lookup.stages(chosen) if s.id != found.id]
        index = _place(others, after=after, before=before, position=position, pipeline=chosen, moving=found.id)
        ids = [s.id for s in others]
        ids.insert(index, found.id)
        _renumber(ids)
        return stage_ref(Stage.get_by_id(found.id))


def set_stage(stage: str, *, pipeline: str | Pipeline | int | None = None, probability: Any = _UNSET,
              rotting_days: Any = _UNSET) -> StageRef:
    """Set a stage's default win probability and its rotting days (None or
    ``never``: it never rots)."""
    changes: dict[str, Any] = {}
    if probability is not _UNSET and probability is not None:
        changes["probability"] = parse_probability(probability)
    if rotting_days is not _UNSET:
        changes["rotting_days"] = parse_rotting_days(rotting_days)
    if not changes:
        raise InvalidInput("nothing to set: give a probability or rotting days")
    with db.atomic():
        found = lookup.resolve_stage(stage, pipeline_of(pipeline))
        Stage.update(**changes).where(Stage.id == found.id).execute()
        return stage_ref(Stage.get_by_id(found.id))


def delete_stage(stage: str, *, pipeline: str | Pipeline | int | None = None, to: str | None = None,
                 actor: RepRef | Rep | None = None) -> tuple[StageRef, int]:
    """Remove a stage from its pipeline. Refused while deals are in it,
    unless ``to`` names a stage of the same pipeline: then its deals (open,
    won or lost) move there in the same transaction, each with a stage
    change in its history. Returns the removed stage and how many deals moved.
    A pipeline keeps at least one stage."""
    with db.atomic():
        chosen = pipeline_of(pipeline)
        found = lookup.resolve_stage(stage, chosen)
        target = lookup.resolve_stage(to, chosen) if to is not None else None
        if target is not None and target.id == found.id:
            raise InvalidInput(f"the deals of {found.name!r} cannot move to the stage being deleted")
        ordered = lookup.stages(chosen)
        if len(ordered) == 1:
            raise InvalidInput(f"{found.name!r} is the only stage of pipeline {chosen.name!r}; "
                               "a pipeline keeps at least one")
        held = list(Deal.select(Deal.id).where(Deal.stage == found.id, Deal.deleted_at.is_null())
                    .order_by(Deal.id).tuples())
        if held and target is None:
            word = "deal is" if len(held) == 1 else "deals are"
            raise InvalidInput(f"{len(held):,} {word} in stage {found.name!r}; give a stage to move them "
                               "to (--to STAGE) or move them first")
        for (deal_id,) in held:
            _move_to_stage(deal_id, target, actor=actor)
        # Deals deleted earlier follow too, so that restoring one never brings back a removed stage.
        Deal.update(stage=target.id if target else ordered[0].id).where(
            Deal.stage == found.id, Deal.deleted_at.is_null(False)).execute()
        now = change_time()
        Stage.update(removed_at=now).where(Stage.id == found.id).execute()
        _renumber([s.id for s in ordered if s.id != found.id])
        return found, len(held)


def _move_to_stage(deal_id: int, target: StageRef, *, actor) -> DealRow:
    """Move a deal of any status into ``target`` (its stage is going away),
    with a stage change in its history; rules do not fire: the deal is not
    entering the stage by a step of the sale."""
    deal = _locked_deal(deal_id, None)
    now = change_time()
    changes: dict[str, Any] = {"stage": target.id}
    if deal.status == OPEN:
        changes["stage_entered_at"] = now
    before = deal
    after = _save(deal, changes, now)
    _record_change(deal_id, before.stage_id, target, before.status, after.status, actor, now, before, after)
    return after


# --- pipelines ---------------------------------------------------------------


def _check_free_pipeline_name(name: str, *, but: int | None = None) -> None:
    for existing in lookup.pipelines(include_archived=True):
        if existing.name.casefold() == name.casefold() and existing.id != but:
            archived = " (archived)" if existing.archived_at is not None else ""
            raise InvalidInput(f"there is already a pipeline {existing.name!r}{archived}")


def add_pipeline(name: str, *, stages: list[str] | None = None) -> Pipeline:
    """A new pipeline, with the given stages in order (none: add them later);
    their default probabilities climb evenly (3 stages: 25, 50, 75 %)."""
    name = _name(name, "pipeline name")
    names = [_name(s, "stage name") for s in (stages or [])]
    folded = [n.casefold() for n in names]
    twice = next((n for i, n in enumerate(names) if n.casefold() in folded[:i]), None)
    if twice is not None:
        raise InvalidInput(f"stage {twice!r} is named twice")
    with db.atomic():
        _check_free_pipeline_name(name)
        pipeline = Pipeline.create(name=name, created_at=change_time())
        for position, stage in enumerate(names):
            Stage.create(pipeline=pipeline.id, name=stage, position=position,
                         probability=round(100 * (position + 1) / (len(names) + 1)), rotting_days=None)
    return pipeline


def rename_pipeline(pipeline: str, new_name: str) -> Pipeline:
    new_name = _name(new_name, "pipeline name")
    with db.atomic():
        found = pipeline_of(pipeline, include_archived=True)
        _check_free_pipeline_name(new_name, but=found.id)
        if found.name == new_name:
            raise InvalidInput(f"pipeline {found.name!r} already has that name")
        Pipeline.update(name=new_name).where(Pipeline.id == found.id).execute()
        return Pipeline.get_by_id(found.id)


def archive_pipeline(pipeline: str) -> Pipeline:
    """Take a pipeline out of the board's switch and the lists; its deals
    keep their rows and history. Refused for the last pipeline in use and
    while it holds open deals (they would vanish from every board)."""
    with db.atomic():
        found = pipeline_of(pipeline)
        if len(lookup.pipelines()) == 1:
            raise InvalidInput(f"{found.name!r} is the only pipeline in use; add another before archiving it")
        open_deals = Deal.select().where(Deal.pipeline == found.id, Deal.status == OPEN,
                                         Deal.deleted_at.is_null()).count()
        if open_deals:
            word = "deal" if open_deals == 1 else "deals"
            raise InvalidInput(f"pipeline {found.name!r} has {open_deals:,} open {word}; move or close them "
                               "before archiving it")
        Pipeline.update(archived_at=change_time()).where(Pipeline.id == found.id).execute()
        return Pipeline.get_by_id(found.id)


def restore_pipeline(pipeline: str) -> Pipeline:
    """Bring an archived pipeline back."""
    with db.atomic():
        found = lookup.resolve_pipeline(pipeline, include_archived=True)
        if found.archived_at is None:
            raise InvalidInput(f"pipeline {found.name!r} is not archived")
        Pipeline.update(archived_at=None).where(Pipeline.id == found.id).execute()
        return Pipeline.get_by_id(found.id)


def move_deal_to_pipeline(deal_id: int, pipeline: str | Pipeline | int, *, stage: str | None = None,
                          expected_version: int | None = None,
                          actor: RepRef | Rep | None = None) -> DealRow:
    """Move a deal to another pipeline: into ``stage`` when given, else the
    stage of the same name there, else its first stage. The move is a stage
    change in its history (and a field change of its pipeline), its status
    stays."""
    with db.atomic():
        deal = _locked_deal(deal_id, expected_version)
        target_pipeline = pipeline_of(pipeline)
        if target_pipeline.id == deal.pipeline_id:
            raise InvalidInput(f"deal #{deal.id} is already in pipeline {target_pipeline.name!r}")
        ordered = lookup.stages(target_pipeline)
        if not ordered:
            raise InvalidInput(f"pipeline {target_pipeline.name!r} has no stages yet; add one with "
                               f"'pipetui stage add NAME --pipeline \"{target_pipeline.name}\"'")
        if stage is not None:
            target = _check_stage(lookup.resolve_stage(stage, target_pipeline), target_pipeline.id)
        else:
            same = [s for s in ordered if s.name.casefold() == (deal.stage or "").casefold()]
            target = same[0] if same else ordered[0]
        now = change_time()
        before = deal
        changes: dict[str, Any] = {"pipeline": target_pipeline.id, "stage": target.id, "last_activity_at": now}
        if deal.status == OPEN:
            changes["stage_entered_at"] = now
        after = _save(deal, changes, now)
        # No saved states: undo restores a stage within one pipeline, and this is not one.
        _record_change(deal.id, before.stage_id, target, before.status, after.status, actor, now)
        old_name = Pipeline.get_by_id(before.pipeline_id).name
        FieldChange.create(deal=deal.id, field="pipeline", old_value=old_name, new_value=target_pipeline.name,
                           changed_at=now, changed_by=id_of(actor))
        return after

