"""Typography: French text uses the typographic apostrophe (’), and it changes nothing to the
addresses made from names."""

from __future__ import annotations

import re

from app.config import ROOT
from app.text import slugify

WORD_APOSTROPHE_WORD = re.compile(r"(?<=[A-Za-zÀ-ÿ])'(?=[A-Za-zÀ-ÿ])")


def test_the_demo_texts_use_the_typographic_apostrophe():
    for name in ("data.py", "load.py"):
        lines = (ROOT / "app" / "demo" / name).read_text(encoding="utf-8").splitlines()
        texts = [line for line in lines if not line.strip().startswith("#")]  # comments are English
        assert not [line for line in texts if WORD_APOSTROPHE_WORD.search(line)], name
    assert "l’hôtel de ville" in (ROOT / "app" / "demo" / "data.py").read_text(encoding="utf-8")


def test_a_typographic_apostrophe_makes_the_same_address_as_a_straight_one():
    assert slugify("Jardins de l’Abeille") == slugify("Jardins de l'Abeille") == "jardins-de-l-abeille"
