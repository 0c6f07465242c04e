"""HTML to text, and a parsed page into passages keyed by their heading path.

MediaWiki's parsed HTML is flat (headings are siblings of what they head), so one walk over the
top-level children with a heading stack gives each passage its full path (``Abilities > Q``).
libxml2 drops everything past 256 levels of nesting; :func:`parse_fragment` and
:func:`parse_document` notice it and parse again with the elements deeper than :data:`MAX_DEPTH`
unwrapped, so all the text is kept and only the excess structure goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

import lxml.html
from lxml import etree
from lxml.html.defs import empty_tags

HEADINGS = {"h2": 1, "h3": 2, "h4": 3, "h5": 4}
#: Page chrome and non-prose blocks: edit links, tables of contents, navboxes, references, the stats
#: infobox, galleries, audio players ("Play"), level tables (``dl.skill-tabs``: values drawn by script).
SKIP_CLASSES = (
    "mw-editsection",
    "toc",
    "navbox",
    "reference",
    "references",
    "mw-references-wrap",
    "printfooter",
    "catlinks",
    "infobox",
    "portable-infobox",
    "gallery",
    "ext-audiobutton",
    "audio-button",
    "skill-tabs",
    "mw-empty-elt",
)
#: Elements that are never text.
SKIP_TAGS = ("script", "style", "audio", "video", "figure")
#: Table cells stay apart on their row: "Targeting input | Direction".
CELLS = ("td", "th")
CELL_SEPARATOR = " | "
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
BLOCKS = ("p", "li", "tr", "dd", "dt", "div", "h2", "h3", "h4", "h5")
#: Deepest element kept as an element when a page is too deep for libxml2 (its limit is 256 levels).
MAX_DEPTH = 200
#: Elements whose content HTML takes literally (no entities): written back as they came.
RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "plaintext"})


class MalformedHtml(ValueError):
    """Markup with no usable structure (empty, truncated before any content)."""


def _clean(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _is_noise(tag: str, classes: str) -> bool:
    """Scripts, styles and page chrome (edit links, tables of contents, navboxes ...)."""
    return tag in SKIP_TAGS or any(c in classes.split() for c in SKIP_CLASSES)


def _drop_noise(root) -> None:
    noisy = [
        element
        for element in root.iter()
        if isinstance(element.tag, str) and element is not root and _is_noise(element.tag, element.get("class", ""))
    ]
    for element in noisy:
        if element.getparent() is not None:
            element.drop_tree()


def _text(element) -> str:
    """Block-aware text: paragraphs and list items end lines, so passages keep their shape."""
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in element.iter(*BLOCKS):
        block.tail = "\n" + (block.tail or "")
    for cell in element.iter(*CELLS):
        previous = cell.getprevious()
        if previous is not None and previous.tag in CELLS:
            cell.text = CELL_SEPARATOR + (cell.text or "")
    return _clean(element.text_content())


class _Unwrapper:
    """A libxml2 parser target that writes the page back with elements deeper than ``max_depth`` unwrapped.

    The parser's events have no depth limit (only its tree builder has), and come
    with HTML's implied end tags already applied, so depth here is libxml2's own.
    An unwrapped block leaves a ``<br>`` behind (at most two in a row) so lines
    survive; noise elements below the limit are skipped whole, as the tree
    path drops them; void elements are kept wherever they are.  Text is
    escaped again, but in raw-text elements (a ``__NEXT_DATA__`` script stays JSON).
    """

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self.parts: list[str] = []
        self.depth = 0
        self.skip_until = 0  # the depth of the noise element being skipped, 0 when none
        self.breaks = 0
        self.raw = False  # inside a raw-text element (they hold text only)

    def start(self, tag: str, attrib) -> None:
        self.depth += 1
        if self.skip_until:
            return
        if self.depth > self.max_depth and tag not in empty_tags:
            if _is_noise(tag, attrib.get("class", "")):
                self.skip_until = self.depth
            return
        self._flush_breaks()
        attributes = "".join(f' {name}="{escape(value)}"' for name, value in attrib.items())
        self.parts.append(f"<{tag}{attributes}>")
        self.raw = tag in RAW_TEXT

    def end(self, tag: str) -> None:
        depth, self.depth = self.depth, self.depth - 1
        if self.skip_until:
            if depth == self.skip_until:
                self.skip_until = 0
            return
        if tag in empty_tags:
            return
        if depth > self.max_depth:
            self.breaks = min(self.breaks + 1, 2) if tag in BLOCKS else self.breaks
            return
        self._flush_breaks()
        self.parts.append(f"</{tag}>")
        self.raw = False

    def data(self, text: str) -> None:
        if not self.skip_until:
            self._flush_breaks()
            self.parts.append(text if self.raw else escape(text, quote=False))

    def _flush_breaks(self) -> None:
        if self.breaks:
            self.parts.append("<br>" * self.breaks)
            self.breaks = 0

    def close(self) -> str:
        return "".join(self.parts)


def _too_deep(parser) -> bool:
    return any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log)


def _deep_safe(parse: Callable, html: str | bytes):
    """``parse(html, parser)``, again from an unwrapped copy when libxml2 hit its nesting limit.

    Bytes are read as UTF-8; a string as it is.
    """
    encoding = "utf-8" if isinstance(html, bytes) else None
    parser = lxml.html.HTMLParser(encoding=encoding)
    root = parse(html, parser)
    if _too_deep(parser):
        flat = etree.fromstring(html, etree.HTMLParser(target=_Unwrapper(MAX_DEPTH), encoding=encoding))
        root = parse(flat.encode("utf-8") if encoding else flat, lxml.html.HTMLParser(encoding=encoding))
    return root


def parse_fragment(html: str):
    """An HTML fragment under a ``<div>`` parent, every piece of text kept however deep it is nested."""
    return _deep_safe(
        lambda text, parser: lxml.html.fragment_fromstring(text, create_parent="div", parser=parser), html
    )


def parse_document(html: str):
    """A whole page (its ``<html>`` root; an empty page is an empty one), all text kept however deep it is nested.

    The page is parsed as UTF-8 bytes, so an XML declaration in it is no error (as in parsel).
    """
    return _deep_safe(etree.fromstring, html.encode("utf-8") if html.strip() else b"<html/>")


def html_to_text(fragment: str) -> str:
    """Readable text of an HTML fragment (Meraki effect descriptions, forum posts)."""
    if not fragment or "<" not in fragment:
        return _clean(fragment or "")
    root = parse_fragment(fragment)
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
        root = parse_fragment(html)
    except (etree.ParserError, ValueError) as exc:
        raise MalformedHtml(f"unparseable HTML: {exc}") from None
    # MediaWiki 1.41+ writes <div class="mw-content-ltr mw-parser-output" lang="en" dir="ltr">
    outputs = root.xpath("(.//div[contains(concat(' ', normalize-space(@class), ' '), ' mw-parser-output ')])[1]")
    container = outputs[0] if outputs else root
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
