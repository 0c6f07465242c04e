"""The stages of ``riftlab run``, one a module: each calls its package and returns a one-line summary."""
