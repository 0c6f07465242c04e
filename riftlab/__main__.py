"""``python -m riftlab ...``: the ``riftlab`` command, for child processes and the standard launchers.

Multi-process training goes through them (never a home-made launcher)::

    torchrun --nproc_per_node 2 -m riftlab train clm --base PATH --set max_steps=50
    accelerate launch -m riftlab train clm --base PATH

Trainer does the DDP/FSDP work; rank 0 registers the run and writes the checkpoint.
"""

from riftlab.cli import main

if __name__ == "__main__":
    main()
