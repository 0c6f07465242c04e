"""Passage splitting of MediaWiki parsed HTML: the heading path is what makes a passage findable."""

import pytest
from parsel import Selector

from crawlers.markup import MalformedHtml, html_to_text, parse_document, split_passages

PAGE = (
    '<div class="mw-parser-output"><p>Lead text.</p>'
    '<div class="mw-heading mw-heading2"><h2 id="Abilities">Abilities</h2>'
    '<span class="mw-editsection">[edit]</span></div>'
    "<p>About abilities.</p>"
    '<h3><span class="mw-headline">Q</span></h3><p>Q text <b>bold</b>.</p>'
    '<h2>Patch history</h2><dl><dt>V14.3</dt><dd>Changed.</dd></dl><div class="navbox">nav</div></div>'
)


def test_passages_carry_their_heading_path_and_drop_page_chrome():
    passages = split_passages(PAGE)
    assert [(p.section_path, p.text) for p in passages] == [
        ("", "Lead text."),
        ("Abilities", "About abilities."),
        ("Abilities > Q", "Q text bold."),
        ("Patch history", "V14.3\nChanged."),
    ]
    assert passages[2].anchor == "Abilities/Q"
    assert "<b>bold</b>" in passages[2].html


@pytest.mark.parametrize("html", ["", "   ", '<div class="mw-parser-output"><h2>Lore</h2><p> </p>'])
def test_markup_without_text_is_malformed(html):
    with pytest.raises(MalformedHtml):
        split_passages(html)


def test_html_to_text_keeps_line_structure():
    assert html_to_text("<p>One</p><ul><li>a</li><li>b</li></ul>") == "One\na\nb"


# -- deep nesting (issue 14, row 11): libxml2 stops at 256 levels; no text may be lost past them ----------------
def test_a_200k_deep_page_keeps_its_text():
    depth = 200_000
    assert (
        html_to_text("<div>" * depth + "the deepest words" + "</div>" * depth + "<p>after</p>")
        == "the deepest words\n\nafter"
    )


def test_unclosed_spans_keep_every_word():
    words = [f"w{i}" for i in range(400)]
    assert html_to_text("".join(f"<span>{word} " for word in words)).split() == words


def test_deep_passages_keep_their_text_their_headings_and_drop_their_noise():
    deep = "<div>" * 1000 + '<p>deep text</p><script>alert(1)</script><div class="navbox">nav</div>' + "</div>" * 1000
    passages = split_passages(f'<div class="mw-parser-output"><h2>A</h2>{deep}<h2>B</h2><p>b text</p></div>')
    assert [(p.section_path, p.text) for p in passages] == [("A", "deep text"), ("B", "b text")]


def test_a_deep_page_keeps_its_embedded_state_and_attributes_verbatim():
    state = '{"url": "/a?b=1&c=2", "note": "x < y & \\"quoted\\""}'
    page = (
        f'<html><head><script id="__NEXT_DATA__" type="application/json">{state}</script></head><body>'
        '<article data-champion="A &amp; B">' + "<span>" * 400 + "words</article></body></html>"
    )
    selector = Selector(root=parse_document(page), type="html")
    assert selector.css("script#__NEXT_DATA__::text").get() == state
    assert selector.css("article::attr(data-champion)").get() == "A & B"
    assert selector.css("article ::text").get() == "words"
