"""The places where keys act together, for checking a user's keymap before
the app starts (the check itself is ``pipetui.config.check_keymap``)."""

from __future__ import annotations


def keymap_scopes() -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """Where keys act together, for checking a keymap: for each place, every
    binding that a key can reach there (by id, or by action for Textual's
    own), with its action and default keys.

    A key pressed on a screen goes to the focused widget, then the screen,
    then the app; a modal screen stops before the app.
    """
    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.dialogs import ConfirmDialog, HelpDialog, PickDialog
    from pipetui.tui.monitor import MonitorApp
    from pipetui.tui.screens.board import BoardScreen
    from pipetui.tui.screens.customers import CustomerForm, CustomersScreen
    from pipetui.tui.screens.editor import DealEditor
    from pipetui.tui.screens.fields import CustomFieldsScreen
    from pipetui.tui.screens.metrics import MetricsScreen
    from pipetui.tui.screens.stages import PipelineSettingsScreen
    from pipetui.tui.screens.triage import TriageScreen
    from pipetui.tui.widgets.board import BoardView
    from pipetui.tui.widgets.lists import MovingList

    chains = {
        "the board": (BoardView, BoardScreen, PipetuiApp),
        "triage": (MovingList, TriageScreen, PipetuiApp),
        "customers": (MovingList, CustomersScreen, PipetuiApp),
        "metrics": (MetricsScreen, PipetuiApp),
        "the pipeline settings": (MovingList, PipelineSettingsScreen, PipetuiApp),
        "the custom fields": (MovingList, CustomFieldsScreen, PipetuiApp),
        "the deal editor": (DealEditor,),
        "the customer form": (CustomerForm,),
        "a question": (ConfirmDialog,),
        "a pick list": (MovingList, PickDialog),
        "help": (HelpDialog,),
        "the monitor": (MonitorApp,),
    }
    scopes: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {}
    for place, chain in chains.items():
        bindings: dict[str, tuple[str, tuple[str, ...]]] = {}
        for node in chain:
            for key, found in node._merged_bindings.key_to_bindings.items():
                for binding in found:
                    action = binding.action.split(".")[-1]
                    name = binding.id or action
                    bindings[name] = (action, (*bindings.get(name, ("", ()))[1], key))
        scopes[place] = bindings
    return scopes
