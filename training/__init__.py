"""Training stages that read the warehouse: LoRA causal LM, instruction SFT, embeddings."""
