"""The line of keys at the bottom of a screen.

Textual's Footer mounts one widget per key and recomposes them whenever the
bindings change; on the board that was a quarter of the time to the first
frame. This bar is one widget drawing one line from the same bindings, with
the keys as remapped in the config file.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widget import Widget

from pipetui.tui.contrast import readable


class KeyBar(Widget):
    """The shown bindings of the focused chain, then the command palette key."""

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _: self.refresh())

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    # Kept when the bar is too narrow for every key: the list of keys, and quitting.
    KEPT = ("help", "quit")

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        if key_style.color is not None and key_style.bgcolor is not None:
            # The theme's key colour on the bar's background, made readable.
            key = readable(Color.from_rich_color(key_style.color), Color.from_rich_color(key_style.bgcolor),
                           Color.parse(self.app.theme_variables["foreground"]), self.app.ansi_theme,
                           ansi=self.app.native_ansi_color)
            key_style += Style(color=key.rich_color)
        text_style = self.get_component_rich_style("keybar--description")
        entries: list[tuple[Text, bool]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)  # a binding with two keys is shown once
            entry = Text.assemble((f" {self.app.get_key_display(binding)} ", key_style),
                                  (f"{binding.description} ", text_style))
            entries.append((entry, binding.action in self.KEPT))
        # Too narrow: drop the last keys first, never ? or q.
        width = self.size.width
        while sum(e.cell_len for e, _ in entries) > width and any(not kept for _, kept in entries):
            drop = max(i for i, (_, kept) in enumerate(entries) if not kept)
            del entries[drop]
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        for entry, _ in entries:
            line.append_text(entry)
        palette = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        if palette:
            hint = Text.assemble((f" {palette.replace('ctrl+', '^')} ", key_style), ("Palette ", text_style))
            gap = width - line.cell_len - hint.cell_len
            if gap >= 1:
                line.append(" " * gap)
                line.append_text(hint)
        return line
