"""Gradient checkpointing in auto mode turns on when saved activations would not fit, on a CPU too."""

from __future__ import annotations

from types import SimpleNamespace

import psutil
import pytest

from training.precision import needs_gradient_checkpointing

#: SmolLM2-135M's shape: at clm_default's micro-batch 16 x 512 its fp32 activations need about 22 GB
SMOLLM2 = SimpleNamespace(hidden_size=576, num_hidden_layers=30, intermediate_size=1536, vocab_size=49152)
TINY = SimpleNamespace(hidden_size=64, num_hidden_layers=2, intermediate_size=128, vocab_size=2048)


def test_a_pretrained_decoder_at_the_default_batch_checkpoints_on_a_cpu():
    # without checkpointing this run was killed by the kernel's OOM killer at 23 GB on a 24 GB machine
    if psutil.virtual_memory().available > 36 * 2**30:
        pytest.skip("over 36 GB free: 22 GB of activations fit in 60% of it")
    assert needs_gradient_checkpointing(None, SMOLLM2, micro_batch=16, seq_len=512)


def test_a_small_run_does_not_checkpoint_and_an_explicit_setting_wins():
    assert not needs_gradient_checkpointing(None, TINY, micro_batch=4, seq_len=64)
    assert not needs_gradient_checkpointing(False, SMOLLM2, micro_batch=16, seq_len=512)
    assert needs_gradient_checkpointing(True, TINY, micro_batch=4, seq_len=64)
