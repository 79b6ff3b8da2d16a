"""Custom fields: ``pipetui field add|rename|set|delete|list`` to define
them, ``pipetui set DEALS… FIELD=VALUE…`` to fill them in."""

from __future__ import annotations

import click

from pipetui.cli.deals import ANY_STATUS, OPEN_ONLY, bulk_options, chosen_deals
from pipetui.cli.session import FriendlyGroup, Listing, Session, command, echo, list_options
from pipetui.core.errors import InvalidInput

ENTITY_CHOICES = ["deal", "organization", "contact"]
TYPE_CHOICES = ["text", "number", "money", "date", "choice", "multi", "checkbox"]


def _entity_option(command_function):
    return click.option("--entity", "-e", type=click.Choice(ENTITY_CHOICES), default="deal", show_default=True,
                        help="Whose field: deals', organizations' or contacts'.")(command_function)


def _describe(field) -> str:
    """``Source (choice: Web, Referral, Event; required; pipeline Sales; on cards)``."""
    parts = [f"{field.type}: {', '.join(field.choices)}" if field.choices else field.type]
    if field.required:
        parts.append("required")
    if field.entity == "deal":
        parts.append(f"pipeline {field.pipeline}" if field.pipeline else "every pipeline")
    if field.on_card:
        parts.append("on cards")
    return f"{field.name} ({'; '.join(parts)})"


@click.group(cls=FriendlyGroup, invoke_without_command=True)
@click.pass_context
def field(ctx: click.Context) -> None:
    """Custom fields of deals, organizations and contacts."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(field_list)


@command(name="list", parent=field)
@click.option("--entity", "-e", type=click.Choice(ENTITY_CHOICES), help="Only the fields of these records.")
@list_options
def field_list(state: Session, entity: str | None, listing: Listing) -> None:
    """List the custom fields."""
    from pipetui.core import fields

    listing.emit(fields.definitions(entity), to_json=lambda f: f.as_json(), key="name",
                 text=lambda f: f"{f.entity:<12} {f.key:<20} {_describe(f)}", empty="No custom fields.")


@command(name="add", parent=field)
@click.argument("name")
@click.option("--type", "-t", "type_", type=click.Choice(TYPE_CHOICES), default="text", show_default=True)
@click.option("--choices", help="For choice and multi: the choices, comma-separated (Web,Referral,Event).")
@click.option("--pipeline", "-p", help="Only the deals of this pipeline (default: every pipeline).")
@click.option("--required", is_flag=True, help="A deal cannot be added or saved without it.")
@click.option("--on", "on", type=click.Choice(["cards"]), help="Show it on the board's cards (two at most).")
@_entity_option
def field_add(state: Session, name: str, type_: str, choices, pipeline, required: bool, on, entity: str) -> None:
    """Define a custom field NAME."""
    from pipetui.core import fields

    added = fields.add_field(name, type_, entity=entity, choices=choices, required=required,
                             pipeline=pipeline, on_card=on == "cards")
    echo(f"Added {added.entity} field {_describe(added)}")


@command(name="rename", parent=field)
@click.argument("name")
@click.argument("new_name")
@_entity_option
def field_rename(state: Session, name: str, new_name: str, entity: str) -> None:
    """Rename field NAME to NEW_NAME; its values and history stay."""
    from pipetui.core import fields

    before = fields.resolve_field(name, entity)
    renamed = fields.rename_field(name, new_name, entity=entity)
    echo(f"Renamed {before.name} to {renamed.name}")


@command(name="set", parent=field)
@click.argument("name")
@click.option("--type", "-t", "type_", type=click.Choice(TYPE_CHOICES),
              help="Another type; refused when a value would not fit it.")
@click.option("--choices", help="The choices, comma-separated; refused when a value is no longer one.")
@click.option("--required/--optional", default=None, help="Whether a deal needs it.")
@click.option("--pipeline", "-p", help="Only the deals of this pipeline.")
@click.option("--all-pipelines", is_flag=True, help="The deals of every pipeline.")
@click.option("--on", "on", type=click.Choice(["cards"]), help="Show it on the board's cards.")
@click.option("--off", "off", type=click.Choice(["cards"]), help="Stop showing it on the cards.")
@_entity_option
def field_set(state: Session, name: str, type_, choices, required, pipeline, all_pipelines: bool, on, off,
              entity: str) -> None:
    """Change field NAME's type, choices, requirement, pipeline or place on cards."""
    from pipetui.core import fields
    from pipetui.core.errors import InvalidInput

    changes = {}
    if type_ is not None:
        changes["type_"] = type_
    if choices is not None:
        changes["choices"] = choices
    if required is not None:
        changes["required"] = required
    if pipeline and all_pipelines:
        raise InvalidInput("give --pipeline or --all-pipelines, not both")
    if pipeline:
        changes["pipeline"] = pipeline
    if all_pipelines:
        changes["pipeline"] = None
    if on and off:
        raise InvalidInput("give --on cards or --off cards, not both")
    if on or off:
        changes["on_card"] = bool(on)
    if not changes:
        raise InvalidInput("nothing to change: give --type, --choices, --required, --optional, "
                           "--pipeline, --all-pipelines, --on cards or --off cards")
    changed = fields.change_field(name, entity=entity, default_currency=state.context.currency, **changes)
    echo(f"Changed {_describe(changed)}")


@command(name="delete", parent=field)
@click.argument("name")
@click.option("--force", is_flag=True, help="Delete it even though it holds values (they go with it).")
@_entity_option
def field_delete(state: Session, name: str, force: bool, entity: str) -> None:
    """Delete field NAME (its values go too; their history stays)."""
    from pipetui.core import fields

    gone, held = fields.delete_field(name, entity=entity, force=force)
    with_values = f" and its {held} value{'s' if held != 1 else ''}" if held else ""
    echo(f"Deleted field {gone.name}{with_values}")


@command(name="set")
@click.argument("items", nargs=-1, required=True, metavar="DEALS... FIELD=VALUE...")
@bulk_options
def set_command(state: Session, items: tuple[str, ...], where, dry_run: bool) -> None:
    """Set custom fields of DEALS (ids or titles; - reads ids from stdin):
    Source=Web, Renewal=2027-01-31; FIELD= clears one. Several deals: one
    transaction, all or none."""
    from pipetui.core import bulk, fields

    references = tuple(item for item in items if "=" not in item)
    values = fields.parse_assignments(item for item in items if "=" in item)
    if not values:
        raise InvalidInput("no FIELD=VALUE given (e.g. pipetui set 42 Source=Web)")
    found = chosen_deals(references, where, acting_on=OPEN_ONLY if where is not None else ANY_STATUS)
    if found is None:
        return
    named = [fields.resolve_field(name) for name in values]
    for outcome in bulk.set_fields(found, values, actor=state.actor(), dry_run=dry_run):
        deal, now = outcome.after, outcome.values_after
        if outcome.values_before == now:
            echo(f"Nothing changed on #{deal.id} {deal.title}")
            continue
        listed = ", ".join(f"{f.name}={fields.display_text(f, now.get(f.key)) or ''}" for f in named)
        echo(f"{'Would set' if dry_run else 'Set'} {listed} on #{deal.id} {deal.title}")
