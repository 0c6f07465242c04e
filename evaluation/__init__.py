"""MTEB evaluation of checkpoints against tasks fed by the warehouse."""
