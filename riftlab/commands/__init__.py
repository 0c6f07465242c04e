"""Click commands: argument parsing over the stages' and the core's functions."""
