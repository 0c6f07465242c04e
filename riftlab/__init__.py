"""The application shell: the ``riftlab`` CLI, ``riftlab run``, the scheduler and the console.

It stands over the stages (crawlers, augment, training, evaluation), which stand over the
core (warehouse); see the import contract in pyproject.toml.
"""
