"""The design tokens: one stylesheet, first in the bundle, that every other sheet uses; the
town's theme overrides its colours."""

from __future__ import annotations

import re

from app.config import ROOT
from app.pwa import assets

STATIC = ROOT / "static"
TOKENS = STATIC / "css" / "tokens.css"
REQUIRED = {
    "--primary", "--accent", "--on-primary", "--on-accent", "--text", "--muted", "--bg", "--card",
    "--border", "--ok", "--error", "--warning",
    *(f"--space-{n}" for n in range(1, 7)),
    *(f"--text-{size}" for size in ("sm", "base", "lg", "xl", "2xl")),
    *(f"--leading-{size}" for size in ("sm", "base", "lg", "xl", "2xl")),
    "--radius", "--radius-sm", "--radius-pill", "--shadow-1", "--shadow-2",
}


def defined(css: str) -> dict[str, str]:
    return {name: value.strip() for name, value in re.findall(r"(--[a-z0-9-]+):\s*([^;]+);", css)}


def other_sheets() -> dict[str, str]:
    return {name: (STATIC / name).read_text(encoding="utf-8") for name in assets.STYLESHEETS if name != "css/tokens.css"}


def test_the_tokens_come_first_and_define_the_scales():
    assert assets.STYLESHEETS[0] == "css/tokens.css"
    tokens = defined(TOKENS.read_text(encoding="utf-8"))
    assert REQUIRED <= tokens.keys(), REQUIRED - tokens.keys()


def test_the_other_sheets_use_the_tokens_and_define_none():
    tokens = defined(TOKENS.read_text(encoding="utf-8"))
    theme = defined((ROOT / "templates" / "territories" / "theme.css").read_text(encoding="utf-8"))
    colours = {value.lower() for value in tokens.values() if re.fullmatch(r"#[0-9a-fA-F]{3,6}", value)}
    for name, css in other_sheets().items():
        assert not defined(css), f"{name} defines its own custom properties"
        used = set(re.findall(r"var\((--[a-z0-9-]+)", css))
        assert used <= tokens.keys() | theme.keys(), (name, used - tokens.keys())
        hard_coded = {value.lower() for value in re.findall(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", css)}
        assert not hard_coded & colours, (name, hard_coded & colours)  # a token's colour: use its name
        assert "border-radius: 999px" not in css and "border-radius: 6px" not in css, name


def test_the_towns_theme_overrides_the_token_colours_it_sets():
    theme = defined((ROOT / "templates" / "territories" / "theme.css").read_text(encoding="utf-8"))
    assert set(theme) == {"--primary", "--accent", "--on-primary", "--on-accent"}
    assert set(theme) <= defined(TOKENS.read_text(encoding="utf-8")).keys()
