"""Colour pairs a reader can read, in every theme and at every colour depth.

A theme's colours are chosen for its own surfaces; laid over another
background (the board's cursor, a light theme's panel) a warning colour can
be the background's own colour, and in 256 colours two near colours become
one. The contrast here is WCAG's ratio, taken at the depth where it is worst.
"""

from __future__ import annotations

from rich.color import Color, ColorSystem
from rich.terminal_theme import TerminalTheme
from textual.color import Color as TextualColor

# WCAG asks 4.5 of body text and 3 of large text or of the parts of a
# control; the screens' secondary text (hints, counts) must reach 3, what
# the board and the key bar draw themselves reaches 4.5.
READABLE = 3.0
PLAIN = 4.5

# Text styles by meaning, in the theme's own variables: Textual resolves them
# when it draws, in the theme of the moment, tinted to read on the surface.
MUTED = "$text-muted"
WARNING = "bold $text-warning"
ERROR = "bold $text-error"
GOOD = "$text-success"
BAD = "$text-error"

# A terminal shows a true colour at its own depth; the ANSI colours are its
# own palette at any depth. A 16-colour terminal gets an ANSI theme.
DEPTHS = (ColorSystem.TRUECOLOR, ColorSystem.EIGHT_BIT)
ANSI_DEPTHS = (*DEPTHS, ColorSystem.STANDARD)


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    red, green, blue = rgb
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def ratio(one: tuple[int, int, int], two: tuple[int, int, int]) -> float:
    lighter, darker = sorted((luminance(one), luminance(two)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def shown(color: Color, system: ColorSystem, palette: TerminalTheme, *, foreground: bool) -> tuple[int, int, int]:
    """The colour a terminal of that depth draws."""
    if color.triplet is None:  # the terminal's own palette (or its default colours)
        return tuple(color.get_truecolor(palette, foreground=foreground))
    return tuple(color.downgrade(system).get_truecolor(palette, foreground=foreground))


def worst_ratio(fore: Color, back: Color, palette: TerminalTheme, *, dim: bool = False,
                ansi: bool = False) -> float:
    """The lowest contrast of the pair over the colour depths its theme is drawn at."""
    worst = 21.0
    for system in ANSI_DEPTHS if ansi else DEPTHS:
        front, behind = shown(fore, system, palette, foreground=True), shown(back, system, palette, foreground=False)
        if dim:  # a terminal dims by going half way to the background
            front = tuple((f + b) // 2 for f, b in zip(front, behind))
        worst = min(worst, ratio(front, behind))
    return worst


def readable(color: TextualColor, background: TextualColor, foreground: TextualColor,
             palette: TerminalTheme, *, ansi: bool = False, minimum: float = PLAIN) -> TextualColor:
    """``color``, brought toward ``foreground`` (the theme's text colour, which
    reads on its own background) until it reads on ``background``. An ANSI
    theme's colours are the terminal's own: no blend, the text colour instead."""
    steps = (0.0, 1.0) if ansi else (0.0, 0.25, 0.5, 0.75, 1.0)
    candidates = [color if step == 0 else color.blend(foreground, step) for step in steps]
    # Last, black or white: some themes' text colour does not read on their
    # own accent colours.
    candidates.append(background.get_contrast_text(1.0))
    best, best_ratio = foreground, 0.0
    for candidate in candidates:
        found = worst_ratio(candidate.rich_color, background.rich_color, palette, ansi=ansi)
        if found >= minimum:
            return candidate
        if found > best_ratio:
            best, best_ratio = candidate, found
    return best


# The theme variables text is drawn in, and the surfaces it is drawn on.
COLOURED_TEXT = ("text-warning", "text-error", "text-success", "text-accent", "text-primary")
SURFACES = ("background", "surface", "panel")
# The foreground's share in a list's highlighted row: 15 % (styles/app.tcss)
# over a focused list's own 5 % tint.
HIGHLIGHT = 0.2


def readable_variables(variables: dict[str, str], palette: TerminalTheme) -> dict[str, str]:
    """The theme's text colours, each brought toward its foreground until it
    reads plainly on every surface of the theme, and still reads on a list's
    highlighted row (a tint of the foreground), at every depth; and a muted
    text colour (Textual's is transparent: 60 % of the contrast colour) as a
    real colour that reads there. An ANSI theme's colours are the
    terminal's: one that does not read on the terminal's background becomes
    the terminal's text colour."""
    background = TextualColor.parse(variables["background"])
    if background.ansi is not None:
        behind = Color.default()
        return {name: "ansi_default" for name in COLOURED_TEXT
                if worst_ratio(TextualColor.parse(variables[name]).rich_color, behind, palette, ansi=True) < PLAIN}
    foreground = TextualColor.parse(variables["foreground"])
    surfaces = [TextualColor.parse(variables[name]) for name in SURFACES]
    surfaces = [surface if surface.a == 1 else background + surface for surface in surfaces]
    highlights = [surface.blend(foreground, HIGHLIGHT) for surface in surfaces]

    def reads_everywhere(color: TextualColor, minimum: float) -> TextualColor:
        for surface in surfaces:
            color = readable(color, surface, foreground, palette, minimum=minimum)
        for surface in highlights:
            color = readable(color, surface, foreground, palette, minimum=READABLE)
        return color

    found = {name: reads_everywhere(TextualColor.parse(variables[name]), PLAIN).hex for name in COLOURED_TEXT}
    found["text-muted"] = reads_everywhere(foreground.blend(surfaces[1], 0.45), READABLE).hex
    return found
