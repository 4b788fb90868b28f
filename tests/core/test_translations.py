"""Every text the app shows exists in French, Dutch and English.

The strings are extracted exactly as `make translations-update` does (same pybabel options, read
from the Makefile), so that this test fails as soon as someone adds a string without translating
it: run `make translations-update`, fill the new msgstr in translations/{fr,nl,en}, then
`make translations`."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import make_actor, make_territory

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("fr", "nl", "en")

# printf-style conversions, named or not ("%(name)s", "%d", "%%")
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# One worker runs them all under xdist (--dist loadgroup): the extraction is made once.
pytestmark = pytest.mark.xdist_group("translations")


def _makefile_extract_args(pot: Path) -> list[str]:
    """The `pybabel extract` arguments of the Makefile's translations-update target, writing to `pot`."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(line for line in makefile.splitlines() if "pybabel extract" in line)
    command = line.split("pybabel extract", 1)[1].split(">", 1)[0]
    args = shlex.split(command)
    index = args.index("-o")
    args[index + 1] = str(pot)
    return args


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        pybabel = Path(sys.executable).with_name("pybabel")
        command = [str(pybabel)] if pybabel.exists() else [sys.executable, "-m", "babel.messages.frontend"]
        subprocess.run(
            [*command, "extract", *_makefile_extract_args(pot)],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )
        with pot.open("rb") as handle:
            catalog = read_po(handle)
    assert len([m for m in catalog if m.id]) > 100, "the extraction found almost nothing"
    return catalog


def _catalog(lang: str) -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return {lang: _catalog(lang) for lang in LANGUAGES}


def _forms(message) -> list[str]:  # type: ignore[no-untyped-def]
    if message.pluralizable:
        return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
    return [message.string]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_extracted_string_is_translated(extracted: Catalog, catalogs: dict[str, Catalog], lang: str) -> None:
    catalog = catalogs[lang]
    untranslated = []
    for source in extracted:
        if not source.id:
            continue
        message = catalog.get(source.id)
        if message is None or message.fuzzy or not all(form.strip() for form in _forms(message)):
            untranslated.append(source.id)
        elif source.pluralizable and len(_forms(message)) != catalog.num_plurals:
            untranslated.append(source.id)
    assert not untranslated, (
        f"{len(untranslated)} string(s) without a {lang} translation — run `make translations-update`, "
        f"translate them in translations/{lang}/LC_MESSAGES/messages.po, then `make translations`: "
        f"{untranslated[:20]}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders_and_markup(catalogs: dict[str, Catalog], lang: str) -> None:
    problems = []
    for message in catalogs[lang]:
        if not message.id:
            continue
        sources = list(message.id) if message.pluralizable else [message.id]
        expected = sorted(PLACEHOLDER.findall(sources[-1]))
        tags = HTML_TAG.findall(sources[-1])
        for form in _forms(message):
            if not form:
                continue
            found = sorted(PLACEHOLDER.findall(form))
            # a singular form may leave out the count ("un abonné"), never add or rename one
            if found != expected and not (message.pluralizable and set(found) < set(expected)):
                problems.append((message.id, form, expected, found))
            if HTML_TAG.findall(form) != tags:
                problems.append((message.id, form, tags, HTML_TAG.findall(form)))
    assert not problems, problems[:10]


def test_english_catalogue_says_what_the_source_says(catalogs: dict[str, Catalog]) -> None:
    for message in catalogs["en"]:
        if message.id and not message.pluralizable:
            assert message.string == message.id, message.id


@pytest.mark.parametrize("lang", ("fr", "nl"))
def test_french_and_dutch_write_the_typographic_apostrophe(catalogs: dict[str, Catalog], lang: str) -> None:
    """One apostrophe per language, as print does it: l’agenda, foto’s (never l'agenda)."""
    straight = [
        text for message in catalogs[lang] if message.id
        for text in _forms(message) if re.search(r"\w'\w", text)
    ]
    assert not straight, straight[:10]


def _compiled_catalogues() -> None:
    """Compile a .po whose .mo is missing or older (what `make translations` does), so that this
    test also runs on its own."""
    for lang in LANGUAGES:
        po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = _catalog(lang)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog)
        os.replace(tmp, mo)


# (page, word expected in each language); the English wording must not leak into fr or nl
PAGES = {
    "/": {"fr": "Se connecter", "nl": "Aanmelden", "en": "Log in"},
    "/login": {"fr": "Mot de passe", "nl": "Wachtwoord", "en": "Password"},
    "/actors": {"fr": "Annuaire des acteurs locaux", "nl": "Gids van lokale actoren", "en": "Directory of local actors"},
}


@pytest.mark.parametrize("path", list(PAGES))
def test_pages_render_in_each_enabled_language(app: Flask, client: FlaskClient, path: str) -> None:
    _compiled_catalogues()
    territory = make_territory()
    make_actor(territory, name="Boulangerie du Port")
    for lang in LANGUAGES:
        response = client.get(path, headers={"Accept-Language": f"{lang};q=1.0"})
        assert response.status_code == 200, (path, lang)
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}"' in html, (path, lang)
        assert PAGES[path][lang] in html, (path, lang)
        if lang != "en":
            assert PAGES[path]["en"] not in html, (path, lang)
