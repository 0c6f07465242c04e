"""Runs launched by ``torchrun``/``accelerate launch``: one process per device, one registry row.

Trainer does the data-parallel work (DDP/FSDP through accelerate); this module
only makes the run's bookkeeping happen once: the process group is created early
(gloo on CPU, nccl on CUDA; accelerate reuses it), rank 0 registers the run and
owns the checkpoint folder, and the run id is broadcast to the other ranks.
"""

from __future__ import annotations

import os
from typing import Any


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_distributed() -> bool:
    return world_size() > 1


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    return rank() == 0


def init() -> None:
    if not is_distributed():
        return
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend=backend)


def barrier() -> None:
    if is_distributed():
        import torch.distributed as dist

        dist.barrier()


def broadcast(value: Any) -> Any:
    """``value`` as rank 0 has it, on every rank."""
    if not is_distributed():
        return value
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def run_in_turn(func, *args, **kwargs):
    """Call ``func`` on each rank one after the other (warehouse reads must not race a writer)."""
    if not is_distributed():
        return func(*args, **kwargs)
    result = None
    for turn in range(world_size()):
        if turn == rank():
            result = func(*args, **kwargs)
        barrier()
    return result
