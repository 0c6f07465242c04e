"""MediaWiki wikitext to passages: page sections by heading path, and ability data templates.

The League of Legends wiki keeps a champion's abilities out of the champion page: ``Aatrox``
transcludes ``{{Data Aatrox/Q|Ability}}``, a redirect to ``Template:Data Aatrox/The Darkin Blade``,
whose ``{{Ability data}}`` call names the champion, the slot (``skill = Q``) and the texts
(``description``, ``description2`` ..., ``leveling``, ``notes``).  Reading the wikitext with
mwparserfromhell therefore gives what rendered HTML only hints at: which passage is which ability,
and which parts are an infobox (``{{Champion info}}``, ``{{Item info}}``), a navbox, a gallery, an
audio widget (``{{sm2}}``) or a reference: those are template calls and tags, dropped by name here.

The wiki's inline templates (``{{as|...}}``, ``{{tip|...}}``, ``{{ai|...}}``, ``{{ap|10 to 70}}``
...) are rendered to the words the reader sees (:data:`INLINE`); value templates are computed
(``{{ap|14 to 6}}`` is ``14 / 12 / 10 / 8 / 6``, ``{{#var:}}`` and ``{{#expr:}}`` evaluated) so a
level table is a whole line (``Physical Damage: 30 / 40 / 50 / 60 / 70 (+ 40% AD)``) that the
corpus rules drop as a value table, never a bare label.  A template not known here is dropped and
counted in :attr:`Renderer.unknown`, never guessed at.
"""

from __future__ import annotations

import ast
import operator
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import mwparserfromhell
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Template,
    Text,
    Wikilink,
)
from mwparserfromhell.wikicode import Wikicode

#: Templates that are page furniture, infoboxes, navboxes, audio players or maintenance marks.
DROP = frozenset(
    {
        "section top",
        "game banner",
        "lol navigation",
        "champion info",
        "patch box",
        "champions",
        "champion categories",
        "champion without ability power ratio",
        "diminishing gold info",
        "map changes",
        "rune footer",
        "sm2",  # the audio player: its "Play" button is no text
        "bug",  # a footnote mark
        "ct",  # the cast-time table
        "effect at cast time end",
        "dv",  # range values drawn with icons
    }
)
#: Tags whose content is never prose.
DROP_TAGS = frozenset({"ref", "references", "gallery", "noinclude", "imagemap", "math", "templatestyles"})
#: Link namespaces that are media or categories (their links are no text).
DROP_LINKS = re.compile(r"(?i)^\s*:?\s*(file|image|media|category)\s*:")
#: Interlanguage links ([[de:...]], [[pt-br:...]]).
LANGUAGE_LINK = re.compile(r"^\s*[a-z]{2,3}(-[a-z]{2,4})?\s*:")
#: The item infobox's parameters that are prose, each landed as a section of the page.
ITEM_SECTIONS = {
    "background": "Background",
    "notes": "Notes",
    "strategy": "Strategy",
    "trivia": "Trivia",
    "media": "Media",
    "sfx": "Media > Sound effects",
    "patchhistory": "Patch history",
}
#: The ability table's rows, written as ``Label: value`` lines under the descriptions.
ABILITY_DETAILS = (
    ("targeting", "Targeting input"),
    ("affects", "Affects"),
    ("damagetype", "Damage type"),
    ("spellshield", "Spell shield"),
    ("projectile", "Projectile"),
    ("cast time", "Cast time"),
    ("cooldown", "Cooldown"),
    ("static", "Cooldown"),
    ("range", "Range"),
)
#: The wiki's innate slot (I) is the passive (P) every other source calls it.
SLOTS = {"I": "P", "P": "P", "Q": "Q", "W": "W", "E": "E", "R": "R"}
#: Data templates a page transcludes (fetched and read on their own): abilities, rune data.
DATA_TEMPLATE = re.compile(r"(?i)^(data [^/|]+/[^|]+|rune header|rune data .+)$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BLANK_LINES = re.compile(r"\n\s*\n+")
_SPACES = re.compile(r"[ \t\u00a0]+")


def clean_lines(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# -- arithmetic of value templates ------------------------------------------------------------
_OPERATORS: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def evaluate(expression: str, x: float | None = None) -> float | None:
    """``expression`` (numbers, + - * / and brackets, ``x``) as a number; None when it is not arithmetic."""
    try:
        tree = ast.parse(expression.strip().replace("×", "*"), mode="eval")
    except SyntaxError:
        return None

    def value(node):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id == "x" and x is not None:
            return x
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.operand))
        raise ValueError(ast.dump(node))

    try:
        return value(tree)
    except (ValueError, ZeroDivisionError, TypeError):
        return None


def number(value: float) -> str:
    return f"{round(value, 2):g}"


def _computed(expression: str, x: float | None = None) -> str:
    result = evaluate(expression, x)
    return expression.strip() if result is None else number(result)


def ranks(spec: str, count: int) -> str:
    """``{{ap}}``: ``14 to 6`` over ``count`` ranks is ``14 / 12 / 10 / 8 / 6``; one value is itself."""
    if " to " not in spec:
        return _computed(spec)
    first, last = (evaluate(part) for part in spec.split(" to ", 1))
    if first is None or last is None:
        return spec.strip()
    steps = max(count - 1, 1)
    return " / ".join(number(first + (last - first) * i / steps) for i in range(count))


def level_range(spec: str, levels: str, key: str) -> str:
    """``{{pp}}``: the first and last value over champion levels (``55 to 70``, ``30;39;...``, ``60 + 10 * x``)."""
    if ";" in spec:
        values = [v.strip() for v in spec.split(";") if v.strip()]
        first, last = (values[0], values[-1]) if values else ("", "")
    elif " to " in spec:
        first, last = (_computed(part) for part in spec.split(" to ", 1))
    elif "x" in spec:
        bounds = re.match(r"\s*(-?[\d.]+)\s+to\s+(-?[\d.]+)", levels or "1 to 18")
        low, high = (float(bounds.group(1)), float(bounds.group(2))) if bounds else (1.0, 18.0)
        first, last = _computed(spec, low), _computed(spec, high)
    else:
        return _computed(spec) + key
    return f"{first}{key} - {last}{key}" if first != last else f"{first}{key}"


# -- rendering ----------------------------------------------------------------------------------
@dataclass
class Renderer:
    """Wikitext to the text a reader sees; ``variables`` hold ``{{#vardefine:}}`` values."""

    variables: dict[str, str] = field(default_factory=dict)
    #: ranks of the ability being rendered ({{ap}}): 3 for an ultimate, else 5.
    rank_count: int = 5
    #: templates dropped because nothing here knows them, by name.
    unknown: Counter = field(default_factory=Counter)

    def render(self, code: Wikicode | str | None) -> str:
        if code is None:
            return ""
        if isinstance(code, str):
            code = mwparserfromhell.parse(code)
        return "".join(self.node(node) for node in code.nodes)

    def node(self, node) -> str:
        if isinstance(node, Text):
            return str(node.value)
        if isinstance(node, Template):
            return self.template(node)
        if isinstance(node, Wikilink):
            return self.link(node)
        if isinstance(node, ExternalLink):
            return self.render(node.title) if node.title else ""
        if isinstance(node, Tag):
            return self.tag(node)
        if isinstance(node, HTMLEntity):
            return node.normalize()
        if isinstance(node, Heading):
            return "\n" + self.render(node.title).strip() + "\n"
        if isinstance(node, Argument):
            return self.render(node.default) if node.default is not None else ""
        if isinstance(node, Comment):
            return ""
        return ""

    def link(self, node: Wikilink) -> str:
        title = str(node.title)
        if DROP_LINKS.match(title) or LANGUAGE_LINK.match(title):
            return ""
        if node.text is not None:
            return self.render(node.text)
        title = title.split("#", 1)[0] or title.split("#", 1)[-1]
        return title.split(":", 1)[1] if title.lower().startswith("wikipedia:") else title

    def tag(self, node: Tag) -> str:
        name = str(node.tag).strip().lower()
        if name in DROP_TAGS:
            return ""
        if name == "br":
            return "\n"
        if node.wiki_markup in ("*", "#", ";", ":"):
            return ""
        if name == "li":
            return "\n" + self.render(node.contents)
        if name in ("td", "th"):
            return " | " + self.render(node.contents)
        if name in ("p", "div", "tr", "ul", "ol", "dl", "table", "blockquote", "center"):
            return "\n" + self.render(node.contents) + "\n"
        return self.render(node.contents) if node.contents is not None else ""

    # -- templates --------------------------------------------------------------------------------
    def arg(self, template: Template, key: str | int, default: str = "") -> str:
        key = str(key)
        if not template.has(key):
            return default
        return self.render(template.get(key).value).strip()

    def template(self, template: Template) -> str:
        name = template_name(template)
        if name.startswith("#"):
            return self.parser_function(name, template)
        key = name.lower().replace("_", " ")
        if key in DROP or DATA_TEMPLATE.match(name):
            return ""
        handler = INLINE.get(key)
        if handler is not None:
            return handler(self, template)
        self.unknown[key] += 1
        return ""

    def parser_function(self, name: str, template: Template) -> str:
        function, _, first = name.partition(":")
        function = function.lower()
        if function == "#vardefine":
            self.variables[first.strip()] = self.arg(template, 1)
            return ""
        if function == "#var":
            return self.variables.get(first.strip(), self.arg(template, 1))
        if function == "#invoke":  # a Lua module (skin tabs, data tables): no prose
            return ""
        if function == "#expr":
            expression = self.render(first) + "".join(f"|{self.render(p.value)}" for p in template.params)
            return _computed(expression)
        self.unknown[function] += 1
        return ""

    def level_table(self, template: Template) -> str:
        """``{{st|Label|value|Label|value}}``: one ``Label: value`` line a pair."""
        values = [self.render(p.value).strip() for p in template.params if not p.showkey]
        pairs = zip(values[0::2], values[1::2], strict=False)
        return "".join(f"\n{label}: {value}" for label, value in pairs if label and value) + "\n"


def _first(r: Renderer, t: Template) -> str:
    return r.arg(t, 1)


def _display(position: int) -> Callable[[Renderer, Template], str]:
    """The display argument at ``position`` when given, else the first (a link or a keyword)."""
    return lambda r, t: r.arg(t, position) or r.arg(t, 1)


def _possessive(position: int) -> Callable[[Renderer, Template], str]:
    return lambda r, t: (r.arg(t, position) or r.arg(t, 1)) + "'s"


def _gold(r: Renderer, t: Template) -> str:
    amount = r.arg(t, 1)
    return f"{amount} gold" if amount and amount[0].isdigit() else amount


def _ranks(r: Renderer, t: Template) -> str:
    return ranks(r.arg(t, 1), r.rank_count)


def _levels(r: Renderer, t: Template) -> str:
    return level_range(r.arg(t, 1), r.arg(t, 2), r.arg(t, "key"))


INLINE: dict[str, Callable[[Renderer, Template], str]] = {
    "as": _first,
    "sbc": _first,
    "tt": _first,
    "fd": _first,
    "ccs": _first,
    "mi6": _first,
    "quote": _first,
    "tft item": _first,
    "ii": _first,
    "csl": _first,
    "tip": _display(2),
    "sti": _display(2),
    "stil": _display(2),
    "w": _display(2),
    "univ": _display(2),
    "ci": _display(2),
    "ai": _display(3),
    "cai": _display(3),
    "ais": _possessive(3),
    "cais": _possessive(3),
    "cis": _possessive(2),
    "g": _gold,
    "times": lambda r, t: "×",
    "rd": lambda r, t: f"{r.arg(t, 1)}/{r.arg(t, 2)}",
    "ap": _ranks,
    "pp": _levels,
    "st": Renderer.level_table,
    "scroll box": lambda r, t: r.arg(t, "content"),
}


# -- pages ---------------------------------------------------------------------------------------
@dataclass
class Section:
    headings: list[str]
    text: str

    @property
    def section_path(self) -> str:
        return " > ".join(self.headings)

    @property
    def anchor(self) -> str:
        return "/".join(h.replace(" ", "_") for h in self.headings)


def template_name(template: Template) -> str:
    """The template's name as the wiki reads it (comments inside the name are no part of it)."""
    return _COMMENT.sub("", str(template.name)).strip()


def _template_key(template: Template) -> str:
    return template_name(template).lower().replace("_", " ")


def page_sections(wikitext: str, renderer: Renderer | None = None) -> list[Section]:
    """The page's sections with their heading paths (the lead has ``[]``); empty sections are left out.

    An ``{{Item info}}`` infobox is not text, but its prose parameters (background, notes,
    strategy, trivia) and its patch history are: each becomes a section of its own.
    """
    renderer = renderer or Renderer()
    code = mwparserfromhell.parse(wikitext)
    sections: list[Section] = []
    headings: list[tuple[int, str]] = []
    parts: list[str] = []

    def close() -> None:
        text = clean_lines("".join(parts))
        if text:
            sections.append(Section([title for _, title in headings], text))
        parts.clear()

    for node in code.nodes:
        if isinstance(node, Heading):
            close()
            while headings and headings[-1][0] >= node.level:
                headings.pop()
            headings.append((node.level, clean_lines(renderer.render(node.title))))
        elif isinstance(node, Template) and _template_key(node) == "item info":
            close()
            for param, path in ITEM_SECTIONS.items():
                if node.has(param):
                    text = clean_lines(renderer.render(node.get(param).value))
                    if text:
                        sections.append(Section(path.split(" > "), text))
        else:
            parts.append(renderer.node(node))
    close()
    return sections


def data_templates(wikitext: str) -> list[str]:
    """Titles of the data templates a page transcludes (``Template:Data Aatrox/Q``, ``Template:Rune data X``)."""
    titles: list[str] = []
    for template in mwparserfromhell.parse(wikitext).filter_templates(recursive=False):
        name = template_name(template)
        if re.match(r"(?i)^data [^/|]+/[^|]+$", name):
            titles.append(f"Template:{name[0].upper()}{name[1:]}")
        elif _template_key(template) == "rune header" and template.has(1):
            titles.append(f"Template:Rune data {str(template.get(1).value).strip()}")
    return list(dict.fromkeys(titles))


@dataclass
class DataPassage:
    """One ability (or rune) of a data template: its texts, and its notes apart."""

    kind: str  # "ability" or "rune"
    name: str
    slot: str | None
    champion: str | None
    text: str
    notes: str

    @property
    def headings(self) -> list[str]:
        if self.kind == "ability":
            return ["Abilities", self.slot or "", self.name]
        return ["Description"]


def _numbered(template: Template, stem: str) -> list[str]:
    """``description``, ``description2`` ... in order (the wiki numbers them from 2)."""
    names = [str(p.name).strip() for p in template.params]
    found = [n for n in names if re.fullmatch(rf"{stem}\d*", n)]
    return sorted(found, key=lambda n: int(n[len(stem) :] or 1))


def data_passage(wikitext: str, renderer: Renderer | None = None) -> DataPassage | None:
    """The ability (``{{Ability data}}``: champion, skill) or rune (``{{Rune data}}``: path, slot) of a template."""
    renderer = renderer or Renderer()
    code = mwparserfromhell.parse(wikitext)
    # {{#vardefine}} calls come first; render them so {{#var}} has their values
    for template in code.filter_templates(recursive=False):
        if template_name(template).lower().startswith("#vardefine"):
            renderer.template(template)
    data = next(
        (
            t
            for t in code.filter_templates(recursive=False)
            if t.has("description") and (t.has("skill") or t.has("path"))
        ),
        None,
    )
    if data is None:
        return None
    name = renderer.arg(data, "name") or renderer.arg(data, 1)
    if data.has("skill"):
        slot = SLOTS.get(renderer.arg(data, "skill").upper(), renderer.arg(data, "skill").upper())
        renderer.rank_count = 3 if slot == "R" else 5
        kind, champion = "ability", renderer.arg(data, "champion") or None
    else:
        slot, kind, champion = None, "rune", None
    lines: list[str] = []
    for description in _numbered(data, "description"):
        lines.append(renderer.arg(data, description))
        leveling = "leveling" + description[len("description") :]
        if data.has(leveling):
            lines.append(renderer.arg(data, leveling))
    details = []
    for param, label in ABILITY_DETAILS:
        value = clean_lines(renderer.arg(data, param))
        if value and "\n" not in value:
            details.append(f"{label}: {value}")
    if kind == "rune" and renderer.arg(data, "cooldown"):
        details.append(f"Cooldown: {renderer.arg(data, 'cooldown')}")
    text = clean_lines("\n".join([*lines, *dict.fromkeys(details)]))
    notes = clean_lines(renderer.arg(data, "notes"))
    return DataPassage(kind=kind, name=name, slot=slot, champion=champion, text=text, notes=notes)
