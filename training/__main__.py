"""``python -m training STAGE ...``: the ``train`` command without the rest of the CLI.

This is the entry point for multi-process runs, which go through the standard
launchers (never a home-made one)::

    torchrun --nproc_per_node 2 -m training clm --base PATH --set max_steps=50
    accelerate launch -m training clm --base PATH

Trainer does the DDP/FSDP work; rank 0 registers the run and writes the checkpoint.
"""

from __future__ import annotations

import sys

import click

from training.commands import train
from warehouse.errors import RiftlabError


def main(argv: list[str] | None = None) -> None:
    try:
        train.main(args=argv, prog_name="python -m training", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RiftlabError as exc:
        click.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
