"""Colours a town chooses (its main and accent colours) and the text written on them: WCAG 2
relative luminance and contrast, and black or white, whichever reads better on a colour (one of
the two always reaches 4.5:1, WCAG AA for text)."""

from __future__ import annotations

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
FALLBACK: RGB = (11, 95, 165)  # the default main colour, for a value that is not a colour


def hex_to_rgb(colour: str) -> RGB:
    """``#0b5fa5`` or ``#08c`` as (r, g, b); anything else as the default main colour."""
    value = colour.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        return FALLBACK
    try:
        return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
    except ValueError:
        return FALLBACK


def rgb_to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: RGB) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, from 1 to 21."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(background: RGB) -> RGB:
    """White or black, whichever contrasts more with ``background`` (at least 4.58:1)."""
    return WHITE if contrast(WHITE, background) >= contrast(BLACK, background) else BLACK


def text_hex_on(colour: str) -> str:
    """``text_colour_on`` for a colour written in hex, in hex (for the theme's stylesheet)."""
    return rgb_to_hex(text_colour_on(hex_to_rgb(colour)))
