"""embed stage: MiniLM trained on the fixture triplets, registered, reloadable, better on validation."""

from __future__ import annotations

import json

import duckdb

FAST = [
    "triplets.epochs=3",
    "triplets.batch_size=16",
    "max_seq_length=48",
    "triplets.logging_steps=2",
    "triplets.learning_rate=1e-4",
]


def test_embed_minilm_improves_validation_and_registers_the_run(project):
    from sentence_transformers import SentenceTransformer

    from training.runner import train

    # the plain triplet path; the default preset's name inversion and label head have their own tests
    result = train(project, "embed", "embed_plain", overrides=FAST)

    m = result.metrics
    assert m["validation_accuracy"] > m["validation_accuracy_before"], m
    assert "heldout_subclass_5nn" in m and "heldout_position_5nn_before" in m
    folder = result.output_path
    assert (folder / "loss_curves.png").stat().st_size > 1000
    card = (folder / "README.md").read_text()
    assert result.snapshot_id in card and "validation_accuracy" in card
    history = json.loads((folder / "log_history.json").read_text())
    assert any("loss" in e for e in history) and any("eval_loss" in e for e in history)

    reloaded = SentenceTransformer(str(folder))
    assert reloaded.encode(["Jinx"]).shape == (1, 384)

    con = duckdb.connect(str(project.db_path), read_only=True)
    row = con.execute(
        "SELECT stage, status, corpus_snapshot_id, output_path, base_model, metrics->>'validation_accuracy', "
        "config->'steps'->0->'triplets'->>'loss', finished_at IS NOT NULL FROM meta.training_runs WHERE run_id = ?",
        [result.run_id],
    ).fetchone()
    con.close()
    assert row[:4] == ("embed", "finished", result.snapshot_id, str(folder))
    assert row[4] == "minilm" and float(row[5]) == m["validation_accuracy"] and row[6] == "mnrl" and row[7]


def test_snapshot_id_is_stable_and_follows_the_rows(make_project):
    import training_fixture_data as data

    from training.data import Snapshot
    from training.embed import prepare
    from training.presets import load_preset

    settings, _ = load_preset("embed", "embed_default")
    ids = []
    for triplets in (None, None, data.triplet_rows()[:-1]):
        project = make_project(triplets=triplets)
        snapshot = Snapshot()
        prepare(project, settings, snapshot)
        ids.append(snapshot.id)
    assert ids[0] == ids[1] != ids[2]
