"""Text cleaning for the corpus models: HTML to visible text, Unicode and whitespace, sentences;
and the masking of the words that name a champion (evaluation queries, training pairs).

``html_text`` is for markup only (``raw.documents.html``); text a spider already decoded
(``raw.documents.text``: "I <3 this champ. Max Q > E > W") goes through ``clean`` alone,
since a tag strip would eat everything between a ``<`` and the next ``>``."""

from __future__ import annotations

import functools
import re
import unicodedata

import pyarrow as pa

_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": " - ", "\u2012": "-", "\u00d7": "x"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_SENTENCE_OR_LINE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
#: Last words that end no sentence (a title, or one capital: an initial).
_TITLES = frozenset(
    f"{opening}{title}."
    for title in ("Dr Mr Mrs Ms Mt St Jr Sr Prof Capt Gen Lt Sgt vs e.g i.e".split())
    for opening in ("", "(", '"', "'")
)


def _may_go_on(piece: str) -> bool:
    """Whether a piece ends in a title or an initial (then the sentence may go on in the next piece)."""
    last = piece[piece.rfind(" ") + 1 :]
    return last in _TITLES or (len(last) == 2 and last[0].isupper())


#: A sentence piece that ends in a title ("Dr.", "Mr.") or a run of initials ("B. F."): the sentence goes on.
_ABBREVIATION_END = re.compile(
    r"(?:^|[\s(\"'])(?:Dr|Mr|Mrs|Ms|Mt|St|Jr|Sr|Prof|Capt|Gen|Lt|Sgt|vs|e\.g|i\.e)\.$|(?:^|\s)[A-Z]\.\s[A-Z]\.$"
)
#: One initial ends a piece ("B.") and the next piece opens with another ("F. Sword"): one name.
_INITIAL_END = re.compile(r"(?:^|\s)[A-Z]\.$")
_INITIAL_START = re.compile(r"^[A-Z]\.(\s|$)")
_DROP_HTML = (
    "script, style, noscript, nav, header, footer, aside, .navbox, .toc, #toc, .mw-editsection, "
    "sup.reference, .reference, .infobox, .portable-infobox, .mw-empty-elt, template, .printfooter, "
    ".gallery, .ext-audiobutton, .audio-button, audio, .mw-references-wrap"
)
_BLOCKS = {"p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dd", "dt", "blockquote", "section"}
#: Table cells: kept apart on their row ("Targeting input | Direction", never "Targeting inputDirection").
_CELLS = {"td", "th"}
CELL_SEPARATOR = " | "


def clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


@functools.lru_cache(maxsize=1)
def _drop_selector():
    """The compiled selector of elements that are never content (compiling per call is slow)."""
    from lxml.cssselect import CSSSelector

    return CSSSelector(_DROP_HTML)


#: Markup that needs a real parse (content to drop, or structure); anything else is simple
#: inline/paragraph markup (Meraki's ability texts) that a tag strip handles exactly.
_NEEDS_PARSE = re.compile(
    r"<\s*(script|style|noscript|nav|header|footer|aside|table|td|th|template|sup|audio)\b|class=[\"'][^\"']*"
    r"(navbox|toc|mw-editsection|reference|infobox|mw-empty-elt|printfooter|gallery|audiobutton|audio-button)"
    r"|id=[\"']toc",
    re.IGNORECASE,
)
_BLOCK_TAG = re.compile(r"</?\s*(" + "|".join(sorted(_BLOCKS)) + r")\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")


def _strip_simple_markup(html: str) -> str:
    import html as entities

    return clean(entities.unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub("\n", html))))


def html_text(html: str | None) -> str | None:
    if html is None:
        return None
    if "<" not in html:
        return clean(html)
    if not _NEEDS_PARSE.search(html):
        return _strip_simple_markup(html)
    return _parse_markup(html)


def _parse_markup(html: str) -> str | None:
    """Visible text through lxml: non-content elements dropped, block elements on their own lines."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return clean(re.sub(r"<[^>]+>", " ", html))
    for element in _drop_selector()(root):
        element.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in _BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
        elif element.tag in _CELLS:
            previous = element.getprevious()
            if previous is not None and previous.tag in _CELLS:
                element.text = CELL_SEPARATOR + (element.text or "")
    return clean(root.text_content())


#: Whitespace that ``str.strip`` removes, but the newline (lines are what ``clean`` keeps apart).
_LINE_EDGE = "".join(c for c in map(chr, range(0x3100)) if c.isspace() and c != "\n")
_LINE_BREAK = "[" + _LINE_EDGE + "]*\n[" + _LINE_EDGE + "\n]*"
#: the runs ``_WS`` would change (a single space stays: replacing each one is most of the cost)
_ARROW_WS = "[ \t\r\f\v\u00a0]{2,}|[\t\r\f\v\u00a0]"
_ARROW_BLOCK_TAG = r"(?i)</?\s*(?:" + "|".join(sorted(_BLOCKS)) + r")\b[^>]*>"


def clean_texts(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``clean`` over a whole column in Arrow kernels (same output, row for row): NFKC where a row is
    not ASCII, the dashes, whitespace runs, line edges and blank lines."""
    import pyarrow.compute as pc

    texts = _one_chunk(texts)
    if not pc.all(pc.string_is_ascii(texts)).as_py():  # NFKC and the dashes change no ASCII text
        texts = pa.array(
            [v if v is None or v.isascii() else _dashes(unicodedata.normalize("NFKC", v)) for v in texts.to_pylist()],
            type=pa.string(),
        )
    texts = pc.replace_substring_regex(texts, _ARROW_WS, " ")
    texts = pc.replace_substring_regex(texts, _LINE_BREAK, "\n")
    return pc.utf8_trim(texts, _LINE_EDGE + "\n")


def _dashes(text: str) -> str:
    """``text.translate(_DASHES)`` by ``str.replace`` (translate with a table is slow on non-ASCII text)."""
    for dash, replacement in _DASHES.items():
        if chr(dash) in text:
            text = text.replace(chr(dash), replacement)
    return text


def html_texts(documents: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``html_text`` over a whole column: tag strip and ``clean`` in Arrow kernels for the rows of simple
    markup (most of them), lxml only for the rows that need a real parse; same output, row for row."""
    import html as entities

    import pyarrow.compute as pc

    documents = _one_chunk(documents)
    parse = pc.fill_null(pc.match_substring_regex(documents, _NEEDS_PARSE.pattern, ignore_case=True), False)
    simple = pc.if_else(parse, pa.scalar(None, pa.string()), documents)
    simple = pc.replace_substring_regex(simple, _ARROW_BLOCK_TAG, "\n")
    simple = pc.replace_substring_regex(simple, r"<[^>]*>", "")
    # entities are decoded in markup only ("<" in the row): plain text keeps "&amp;" as written
    markup = pc.fill_null(pc.and_(pc.match_substring(documents, "<"), pc.match_substring(simple, "&")), False)
    if pc.any(markup).as_py():
        simple = pa.array(
            [entities.unescape(v) if m else v for v, m in zip(simple.to_pylist(), markup.to_pylist(), strict=True)],
            type=pa.string(),
        )
    out = clean_texts(simple)
    if not pc.any(parse).as_py():
        return out
    rows = out.to_pylist()
    for index in pc.indices_nonzero(parse).to_pylist():
        rows[index] = _parse_markup(documents[index].as_py())
    return pa.array(rows, type=pa.string())


def _one_chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        return array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    return array


def sentences(text: str | None) -> list[str]:
    """Sentences of each line, in order; a full stop after a title or an initial ends none ("Dr. Mundo")."""
    if not text:
        return []
    pieces = [s.strip() for s in _SENTENCE_OR_LINE_END.split(text) if s and s.strip()]
    if not any(_may_go_on(piece) for piece in pieces[:-1]):
        return pieces
    out: list[str] = []
    for line in text.split("\n"):
        pieces = [p.strip() for p in _SENTENCE_END.split(line) if p and p.strip()]
        merged: list[str] = []
        for piece in pieces:
            if merged and (
                _ABBREVIATION_END.search(merged[-1])
                or (_INITIAL_END.search(merged[-1]) and _INITIAL_START.match(piece))
            ):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        out.extend(merged)
    return out


_TITLE_WORDS = "Dr|Mr|Mrs|Ms|Mt|St|Jr|Sr|Prof|Capt|Gen|Lt|Sgt|vs|e\\.g|i\\.e"
_ARROW_SPACE = "[" + _LINE_EDGE + "\n]"
#: A word that may end a piece before its sentence goes on (a title, or two characters from a capital):
#: rows with one take the row-by-row path; the others are only split (a superset, so never wrong).
_ARROW_MAY_GO_ON = (
    r"(?:^|" + _ARROW_SPACE + r")[(\"']?(?:(?:" + _TITLE_WORDS + r")\.|[^" + _LINE_EDGE + "\n]"
    r"(?:[.!?]" + _ARROW_SPACE + "|[^" + _LINE_EDGE + "\n][" + _LINE_EDGE + "]*\n))|\x00"
)
_ARROW_SPLIT = "([.!?])" + _ARROW_SPACE + "+([\"'(\\[]?[A-Z0-9])|\n+"


def sentences_of_column(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``sentences`` over a whole column (same lists, row for row): rows where no title or initial can
    end a piece are split by Arrow kernels; the rest go through ``sentences`` one by one."""
    import numpy as np
    import pyarrow.compute as pc

    texts = _one_chunk(texts)
    texts = pc.if_else(pc.is_null(texts), "", texts)
    careful = pc.match_substring_regex(texts, _ARROW_MAY_GO_ON)
    marked = pc.replace_substring_regex(pc.if_else(careful, "", texts), _ARROW_SPLIT, "\\1\x00\\2")
    pieces = pc.split_pattern(marked, "\x00")
    flat = pc.utf8_trim(pc.list_flatten(pieces), _LINE_EDGE + "\n")
    parents = pc.list_parent_indices(pieces)
    keep = pc.not_equal(pc.binary_length(flat), 0)
    flat, parents = pc.filter(flat, keep), pc.filter(parents, keep)
    counts = pc.value_counts(parents)  # rows with no piece left get no entry
    lengths = [0] * len(texts)
    for row, count in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True):
        lengths[row] = count
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths, dtype=np.int32)]), type=pa.int32())
    out = pa.ListArray.from_arrays(offsets, flat)
    if not pc.any(careful).as_py():
        return out
    rows = out.to_pylist()
    for index in pc.indices_nonzero(careful).to_pylist():
        rows[index] = sentences(texts[index].as_py())
    return pa.array(rows, type=pa.list_(pa.string()))


def mask_terms(text: str, terms: list[str], token: str) -> str:
    """Replace every whole-word occurrence of ``terms`` (longest first, any case, plus a plain
    inflection: "Pulverize" also hides "pulverizes") with ``token``."""
    words = sorted({t.strip() for t in terms or [] if t and t.strip()}, key=len, reverse=True)
    if not words:
        return text
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?:s|es|d|ed|ing)?(?!\w)", re.IGNORECASE
    )
    return pattern.sub(token, text)
