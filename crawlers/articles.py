"""Article text of plain HTML guide pages (MOBAFire and the like), through trafilatura.

trafilatura finds the article among navigation, headers, footers, ads and comment threads; its XML
output keeps the headings (``<head rend="h2">``), so an article lands as sections with their heading
paths.  The text is plain (entities decoded: "Max Q > E > W" is text).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: trafilatura's block elements whose text is body text
BLOCKS = {"p", "item", "quote", "cell", "code"}
#: fewer words than this is no article (a stub, an error page, a list of links)
MIN_ARTICLE_WORDS = 40
#: how a line of prose ends (the lines before an article's first heading must be prose to land)
SENTENCE_ENDS = (".", "!", "?", ":", '"', "\u201d", ")")


@dataclass
class Section:
    headings: list[str]
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Article:
    title: str | None
    author: str | None
    date: str | None
    sections: list[Section]


def extract_article(html: str, url: str | None = None) -> Article | None:
    """The page's main article as sections under their headings; None when trafilatura finds none (or one
    of fewer than MIN_ARTICLE_WORDS words)."""
    import lxml.etree
    import trafilatura

    xml = trafilatura.extract(
        html,
        url=url,
        output_format="xml",
        include_formatting=True,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        with_metadata=True,
    )
    if not xml:
        return None
    root = lxml.etree.fromstring(xml.encode("utf-8"))
    main = root.find("main")
    if main is None:
        return None
    title = root.get("title")
    sections: list[Section] = []
    path: list[tuple[int, str]] = []  # (heading level, heading)
    current = Section([])
    for element in main.iter():
        tag = element.tag
        if tag == "head":
            level = int((element.get("rend") or "h2").lstrip("h") or 2)
            heading = " ".join("".join(element.itertext()).split())
            if level == 1 and not title:
                title = heading
            if current.lines:
                sections.append(current)
            path = [(lvl, h) for lvl, h in path if lvl < level] + ([(level, heading)] if level > 1 else [])
            current = Section([h for _, h in path])
        elif tag in BLOCKS:
            if any(ancestor.tag in BLOCKS for ancestor in element.iterancestors()):
                continue  # (its text is in the enclosing block's)
            text = " ".join("".join(element.itertext()).split())
            if text:
                current.lines.append(f"- {text}" if tag == "item" else text)
    if current.lines:
        sections.append(current)
    if sections and not sections[0].headings:
        # before the first heading: a lead, or a byline and widgets ("By X | Updated on ...") that are no prose
        sections[0].lines = [line for line in sections[0].lines if line.rstrip().endswith(SENTENCE_ENDS)]
        if not sections[0].lines:
            sections.pop(0)
    if sum(len(section.text.split()) for section in sections) < MIN_ARTICLE_WORDS:
        return None
    return Article(title=title, author=root.get("author"), date=root.get("date"), sections=sections)
