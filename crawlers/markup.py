"""HTML to text, and a parsed page into passages keyed by their heading path.

MediaWiki's parsed HTML is flat: headings (``h2``..``h4``, possibly wrapped in a
``div.mw-heading``) are siblings of the paragraphs, lists and tables they head.
Walking the top-level children once while keeping a heading stack gives each
passage its full path (``Abilities > Q``) without a second parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

HEADINGS = {"h2": 1, "h3": 2, "h4": 3, "h5": 4}
SKIP_CLASSES = ("mw-editsection", "toc", "navbox", "reference", "mw-references-wrap", "printfooter", "catlinks")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


class MalformedHtml(ValueError):
    """Markup with no usable structure (empty, truncated before any content)."""


def _clean(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _drop_noise(root) -> None:
    noisy = [
        element
        for element in root.iter()
        if isinstance(element.tag, str)
        and element is not root
        and (element.tag in ("script", "style") or any(c in element.get("class", "").split() for c in SKIP_CLASSES))
    ]
    for element in noisy:
        if element.getparent() is not None:
            element.drop_tree()


def _text(element) -> str:
    """Block-aware text: paragraphs and list items end lines, so passages keep their shape."""
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in element.iter("p", "li", "tr", "dd", "dt", "div", "h2", "h3", "h4", "h5"):
        block.tail = "\n" + (block.tail or "")
    return _clean(element.text_content())


def html_to_text(fragment: str) -> str:
    """Readable text of an HTML fragment (Meraki effect descriptions, forum posts)."""
    if not fragment or "<" not in fragment:
        return _clean(fragment or "")
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    _drop_noise(root)
    return _text(root)


@dataclass
class Passage:
    headings: list[str]
    html_parts: list[str] = field(default_factory=list)

    @property
    def html(self) -> str:
        return "".join(self.html_parts)

    @property
    def text(self) -> str:
        return html_to_text(self.html)

    @property
    def section_path(self) -> str:
        return " > ".join(self.headings)

    @property
    def anchor(self) -> str:
        return "/".join(h.replace(" ", "_") for h in self.headings)


def _heading(element) -> tuple[int, str] | None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "div" and "mw-heading" in element.get("class", ""):
        inner = next((child for child in element if child.tag in HEADINGS), None)
        return _heading(inner) if inner is not None else None
    if tag in HEADINGS:
        headline = element.find(".//span[@class='mw-headline']")
        source = headline if headline is not None else element
        for edit in source.xpath(".//*[contains(@class, 'mw-editsection')]"):
            edit.drop_tree()
        return HEADINGS[tag], _clean(source.text_content())
    return None


def split_passages(html: str) -> list[Passage]:
    """Split a parsed page into passages (the lead before the first heading has path ``[]``).

    Raises :class:`MalformedHtml` when the markup yields no text at all.
    """
    if not html or not html.strip():
        raise MalformedHtml("empty HTML")
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError) as exc:
        raise MalformedHtml(f"unparseable HTML: {exc}") from None
    output = root.find("div[@class='mw-parser-output']")
    container = output if output is not None else root
    _drop_noise(container)
    passages: list[Passage] = [Passage(headings=[])]
    stack: list[tuple[int, str]] = []
    for child in container:
        heading = _heading(child)
        if heading is not None:
            level, title = heading
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            passages.append(Passage(headings=[t for _, t in stack]))
            continue
        if isinstance(child.tag, str):
            passages[-1].html_parts.append(etree.tostring(child, encoding="unicode", with_tail=False))
    kept = [p for p in passages if p.text]
    if not kept:
        raise MalformedHtml("no text under any heading (truncated or malformed markup)")
    return kept
