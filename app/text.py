"""User-written text: Markdown rendered, then sanitised (nh3) so no script, event handler,
style or htmx attribute can ever reach a page; slugs; and form input without NUL characters."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import nh3
from flask import Request
from markdown_it import MarkdownIt
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow ugc",
    )


def render_markdown(source: str | None) -> Markup:
    """Markdown to safe HTML (headings start at h2: the page owns its h1)."""
    if not source:
        return Markup("")
    html = _markdown.render(source)
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    return Markup(sanitise_html(html))


def slugify(value: str, max_length: int = 120) -> str:
    # A typographic apostrophe separates words as a straight one does: "l’Abeille", "l'Abeille".
    value = value.replace("\u2019", "'")
    normalised = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normalised.lower()).strip("-")
    return slug[:max_length].strip("-") or "item"


def normalise_hashtag(value: str) -> str:
    """'#Bio ', 'bio' and '#BIO' are the same hashtag: 'bio'."""
    return slugify(value.strip().lstrip("#"), max_length=40).replace("-", "")


class _FieldsWithoutNul(ImmutableMultiDict):  # type: ignore[type-arg]
    """Form fields and query parameters with NUL characters removed: nobody types one, and
    PostgreSQL cannot store one in a text column (the request would fail instead of the form
    being checked)."""

    def __init__(self, mapping: object = None) -> None:
        if isinstance(mapping, list):
            mapping = [
                (key.replace("\x00", ""), value.replace("\x00", "") if isinstance(value, str) else value)
                for key, value in mapping
            ]
        super().__init__(mapping)  # type: ignore[arg-type]


def _json_without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_json_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_json_without_nul(k): _json_without_nul(v) for k, v in value.items()}
    return value


def without_nul(request_class: type[Request]) -> type[Request]:
    """The app's request class (htmx-flask's), reading form fields, query parameters and JSON
    bodies (Flask-WTF reads a form from JSON too) without NUL characters."""

    def get_json(self: Request, *args: Any, **kwargs: Any) -> Any:
        return _json_without_nul(request_class.get_json(self, *args, **kwargs))

    return type("UserInputRequest", (request_class,),
                {"parameter_storage_class": _FieldsWithoutNul, "get_json": get_json})
