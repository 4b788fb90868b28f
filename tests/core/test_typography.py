"""Typography: French text uses the typographic apostrophe (’), and it changes nothing to the
addresses made from names."""

from __future__ import annotations

import ast
import re

from app.config import ROOT
from app.text import slugify

WORD_APOSTROPHE_WORD = re.compile(r"(?<=[A-Za-zÀ-ÿ])'(?=[A-Za-zÀ-ÿ])")


def texts_of(source: str) -> list[str]:
    """The string literals of a module, but its docstrings (English, for developers)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body
        and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_the_demo_texts_use_the_typographic_apostrophe():
    for name in ("data.py", "load.py"):
        texts = texts_of((ROOT / "app" / "demo" / name).read_text(encoding="utf-8"))
        assert not [text for text in texts if WORD_APOSTROPHE_WORD.search(text)], name
    assert "Nouveaux horaires d’accueil de l’hôtel de ville" in texts_of(
        (ROOT / "app" / "demo" / "data.py").read_text(encoding="utf-8"))


def test_a_typographic_apostrophe_makes_the_same_address_as_a_straight_one():
    assert slugify("Jardins de l’Abeille") == slugify("Jardins de l'Abeille") == "jardins-de-l-abeille"
