"""The Python functions SQL models call."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.sql_functions import load_tokenizer, pack_chunks, register, sentences, token_counts

TEXTS = [
    "Aatrox performs a strike with his greatsword, dealing physical damage to enemies hit.",
    "Kai'Sa's Icathian Rain fires 12 missiles; évolution unlocks at 100 bonus AD!",
    "Nunu & Willump roll a giant snowball — it grows as it rolls.",
    "",
    "supercalifragilisticexpialidocious-hyphenated_words and 2,500 units",
    "x<y>=z {a} [b] (c) @d #e $f %g &h *i +j a_b-c/d\\e|f~g`h^i 50.5% AD",
    "tab\there; über naïve; ÆTHER",
]


def test_word_cache_counts_equal_full_encoding():
    tokenizer = load_tokenizer("minilm")
    expected = [len(e.ids) for e in tokenizer.encode_batch(TEXTS, add_special_tokens=False)]
    assert token_counts(tokenizer, TEXTS) == expected
    assert token_counts(tokenizer, TEXTS) == expected  # second pass: from the cache


def test_chunks_pack_sentences_with_overlap_and_never_exceed_the_budget():
    parts = ["a b c.", "d e f.", "g h i.", "j k l m n o p q r s t."]
    chunks = pack_chunks(parts, [3, 3, 3, 10], max_tokens=6, overlap=3)
    assert chunks == [("a b c. d e f.", 6), ("d e f. g h i.", 6), ("j k l m n o p q r s t.", 10)]


def test_sql_functions_in_duckdb():
    con = duckdb.connect()
    register(con, None)
    html = "<div><p>Garen <b>spins</b>.</p><nav>menu</nav><sup class='reference'>[1]</sup></div>"
    assert con.execute("select html_to_text(?)", [html]).fetchone()[0] == "Garen spins."
    assert con.execute("select split_sentences(?)", ["One. Two!\nThree"]).fetchone()[0] == ["One.", "Two!", "Three"]
    similar = con.execute(
        "select minhash_similarity(minhash(?), minhash(?))",
        [
            "the quick brown fox jumps over the lazy dog near the river bank today",
            "the quick brown fox jumps over the lazy dog near the river bank tonight",
        ],
    ).fetchone()[0]
    different = con.execute(
        "select minhash_similarity(minhash('garen spins to win'), minhash('lux binds a target with light'))"
    ).fetchone()[0]
    assert similar > 0.6 and different < 0.2
    chunks = con.execute("select chunk_text('One two three. Four five.', 4, 0)").fetchone()[0]
    assert [c["text"] for c in chunks] == ["One two three.", "Four five."]


@pytest.mark.parametrize("text, expected", [("A. B? C!", ["A.", "B?", "C!"]), ("", [])])
def test_sentences(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "html",
    [
        '<p class="ability-effect"><span class="ability-header">Active:</span> Aatrox <b>strikes</b> &amp; heals.</p>'
        "<p>Then   he dashes.</p>",
        "Line one<br>line two<li>item</li>",
        "<h2>Abilities</h2><div>Q: <i>Decisive Strike</i></div>",
    ],
)
def test_simple_markup_fast_path_matches_the_parser(html):
    from warehouse.sql_functions.text import _NEEDS_PARSE, _parse_markup, _strip_simple_markup, html_text

    assert not _NEEDS_PARSE.search(html)
    assert html_text(html) == _strip_simple_markup(html) == _parse_markup(html)


def test_structural_markup_goes_through_the_parser():
    from warehouse.sql_functions.text import html_text

    html = (
        "<div>Garen spins.<nav>menu</nav><sup class='reference'>[1]</sup><table><tr><td>stats</td></tr></table></div>"
    )
    assert html_text(html) == "Garen spins.\nstats"


def test_batched_minhash_equals_one_at_a_time():
    from warehouse.sql_functions.minhash import signature, signatures

    texts = ["Garen spins to win the fight", None, "", "one", "Lux binds a target with light and fires a laser"] * 60
    batched = signatures(texts, docs_per_step=7)
    assert batched == [signatures([t])[0] for t in texts]
    assert batched[1] is None and len(batched[0]) == 64
    assert signature("Garen spins") == signatures(["Garen spins"])[0]


def _reference_shingles(text: str) -> set[str]:
    """Word 3-shingles as the near-duplicate model has always defined them (the regular expression)."""
    import re

    words = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))} if words else {""}


@pytest.mark.parametrize(
    "text, same_words",
    [
        ("Kai'Sa's Icathian Rain!", "kai'sa s icathian rain"),
        ("rock'n'roll a''b don't' 'hello'", "rock'n roll a b don't hello"),
        ("x2'ab then a'b2'c", "x2'ab then a'b 2'c"),
        ("Nunu & Willump — über naïve", "nunu willump ber na ve"),
        ("Two words", "two   words"),
    ],
)
def test_minhash_reads_the_words_of_the_regular_expression(text, same_words):
    from warehouse.sql_functions.minhash import signatures

    assert _reference_shingles(text) == _reference_shingles(same_words)
    first, second, other = signatures([text, same_words, "lux binds a target with light"])
    assert first == second != other


def test_minhash_estimates_jaccard_on_real_passages(snapshot_dir):
    """Real lore passages and edits of them: the estimate tracks exact Jaccard, so near-duplicate pairs are right."""
    import json
    import random

    from warehouse.sql_functions.minhash import signatures, similarity

    lore = [c["lore"] for c in json.loads((snapshot_dir / "meraki" / "champions.json").read_text()).values()]
    rng = random.Random(7)
    pairs = []
    for text in rng.sample(lore, 60):
        words = text.split()
        for keep in (1.0, 0.95, 0.8, 0.5):  # drop a share of the words: from a copy to a loose paraphrase
            pairs.append((text, " ".join(w for w in words if rng.random() < keep)))
    pairs += [(a, b) for a, b in zip(lore[:40], lore[40:80], strict=True)]  # unrelated champions
    flat = signatures([text for pair in pairs for text in pair])
    estimates = [similarity(a, b) for a, b in zip(flat[::2], flat[1::2], strict=True)]
    exact = [
        len(_reference_shingles(a) & _reference_shingles(b)) / len(_reference_shingles(a) | _reference_shingles(b))
        for a, b in pairs
    ]
    errors = [e - j for e, j in zip(estimates, exact, strict=True)]
    assert abs(sum(errors) / len(errors)) < 0.02  # unbiased
    assert sum(abs(e) for e in errors) / len(errors) < 0.05
    threshold = 0.7
    for estimate, jaccard in zip(estimates, exact, strict=True):
        if jaccard >= 0.9:
            assert estimate >= threshold
        if jaccard < 0.4:
            assert estimate < threshold


def test_similarities_of_many_pairs_equal_one_pair_at_a_time():
    import pyarrow as pa

    from warehouse.sql_functions.minhash import signatures, similarities, similarity

    texts = ["Garen spins to win", "Garen spins to win the fight", None, "", "Lux binds a target with light"]
    left = signatures(texts)
    right = signatures(texts[::-1])
    kind = pa.list_(pa.uint64())
    batched = similarities(pa.array(left, type=kind), pa.array(right, type=kind)).to_pylist()
    assert batched == [similarity(a, b) for a, b in zip(left, right, strict=True)]
    assert batched[2] is None and batched[0] < 1.0 and similarity(left[0], left[0]) == 1.0


def test_column_cleaning_and_sentences_equal_row_by_row_on_real_passages(snapshot_dir):
    """html_to_text, clean_text and split_sentences run over whole Arrow columns; each row must come out as
    the row-by-row functions give it: the real Meraki ability markup and lore, plus the edge cases of each path."""
    import json

    import pyarrow as pa

    from warehouse.sql_functions.text import clean, clean_texts, html_text, html_texts, sentences, sentences_of_column

    champions = json.loads((snapshot_dir / "meraki" / "champions.json").read_text()).values()
    real = [c["lore"] for c in champions] + [
        e.get("description") or "" for c in champions for s in c["abilities"].values() for a in s for e in a["effects"]
    ]
    assert sum("<" in t for t in real) > 100 and sum(not t.isascii() for t in real) > 10
    edges = [
        None,
        "",
        " \n \u3000\n",
        "I <3 this champ. Max Q > E > W &amp; more",
        "<p>x &amp; y</p>\n\n<p>  z\u00a0\u2014 w\u2212 1\u00d72 \ufb01ne</p>",
        "a\r\nb\u2028\n\x1c c\x85 \t\v d",
        "<div>Garen spins.<nav>menu</nav><table><tr><th>Targeting input</th><td>Direction</td></tr></table></div>",
        "Line one<BR/>line two<li class='x'>item</li><blockquote>q</blockquote>",
    ]
    column = pa.chunked_array([pa.array(real[:700], pa.string()), pa.array(real[700:] + edges, pa.string())])
    values = column.to_pylist()
    assert html_texts(column).to_pylist() == [html_text(v) for v in values]
    assert clean_texts(column).to_pylist() == [clean(v) for v in values]
    cleaned = pa.array([clean(v) for v in values] + ["Dr. Mundo goes. Mr. X", "A. B. F. Sword is. Q. Then", "AD\nok"])
    assert sentences_of_column(cleaned).to_pylist() == [sentences(v) for v in cleaned.to_pylist()]
