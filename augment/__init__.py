"""LLM augmentation of the corpus through the Anthropic API (cached, costed, batched)."""
