"""Finding things by what a person types: ids, names and unique prefixes.

What is found comes as read models (:mod:`pipetui.core.rows`): a stage as a
:class:`~pipetui.core.rows.StageRef`, a rep as a
:class:`~pipetui.core.rows.RepRef`, a deal as a
:class:`~pipetui.core.rows.DealRow`.
"""

from __future__ import annotations

import getpass
from collections.abc import Collection

from peewee import fn

from pipetui.core.errors import Ambiguous, InvalidInput, NotFound
from pipetui.core.rows import DealRow, RepRef, StageRef, deal_query, fetch, id_of, rep_ref, stage_ref, to_deal_row
from pipetui.core.text import parse_whole_number
from pipetui.store import Deal, Pipeline, Rep, Stage

_MAX_LISTED = 10


def default_pipeline() -> Pipeline:
    """The first pipeline not archived (the one made with the database, unless archived)."""
    pipeline = Pipeline.select().where(Pipeline.archived_at.is_null()).order_by(Pipeline.id).first()
    if pipeline is None:
        raise NotFound("the database has no pipeline")
    return pipeline


def stages(pipeline: Pipeline | int | None = None) -> list[StageRef]:
    """The stages of ``pipeline`` (a pipeline or its id; the default one when
    None), in order; removed stages are left out."""
    pipeline_id = id_of(pipeline) if pipeline is not None else default_pipeline().id
    return [stage_ref(s) for s in Stage.select().where(Stage.pipeline == pipeline_id, Stage.removed_at.is_null())
            .order_by(Stage.position, Stage.id)]


def all_stages() -> list[StageRef]:
    """The stages of every pipeline not archived, pipeline by pipeline, in order."""
    return [stage_ref(s) for s in Stage.select().join(Pipeline)
            .where(Stage.removed_at.is_null(), Pipeline.archived_at.is_null())
            .order_by(Pipeline.id, Stage.position, Stage.id)]


def pipelines(*, include_archived: bool = False) -> list[Pipeline]:
    """The pipelines, oldest first (the default one first)."""
    query = Pipeline.select().order_by(Pipeline.id)
    if not include_archived:
        query = query.where(Pipeline.archived_at.is_null())
    return list(query)


def resolve_pipeline(text: str, *, include_archived: bool = False) -> Pipeline:
    """A pipeline by case-insensitive name or unique prefix."""
    return _pick(text, pipelines(include_archived=include_archived), lambda p: p.name, "pipeline",
                 "the pipelines are")


def _pick(text: str, candidates: list, name_of, what: str, plural: str):
    """Exact case-insensitive match first, then a unique prefix."""
    wanted = text.strip().casefold()
    if not wanted:
        raise InvalidInput(f"no {what} given")
    exact = [c for c in candidates if name_of(c).casefold() == wanted]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [c for c in candidates if name_of(c).casefold().startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(name_of(c) for c in candidates)
    if not matches:
        raise NotFound(f"no {what} {text.strip()!r}; {plural}: {names}")
    listed = ", ".join(name_of(c) for c in matches)
    raise Ambiguous(f"{what} {text.strip()!r} is ambiguous: {listed}")


def resolve_stage(text: str, pipeline: Pipeline | int | None = None) -> StageRef:
    """A stage by case-insensitive name or unique prefix (``prop`` -> Proposal)."""
    return _pick(text, stages(pipeline), lambda s: s.name, "stage", "the stages are")


def resolve_rep(text: str) -> RepRef:
    """A rep by case-insensitive name, unique name prefix or login name."""
    reps = [rep_ref(r) for r in Rep.select().order_by(Rep.name)]
    wanted = text.strip().casefold()
    by_login = [r for r in reps if r.username and r.username.casefold() == wanted]
    if len(by_login) == 1:
        return by_login[0]
    if not reps:
        raise NotFound(f"no rep {text.strip()!r}: there are no reps yet (add one with 'pipetui rep add NAME')")
    return _pick(text, reps, lambda r: r.name, "rep", "the reps are")


def resolve_deal(text: str | int, *, include_deleted: bool = False,
                 acting_on: Collection[str] | None = None) -> DealRow:
    """A deal by id (``42`` or ``#42``), exact title, or unique title prefix.

    ``acting_on``: the statuses the caller can act on (``("open",)`` to win,
    lose or move a deal; ``("won", "lost")`` to reopen one). When a title
    matches several deals and exactly one of them has such a status, that
    one is meant. An id is always taken as given. An ambiguous reference
    lists the candidates with their ids, statuses and stages.
    """
    ref = str(text).strip()
    if not ref:
        raise InvalidInput("no deal given")
    live = Deal.deleted_at.is_null(True) if not include_deleted else True
    digits = ref.removeprefix("#")
    if digits.isascii() and digits.isdigit():  # ASCII: "١٢" is a title, as an import reads it
        try:
            deal_id = parse_whole_number(digits, "deal id")
        except InvalidInput:  # past any id the database can hold: no deal has it
            deal_id = None
        found = _deals(deal_query().where(Deal.id == deal_id, live)) if deal_id is not None else []
        if found:
            return found[0]
        if ref.startswith("#"):
            raise NotFound(f"no deal #{digits}")
    # The deals the caller can act on first, so that the limit never leaves them out.
    order = [Deal.status.in_(list(acting_on)).desc()] if acting_on else []
    folded = ref.casefold()
    exact = _deals(deal_query().where(Deal.title == ref, live).order_by(*order, Deal.id).limit(_MAX_LISTED + 1))
    if len(exact) == 1:
        return exact[0]
    # substr/lower rather than LIKE: LIKE's escaping differs between SQLite and PostgreSQL.
    prefix = fn.lower(fn.substr(Deal.title, 1, len(ref)))
    matches = exact or _deals(
        deal_query()
        .where(prefix == ref.lower(), live)
        .order_by(*order, Deal.title, Deal.id)
        .limit(_MAX_LISTED + 1)
    )
    matches = [d for d in matches if d.title.casefold().startswith(folded)] or matches
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(f"no deal matches {ref!r} (give its id or the start of its title)")
    if acting_on:
        actionable = [d for d in matches if d.status in acting_on]
        if len(actionable) == 1:
            return actionable[0]
        matches = actionable or matches
    listed = "; ".join(f"#{d.id} {d.title} ({d.status}, {d.stage})" for d in matches[:_MAX_LISTED])
    more = " and more" if len(matches) > _MAX_LISTED else ""
    raise Ambiguous(f"{ref!r} matches several deals: {listed}{more}; give the id")


def _deals(query) -> list[DealRow]:
    return [to_deal_row(row) for row in fetch(query)]


def resolve_actor(name: str | None, configured: str | None = None) -> RepRef | None:
    """Who is acting: ``--as``, else ``me`` from the config, else the login name.

    An explicit name that matches no rep is an error; an unknown login name
    means nobody in particular (None).
    """
    for explicit in (name, configured):
        if explicit:
            return resolve_rep(explicit)
    try:
        login = getpass.getuser()
    except (OSError, KeyError):
        return None
    found = Rep.select().where(Rep.username == login).first()
    return rep_ref(found) if found is not None else None


def search_open_deals(text: str, limit: int = 20) -> list[tuple[int, str, str]]:
    """Open deals whose title contains ``text`` (any case), titles that start
    with it first: (id, title, stage name) for the "go to deal" palette."""
    from pipetui.store.database import text_contains

    needle = text.strip().lower()
    if not needle:
        return []
    title = fn.lower(Deal.title)
    starts = fn.substr(title, 1, len(needle)) == needle
    query = (
        Deal.select(Deal.id, Deal.title, Stage.name)
        .join(Stage, on=(Deal.stage == Stage.id))
        .where(Deal.status == "open", Deal.deleted_at.is_null(), text_contains(title, needle))
        .order_by(starts.desc(), Deal.value.desc())
        .limit(limit)
    )
    return list(query.tuples())
