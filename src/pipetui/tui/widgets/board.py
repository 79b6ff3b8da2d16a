"""The kanban board: one focusable widget that draws every column line by line.

Only the visible cards are drawn, from windows of rows the screen loads on
request, so the board costs the same with a hundred deals as with a hundred
thousand. A key redraws only the regions it changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.color import Color as TextualColor
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from pipetui.core.board import Card, Column
from pipetui.core.money import format_compact
from pipetui.core.text import printable
from pipetui.tui.contrast import readable
from pipetui.tui.text import fit

STRIP_LINES = 1  # every stage with its count, the ones shown marked
HEADER_LINES = STRIP_LINES + 4  # the strip, then name and count, total, weighted, rule
CARD_LINES = 4  # three lines of text and a gap; one more when cards show custom fields
MIN_COLUMN_WIDTH = 22
WINDOW = 25  # cards per window the screen loads at a time: a tall screen shows 12
ROT_GLYPH = "⚠"
MARK_GLYPH = "✓"  # in the marker column of a marked card's first line: reads without colour
# Blank cells carry a style too: Textual's filters (NO_COLOR's monochrome,
# the ANSI theme's) read the style of every segment and fail on None.
NO_STYLE = Style()


# Separators between an organization and the rest of a title ("Acme - Data migration").
TITLE_SEPARATORS = " -–—:|·,/"


def title_parts(card: Card) -> tuple[str, str | None]:
    """The title line and the organization for the line below it.

    A title that begins with the organization ("Acme GmbH - Rollout") shows
    the rest ("Rollout"), so cards of one customer can be told apart; the
    organization goes to the second line with the owner.
    """
    org = card.organization or None
    if org and card.title.casefold().startswith(org.casefold()):
        rest = card.title[len(org):].lstrip(TITLE_SEPARATORS)
        if rest and rest != card.title[len(org):]:
            return rest, org
        if not card.title[len(org):].strip():
            return card.title, None  # the title is the organization: once is enough
    return card.title, org


def stage_strip(columns: list[Column], first: int, shown: int, width: int) -> list[tuple[str, bool]]:
    """Every stage with its count on one line, as (text, shown) parts: the
    stages off-screen named in full where the width allows, ``‹``/``›`` on
    the sides with stages off-screen, the stages shown between ``[`` ``]``."""
    last = first + shown
    left, right = columns[:first], columns[last:]

    def build(hidden_len: int | None, shown_len: int | None, sep: str) -> list[tuple[str, bool]]:
        def label(column: Column, limit: int | None) -> str:
            name = printable(column.name)  # a stage another tool named with an escape sequence
            if limit is not None and cell_len(name) > limit:
                name = fit(name, limit) if limit > 1 else name[:1]
            return f"{name} {column.count:,}"

        parts: list[tuple[str, bool]] = []
        if left:
            parts.append(("‹ " + sep.join(label(c, hidden_len) for c in left) + " ", False))
        parts.append(("[" + sep.join(label(c, shown_len) for c in columns[first:last]) + "]", True))
        if right:
            parts.append((" " + sep.join(label(c, hidden_len) for c in right) + " ›", False))
        return parts

    longest = max((cell_len(c.name) for c in columns), default=1)
    # The names of the stages shown are in their headers: shorten them first.
    tries = [(None, n, " · ") for n in (None, *range(longest, 0, -1))]
    tries += [(n, 1, " · ") for n in range(longest, 0, -1)]
    tries.append((1, 1, " "))  # initials and counts
    for hidden_len, shown_len, sep in tries:
        parts = build(hidden_len, shown_len, sep)
        if sum(cell_len(text) for text, _ in parts) <= width:
            return parts
    return parts


def money_summary(amounts: dict[str, int]) -> str:
    """``{"USD": 1250000, "EUR": 9000}`` -> ``12.5k USD + 90 EUR``; never one sum."""
    if not amounts:
        return "-"
    ordered = sorted(amounts.items(), key=lambda item: -item[1])
    return " + ".join(format_compact(amount, currency) for currency, amount in ordered)


@dataclass
class Cursor:
    column: int = 0  # index into the board's columns
    row: int = 0  # index into that column's cards


class BoardView(Widget, can_focus=True):
    """The pipeline as columns of cards. Keys move the cursor; the screen acts."""

    BINDINGS = [
        Binding("h,left", "column(-1)", "Column to the left", id="board.column_left", show=False),
        Binding("l,right", "column(1)", "Column to the right", id="board.column_right", show=False),
        Binding("k,up", "card(-1)", "Card above", id="board.card_up", show=False),
        Binding("j,down", "card(1)", "Card below", id="board.card_down", show=False),
        Binding("pageup", "card(-5)", "Five cards up", id="board.page_up", show=False),
        Binding("pagedown", "card(5)", "Five cards down", id="board.page_down", show=False),
        Binding("g,home", "top", "First card of the column", id="board.top", show=False),
        Binding("G,end", "bottom", "Last card of the column", id="board.bottom", show=False),
    ]

    DEFAULT_CSS = """
    BoardView {
        height: 1fr;
    }
    """

    class WindowNeeded(Message):
        """Cards ``offset`` onwards of a column are to be drawn and are not loaded."""

        def __init__(self, stage_id: int, offset: int) -> None:
            super().__init__()
            self.stage_id = stage_id
            self.offset = offset

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: list[Column] = []
        self.cursor = Cursor()
        self._first_column = 0  # leftmost column shown
        self._scroll: dict[int, int] = {}  # stage id -> first card shown
        self._cards: dict[int, dict[int, Card]] = {}  # stage id -> index -> card
        self._requested: set[tuple[int, int]] = set()
        self._today = dt.date.today()
        # False while the screen takes typed text (the filter): letters are not moves.
        self.keys_enabled = True
        self._styles: dict[tuple[str, ...], Style] = {}
        self.filtered = False  # a filter is on: an empty column says "no deals match"
        self.card_lines = CARD_LINES  # lines per card, with its gap
        # The cards marked for a bulk action, by deal id, each as last read:
        # the version the user saw is the one the action checks.
        self.marked: dict[int, Card] = {}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.keys_enabled

    # --- data in -----------------------------------------------------------

    def window_offsets(self) -> dict[int, int]:
        """For each column, the first card of the window it shows now."""
        return {c.stage_id: self._scroll.get(c.stage_id, 0) // WINDOW * WINDOW for c in self.columns}

    def set_columns(self, columns: list[Column], *, today: dt.date,
                    cards: dict[tuple[int, int], list[Card]] | None = None,
                    stale: set[int] | None = None, place: tuple[int, int] | None = None,
                    filtered: bool | None = None) -> None:
        """New column totals, new cards for the ``stale`` columns (all when
        None) and the cursor on ``place`` (stage id, row) when given.

        Only what changed is redrawn: the stale columns, the headers whose
        totals changed (and the stage strip when a count did), and the cards
        the cursor left and reached. ``filtered`` says whether a filter is on.
        """
        old_headers = {c.stage_id: c for c in self.columns}
        old_counts = [(c.stage_id, c.name, c.count) for c in self.columns]
        filter_changed = filtered is not None and filtered != self.filtered
        if filtered is not None:
            self.filtered = filtered
        reloaded_all = stale is None and bool(self.columns)
        shown_before = self._shown_cards() if reloaded_all else {}
        stale_ids = {c.stage_id for c in columns} if stale is None else set(stale)
        before = self.cursor
        old_first = self._first_column
        old_card_lines = self.card_lines
        self.card_lines = CARD_LINES + (1 if any(c.card_fields for c in columns) else 0)
        self.columns = columns
        self._today = today
        for column in columns:
            if column.stage_id in stale_ids or column.stage_id not in self._cards:
                self._cards[column.stage_id] = {}
        self._requested = {r for r in self._requested if r[0] not in stale_ids}
        for (stage_id, offset), rows in (cards or {}).items():
            window = self._cards.setdefault(stage_id, {})
            for index, card in enumerate(rows, start=offset):
                window[index] = card
            self._remark(rows)
        if place is not None and (index := self._column_index(place[0])) is not None:
            self.cursor = Cursor(index, place[1])
        scrolled = self._clamp()
        if reloaded_all:
            # Everything was read again (someone else committed): redraw only
            # the columns whose visible cards differ.
            shown_now = self._shown_cards()
            stale_ids = {stage_id for stage_id, cards in shown_now.items()
                         if shown_before.get(stage_id) != cards}
        if ((stale is None and not reloaded_all) or self._first_column != old_first or scrolled
                or filter_changed or self.card_lines != old_card_lines):
            self.refresh()
        else:
            for index, column in enumerate(columns):
                if not self._first_column <= index < self._first_column + self._visible_columns:
                    continue
                if column.stage_id in stale_ids:
                    self.refresh(self._column_region(index))
                elif old_headers.get(column.stage_id) != column:
                    # The header, and the last line: "↓ n more" counts the cards.
                    region = self._column_region(index)
                    self.refresh(region.intersection(Region(0, 0, self.size.width, HEADER_LINES)))
                    self.refresh(region.intersection(Region(0, self.size.height - 1, self.size.width, 1)))
            if [(c.stage_id, c.name, c.count) for c in columns] != old_counts:
                self.refresh(Region(0, 0, self.size.width, STRIP_LINES))
            if reloaded_all and before == self.cursor:
                return  # read again and nothing moved: not a byte to send
            if before.column < len(columns):
                self.refresh(self._card_region(before.column, before.row))
                self.refresh(self._header_region(before.column))
            self.refresh(self._card_region(self.cursor.column, self.cursor.row))
            self.refresh(self._header_region(self.cursor.column))

    def _shown_cards(self) -> dict[int, list[Card | None]]:
        """The cards now on screen, per visible column."""
        shown = {}
        for column in self.columns[self._first_column:self._first_column + self._visible_columns]:
            top = self._scroll.get(column.stage_id, 0)
            window = self._cards.get(column.stage_id, {})
            shown[column.stage_id] = [window.get(row) for row in range(top, top + self._visible_cards)]
        return shown

    def set_cards(self, stage_id: int, offset: int, cards: list[Card]) -> None:
        window = self._cards.setdefault(stage_id, {})
        for index, card in enumerate(cards, start=offset):
            window[index] = card
        self._remark(cards)
        self._requested.discard((stage_id, offset))
        index = self._column_index(stage_id)
        if index is not None:
            self.refresh(self._column_region(index))

    def _remark(self, cards: list[Card]) -> None:
        """A marked deal read again is marked as it now is."""
        if self.marked:
            for card in cards:
                if card.id in self.marked:
                    self.marked[card.id] = card

    # --- marks ---------------------------------------------------------------

    def toggle_mark(self) -> bool:
        """Mark the card under the cursor, or unmark it; False without a card."""
        card = self.current_card
        if card is None:
            return False
        if self.marked.pop(card.id, None) is None:
            self.marked[card.id] = card
        self.refresh(self._card_region(self.cursor.column, self.cursor.row))
        return True

    def clear_marks(self) -> None:
        if self.marked:
            self.marked = {}
            self.refresh()

    # --- what is where -----------------------------------------------------

    @property
    def current_column(self) -> Column | None:
        return self.columns[self.cursor.column] if self.columns else None

    @property
    def current_card(self) -> Card | None:
        column = self.current_column
        if column is None or column.count == 0:
            return None
        return self._cards.get(column.stage_id, {}).get(self.cursor.row)

    def _column_index(self, stage_id: int) -> int | None:
        for index, column in enumerate(self.columns):
            if column.stage_id == stage_id:
                return index
        return None

    @property
    def _visible_columns(self) -> int:
        return max(1, min(len(self.columns) or 1, self.size.width // MIN_COLUMN_WIDTH))

    def _column_span(self, offset: int) -> tuple[int, int]:
        """x and width of the ``offset``-th visible column; the cells left over
        by the division go to the first columns, so the board fills its width."""
        shown = self._visible_columns
        base, extra = divmod(max(self.size.width, shown), shown)
        x = offset * base + min(offset, extra)
        return x, base + (1 if offset < extra else 0)

    @property
    def _visible_cards(self) -> int:
        return max(1, (self.size.height - HEADER_LINES) // self.card_lines)

    def _column_region(self, index: int) -> Region:
        x, width = self._column_span(index - self._first_column)
        return Region(x, 0, width, self.size.height)

    def _header_region(self, index: int) -> Region:
        x, width = self._column_span(index - self._first_column)
        return Region(x, STRIP_LINES, width, 1)

    def _card_region(self, index: int, row: int) -> Region:
        stage_id = self.columns[index].stage_id
        y = HEADER_LINES + (row - self._scroll.get(stage_id, 0)) * self.card_lines
        x, width = self._column_span(index - self._first_column)
        return Region(x, y, width, self.card_lines)

    def _clamp(self) -> bool:
        """Keep the cursor on a card and in view; True when the view scrolled."""
        if not self.columns:
            self.cursor = Cursor()
            return False
        column_index = min(max(self.cursor.column, 0), len(self.columns) - 1)
        column = self.columns[column_index]
        row = min(max(self.cursor.row, 0), max(column.count - 1, 0))
        self.cursor = Cursor(column_index, row)
        scrolled = False
        shown = self._visible_columns
        first_column = min(self._first_column, column_index)
        first_column = max(first_column, column_index - shown + 1, 0)
        if first_column != self._first_column:
            self._first_column, scrolled = first_column, True
        top = self._scroll.get(column.stage_id, 0)
        new_top = min(top, row)
        new_top = max(new_top, row - self._visible_cards + 1, 0)
        if new_top != top:
            self._scroll[column.stage_id] = new_top
            scrolled = True
        return scrolled

    # --- keys --------------------------------------------------------------

    def _move_cursor(self, column: int, row: int) -> None:
        before = Cursor(self.cursor.column, self.cursor.row)
        old_first = self._first_column
        self.cursor = Cursor(column, row)
        scrolled = self._clamp()
        if (before.column, before.row) == (self.cursor.column, self.cursor.row):
            return
        if scrolled and self._first_column != old_first:
            self.refresh()
        elif scrolled:
            self.refresh(self._column_region(self.cursor.column))
            if before.column != self.cursor.column:
                self.refresh(self._card_region(before.column, before.row))
                self.refresh(self._header_region(before.column))
        else:
            self.refresh(self._card_region(before.column, before.row))
            self.refresh(self._card_region(self.cursor.column, self.cursor.row))
            if before.column != self.cursor.column:
                self.refresh(self._header_region(before.column))
                self.refresh(self._header_region(self.cursor.column))

    def action_column(self, delta: int) -> None:
        if not self.columns:
            return
        target = min(max(self.cursor.column + delta, 0), len(self.columns) - 1)
        # Keep roughly the same height on screen when changing column.
        stage_id = self.columns[self.cursor.column].stage_id
        on_screen = self.cursor.row - self._scroll.get(stage_id, 0)
        target_top = self._scroll.get(self.columns[target].stage_id, 0)
        self._move_cursor(target, target_top + on_screen)

    def action_card(self, delta: int) -> None:
        self._move_cursor(self.cursor.column, self.cursor.row + delta)

    def action_top(self) -> None:
        self._move_cursor(self.cursor.column, 0)

    def action_bottom(self) -> None:
        column = self.current_column
        if column is not None:
            self._move_cursor(self.cursor.column, column.count - 1)

    # --- drawing -----------------------------------------------------------

    def on_resize(self) -> None:
        # Textual repaints a resized widget itself; only a scroll needs more.
        if self._clamp():
            self.refresh()

    def render_line(self, y: int) -> Strip:
        if y < STRIP_LINES:
            return self._strip_line()
        segments: list[Segment] = []
        first = self._first_column
        shown = self.columns[first:first + self._visible_columns]
        for offset, column in enumerate(shown):
            _, width = self._column_span(offset)
            segments.extend(self._column_line(first + offset, column, y, width - 1))
            segments.append(Segment("│", self._style("board--rule")))
        # Every part is fitted to its column and the columns fill the width.
        return Strip(segments, self.size.width)

    def _style(self, *components: str) -> Style:
        """The style of text drawn in ``components`` (the first gives the
        background), its colour brought toward the text colour where the
        theme's own would not read on that background (a warning colour on
        the cursor, two near colours made one in 256 colours).

        Looking a style up costs more than drawing a line; the cache is
        dropped whenever the styles change (a new theme)."""
        style = self._styles.get(components)
        if style is None:
            style = self._styles[components] = self._readable_style(components)
        return style

    def _readable_style(self, components: tuple[str, ...]) -> Style:
        # The first component's full style: its background blended over the
        # board's (a partial style drops the transparency of `$accent 30%`).
        base = self.get_component_rich_style(components[0])
        style = base
        for component in components[1:]:
            style += self.get_component_rich_style(component, partial=True)
        text = self.rich_style.color
        if style.color is None or style.bgcolor is None or text is None:
            return style
        color = readable(TextualColor.from_rich_color(style.color), TextualColor.from_rich_color(style.bgcolor),
                         TextualColor.from_rich_color(text), self.app.ansi_theme, ansi=self.app.native_ansi_color)
        return style + Style(color=color.rich_color)

    def notify_style_update(self) -> None:
        self._styles = {}
        super().notify_style_update()

    COMPONENT_CLASSES = {
        "board--header",
        "board--header-focus",
        "board--totals",
        "board--rule",
        "board--card",
        "board--card-title",
        "board--card-dim",
        "board--cursor",
        "board--rotting",
        "board--overdue",
        "board--empty",
        "board--more",
        "board--strip",
        "board--strip-shown",
    }

    def _strip_line(self) -> Strip:
        """Every stage and its count; the ones on screen between brackets."""
        parts = stage_strip(self.columns, self._first_column, self._visible_columns, self.size.width)
        segments = [Segment(text, self._style("board--strip-shown" if shown else "board--strip"))
                    for text, shown in parts]
        return Strip(segments).crop_extend(0, self.size.width, NO_STYLE)

    def _column_line(self, index: int, column: Column, y: int, width: int) -> list[Segment]:
        focused = index == self.cursor.column
        y -= STRIP_LINES
        top = self._scroll.get(column.stage_id, 0)
        if y == 0:
            count = f" {column.count:,}"
            name = fit(column.name, max(width - cell_len(count), 1))
            style = self._style("board--header-focus" if focused else "board--header")
            return [Segment(fit(name + count, width), style)]
        if y == 1:
            return [Segment(fit(money_summary(column.value), width), self._style("board--totals"))]
        if y == 2:
            text = "weighted " + money_summary(column.weighted)
            return [Segment(fit(text, width), self._style("board--card-dim"))]
        if y == 3:
            if top > 0:  # cards scrolled off above
                more = f"─ ↑ {top:,} more "
                if cell_len(more) < width:
                    more += "─" * (width - cell_len(more))
                return [Segment(fit(more, width), self._style("board--more"))]
            return [Segment("─" * width, self._style("board--rule"))]
        if y + STRIP_LINES == self.size.height - 1:
            # The last line is a card's gap or left over: it counts the cards below.
            below = column.count - top - self._visible_cards
            if below > 0:
                return [Segment(fit(f" ↓ {below:,} more", width), self._style("board--more"))]
            return [Segment(" " * width, NO_STYLE)]
        slot, line = divmod(y + STRIP_LINES - HEADER_LINES, self.card_lines)
        row = top + slot
        if row >= column.count:
            if row == 0 and line == 0:
                empty = " no deals match" if self.filtered else " no deals"
                return [Segment(fit(empty, width), self._style("board--empty"))]
            return [Segment(" " * width, NO_STYLE)]
        if line == self.card_lines - 1:
            return [Segment(" " * width, NO_STYLE)]
        card = self._cards.get(column.stage_id, {}).get(row)
        if card is None:
            self._request(column.stage_id, row)
            return [Segment(fit(" …" if line == 0 else "", width), self._style("board--card-dim"))]
        return self._card_line(card, line, width, focused and row == self.cursor.row)

    def _card_line(self, card: Card, line: int, width: int, selected: bool) -> list[Segment]:
        base_name = "board--cursor" if selected else "board--card"
        base = self._style(base_name)
        marker = Segment("▌" if selected else " ", base)
        inner = width - 1
        title, org = title_parts(card)
        if line == 0:
            if card.id in self.marked:
                marker = Segment(MARK_GLYPH, self._style(base_name, "board--card-title"))
            title_style = self._style(base_name, "board--card-title")
            if card.rotting:
                glyph = Segment(ROT_GLYPH + " ", self._style(base_name, "board--rotting"))
                return [marker, glyph, Segment(fit(title, inner - 2), title_style)]
            return [marker, Segment(fit(title, inner), title_style)]
        dim = self._style(base_name, "board--card-dim")
        if line == 1:
            who = " · ".join(part for part in (org, card.owner) if part) or "-"
            return [marker, Segment(fit(who, inner), dim)]
        if line == 3:  # the custom fields shown on cards
            return [marker, Segment(fit(printable(" · ".join(card.fields)), inner), dim)]
        value = format_compact(card.value, card.currency)
        days = f"{card.days_in_stage}d"
        if card.next_activity is None:
            nexts = [("no next step", dim), ("no step", dim)]
        else:
            due = f"▸{card.next_activity:%b} {card.next_activity.day}"
            late = card.next_activity < self._today
            nexts = [(due, self._style(base_name, "board--overdue") if late else base)]
        # The value and days on the left, the next step on the right; the
        # longest form that fits wins.
        for left in (f"{value} · {days}", f"{value} {days}"):
            for right, right_style in nexts:
                gap = inner - cell_len(left) - cell_len(right)
                if gap >= 1:
                    return [marker, Segment(left, base), Segment(" " * gap, base),
                            Segment(right, right_style)]
        return [marker, Segment(fit(f"{value} {days}", inner), base)]

    def _request(self, stage_id: int, row: int) -> None:
        offset = row - row % WINDOW
        if (stage_id, offset) not in self._requested:
            self._requested.add((stage_id, offset))
            self.post_message(self.WindowNeeded(stage_id, offset))
