"""What riftlab's checkpoint modules share: a JSON config of their ``config_keys`` and safetensors weights."""

from __future__ import annotations

from typing import Any

from sentence_transformers.base.modules.module import Module


class FittedModule(Module):
    """A module whose weights a riftlab step fitted: saved as its config and its weights, loaded back the same way."""

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        self.save_config(output_path)
        self.save_torch_weights(output_path, safe_serialization=safe_serialization)

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs: Any):
        hub = {key: kwargs[key] for key in ("token", "cache_folder", "revision", "local_files_only") if key in kwargs}
        config = cls.load_config(model_name_or_path, subfolder=subfolder, **hub)
        module = cls(**config)
        return cls.load_torch_weights(model_name_or_path=model_name_or_path, model=module, subfolder=subfolder, **hub)
