"""User-written text: Markdown rendered, then sanitised (nh3) so no script, event handler,
style or htmx attribute can ever reach a page; and slugs."""

from __future__ import annotations

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

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
    normalised = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normalised.lower()).strip("-")
    return slug[:max_length].strip("-") or "item"


def normalise_hashtag(value: str) -> str:
    """'#Bio ', 'bio' and '#BIO' are the same hashtag: 'bio'."""
    return slugify(value.strip().lstrip("#"), max_length=40).replace("-", "")
