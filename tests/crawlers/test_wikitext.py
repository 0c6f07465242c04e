"""Reading the real wiki's wikitext: sections by heading path, abilities from their data templates, no chrome."""

from __future__ import annotations

import re

import pytest

from crawlers.wikitext import Renderer, data_passage, data_templates, page_sections, ranks
from tests.crawlers.real_wiki import read

ABILITIES = {
    "Deathbringer Stance": "P",
    "The Darkin Blade": "Q",
    "Infernal Chains": "W",
    "Umbral Dash": "E",
    "World Ender": "R",
}
#: What must never reach a passage: infobox labels, markup, file names, audio buttons, glued cells.
JUNK = re.compile(
    r"Acq\. radius|Selection radius|\{\{|\}\}|\[\[|\]\]|\.png|\.ogg|Category:|<ref|<gallery|\bPlay\b"
    r"|Targeting inputDirection|Damage typemagic|#var|#vardefine|noinclude"
    r"|\|\s*[a-z][a-z0-9 ]*="  # a template parameter leaking as text (|items=false, |cooldown = ...)
)


@pytest.mark.parametrize("title", ["Aatrox", "Infinity Edge", "Electrocute", "World Atlas"])
def test_every_template_on_the_real_pages_is_known_and_no_markup_lands(title):
    renderer = Renderer()
    sections = page_sections(read(title), renderer)
    assert sections and not renderer.unknown, dict(renderer.unknown)
    for section in sections:
        assert not JUNK.search(section.text), (section.section_path, JUNK.search(section.text))


def test_aatrox_lands_sections_by_heading_and_leaves_abilities_to_their_templates():
    sections = page_sections(read("Aatrox"))
    assert [s.section_path for s in sections] == ["Champion skins", "Trivia"]
    trivia = sections[1].text
    assert "Aatrox's passive, Deathbringer Stance, is a reference to Final Fantasy IV" in trivia
    # the reference after "fire" is a <ref>: its text never reaches the passage
    assert "DeVaan" not in trivia and "Riot Blaustoise" not in trivia
    assert data_templates(read("Aatrox")) == [f"Template:Data Aatrox/{slot}" for slot in "IQWER"]


def test_the_item_infobox_is_read_for_its_prose_and_patch_history_is_a_section():
    sections = {s.section_path: s.text for s in page_sections(read("Infinity Edge"))}
    assert list(sections) == ["", "Background", "Notes", "Trivia", "Patch history"]
    assert sections["Background"].startswith("Only the boldest of men and women dare take the risky trip")
    assert "from 200% AD to 230% AD" in sections["Notes"]  # {{#expr:200+30}} computed
    assert sections["Patch history"].startswith("V26.01\nTotal cost increased to 3500 gold from 3450 gold.")
    # the similar-items, gold value and recipe fields of the infobox are no text
    assert not any("Yun Tal Wildarrows" in text for text in sections.values())


def test_gallery_and_audio_leave_only_a_media_section_and_the_scroll_box_is_unwrapped():
    sections = {s.section_path: s.text for s in page_sections(read("Electrocute"))}
    assert list(sections) == ["Notes", "Trivia", "Media > Sound effects", "Patch History"]
    assert "Domination Electrocute" not in " ".join(sections.values())  # gallery captions
    assert sections["Media > Sound effects"].split("\n") == ["3rd stack applied", "Rune SFX", "Rune SFX", "Rune SFX"]
    assert sections["Patch History"].startswith("V25.S1.3\nBase damage increased to 70 - 240 from 50 - 190.")


@pytest.mark.parametrize("name, slot", ABILITIES.items())
def test_each_ability_template_is_one_passage_tied_to_champion_and_slot(name, slot):
    renderer = Renderer()
    passage = data_passage(read(f"Template:Data Aatrox/{name}"), renderer)
    assert (passage.kind, passage.champion, passage.slot, passage.name) == ("ability", "Aatrox", slot, name)
    assert passage.headings == ["Abilities", slot, name]
    assert passage.text and passage.notes and not renderer.unknown
    for line in passage.text.split("\n"):
        # a level table row is a whole "Label: values" line, never a bare label
        assert not re.fullmatch(r"[^:]+:\s*", line), line
        assert not JUNK.search(line), line


def test_level_tables_are_computed_from_the_templates_variables():
    text = data_passage(read("Template:Data Aatrox/The Darkin Blade")).text
    assert "First Cast Damage: 10 / 25 / 40 / 55 / 70 (+ 60 / 67.5 / 75 / 82.5 / 90% AD)" in text
    assert "Each subsequent cast gains 25% more damage." in text  # {{ap|{{#var:cd}}*100}}
    assert "Targeting input: Direction" in text and "Damage type: Physical" in text
    ultimate = data_passage(read("Template:Data Aatrox/World Ender")).text
    assert "Bonus Movement Speed: 60 / 80 / 100%" in ultimate  # an ultimate has three ranks
    assert ranks("20 to 12", 5) == "20 / 18 / 16 / 14 / 12"


def test_a_slot_redirect_is_no_ability_and_a_rune_template_is_its_description():
    assert data_passage(read("Template:Data Aatrox/Q")) is None
    rune = data_passage(read("Template:Rune data Electrocute"))
    assert (rune.kind, rune.headings) == ("rune", ["Description"])
    assert "causes them to be struck by lightning after a 0.25-second delay" in rune.text


def test_an_unknown_template_is_dropped_and_counted_never_guessed():
    renderer = Renderer()
    text = renderer.render("Aatrox {{Made up template|Lore words}} heals {{tip|heal|himself}}.")
    assert text == "Aatrox  heals himself."
    assert dict(renderer.unknown) == {"made up template": 1}
