"""Passage splitting of MediaWiki parsed HTML: the heading path is what makes a passage findable."""

import pytest

from crawlers.markup import MalformedHtml, html_to_text, split_passages

PAGE = (
    '<div class="mw-parser-output"><p>Lead text.</p>'
    '<div class="mw-heading mw-heading2"><h2 id="Abilities">Abilities</h2><span class="mw-editsection">[edit]</span></div>'
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
