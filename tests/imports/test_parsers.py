"""Text from feeds, treated as typed text: what Markdown would make active is escaped, HTML is
reduced to paragraphs, lists and safe links."""

from __future__ import annotations

import pytest

from app.imports.parsers import (
    FeedFormatError,
    detect_kind,
    markdown_from,
    plain_line,
    with_link,
)
from app.text import render_markdown


def test_plain_text_cannot_make_links_or_html():
    text = "See [here](javascript:alert(1)) or <script>alert(2)</script> or <https://x.example>"
    html = str(render_markdown(markdown_from(text)))
    assert "<a" not in html and "<script" not in html
    assert "[here](javascript:alert(1))" in html.replace("&lt;", "<").replace("&gt;", ">")


def test_html_keeps_paragraphs_lists_and_safe_links_only():
    source = ('<div><h1>Programme</h1><ul><li>Music</li><li>Dance</li></ul>'
              '<p onclick="x()">Go <a href="https://ok.example/a">there</a>, not '
              '<a href="javascript:alert(1)">here</a> nor <a href="data:text/html,x">there</a>.</p>'
              '<style>p{}</style><iframe src="https://evil.example"></iframe></div>')
    markdown = markdown_from(source)
    html = str(render_markdown(markdown))
    assert "<li>Music</li>" in html and "<li>Dance</li>" in html
    assert '<a href="https://ok.example/a"' in html
    assert html.count("<a ") == 1 and "javascript" not in html and "data:" not in html
    assert "onclick" not in html and "iframe" not in html and "p{}" not in html


def test_titles_are_one_plain_line_of_at_most_the_limit():
    assert plain_line("  <b>Fête</b>\n de la   musique &amp; plus ", 160) == "Fête de la musique & plus"
    assert plain_line("x" * 200, 160) == "x" * 159 + "…"


def test_only_web_addresses_become_a_link_back():
    assert with_link("Body", "https://agenda.example/e/1") == "Body\n\n<https://agenda.example/e/1>"
    assert with_link("Body", "javascript:alert(1)") == "Body"
    assert with_link("Body", "https://x.example/a b") == "Body"


def test_the_kind_is_read_from_the_document():
    assert detect_kind(b"\xef\xbb\xbfBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n") == "ical"
    assert detect_kind(b'{"events": []}') == "openagenda"
    assert detect_kind(b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>') == "rss"
    assert detect_kind(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>') == "atom"
    for body in (b"<html><body>Hi</body></html>", b'{"items": []}', b"", b"PK\x03\x04"):
        with pytest.raises(FeedFormatError) as refused:
            detect_kind(body)
        assert refused.value.code == "not_a_feed"
