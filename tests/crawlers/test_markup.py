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


def _real_page_1_41() -> str:
    """Aatrox as MediaWiki 1.41 renders it (wrapper, infobox, skill block, level table, gallery, audio, refs),
    its words taken from the real wikitext (no rendered HTML of the real page was recorded)."""
    from crawlers.wikitext import data_passage, page_sections
    from tests.crawlers.real_wiki import read

    trivia = page_sections(read("Aatrox"))[1].text.split("\n")
    q = data_passage(read("Template:Data Aatrox/The Darkin Blade")).text.split("\n")
    heading = '<div class="mw-heading mw-heading2"><h2 id="{0}">{0}</h2></div>'
    return (
        '<div class="mw-content-ltr mw-parser-output" lang="en" dir="ltr">'
        '<div class="infobox"><table><tr><th>Acq. radius</th><td>475</td></tr>'
        "<tr><th>Selection radius</th><td>135</td></tr></table></div>"
        + heading.format("Abilities")
        + f'<div class="skill skill_q"><p>{q[0]}</p>'
        "<table><tr><th>Targeting input</th><td>Direction</td></tr><tr><th>Damage type</th><td>physical</td></tr>"
        '</table><dl class="skill-tabs"><dt>PHYSICAL DAMAGE:</dt><dd><span class="pp-tooltip"></span></dd>'
        "<dt>MINION DAMAGE:</dt><dd></dd></dl></div>"
        + heading.format("Media")
        + '<ul class="gallery mw-gallery-traditional"><li class="gallerybox"><div class="gallerytext">'
        "Electrocute with Precision</div></li></ul>"
        '<p><span class="ext-audiobutton"><audio src="x.ogg"></audio><a href="#">Play</a></span></p>'
        + heading.format("Trivia")
        + f'<ul><li>{trivia[1]}<sup class="reference"><a href="#cite_note-1">[1]</a></sup></li>'
        + f"<li>{trivia[3]}</li></ul>"
        + heading.format("References")
        + '<div class="mw-references-wrap"><ol class="references"><li>Riot Blaustoise Aatrox data tweet</li></ol></div>'
        '<div class="navbox">Champions navigation</div></div>'
    )


def test_mediawiki_1_41_pages_split_by_heading_without_infobox_widgets_or_glued_cells():
    passages = {p.section_path: p.text for p in split_passages(_real_page_1_41())}
    assert list(passages) == ["Abilities", "Trivia"]  # Media (gallery, audio) and References hold no text
    ability = passages["Abilities"]
    assert ability.startswith("Aatrox can activate The Darkin Blade three times")
    assert "Targeting input | Direction\nDamage type | physical" in ability
    assert "PHYSICAL DAMAGE" not in ability and "MINION DAMAGE" not in ability
    assert "[1]" not in passages["Trivia"] and "Aatrox is the first champion, since Lulu's patch" in passages["Trivia"]
    everything = "\n".join(passages.values())
    for junk in ("Acq. radius", "Selection radius", "Play", "Electrocute with Precision", "Blaustoise", "navigation"):
        assert junk not in everything, junk
