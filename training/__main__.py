"""``python -m training STAGE ...``: the ``train`` command without the rest of the CLI.

This is the entry point for multi-process runs, which go through the standard
launchers (never a home-made one)::

    torchrun --nproc_per_node 2 -m training clm --base PATH --set max_steps=50
    accelerate launch -m training clm --base PATH

Trainer does the DDP/FSDP work; rank 0 registers the run and writes the checkpoint.
"""

from __future__ import annotations

from training.commands import train
from warehouse.commandline import run_command


def main(argv: list[str] | None = None) -> None:
    run_command(train, argv, "python -m training")


if __name__ == "__main__":
    main()
