"""Prompt templates: Jinja files in ``transforms/prompts/``, versioned by content hash.

A template defines a ``system`` block (shared by every request of a task, sent with prompt caching)
and a ``user`` block (per request); files starting with ``_`` are partials to include.  A prompt's
version hashes its file and every partial, so editing a template changes every request hash made
with it (new answers), while an untouched one keeps hitting the cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from warehouse.errors import ConfigError

SUFFIX = ".j2"


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    path: Path
    template: jinja2.Template

    def render(self, **inputs: Any) -> tuple[str, str]:
        """(system, user) texts for ``inputs``; a missing variable names the template."""
        try:
            context = self.template.new_context(inputs)
            system = "".join(self.template.blocks["system"](context)).strip()
            user = "".join(self.template.blocks["user"](context)).strip()
        except jinja2.UndefinedError as exc:
            raise ConfigError(f"{self.path}: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            raise ConfigError(f"{self.path}: included template '{exc.name}' not found") from None
        return system, user


class PromptLibrary:
    """Loads and caches the templates of one project's prompt folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._prompts: dict[str, Prompt] = {}

    def get(self, name: str) -> Prompt:
        if name not in self._prompts:
            self._prompts[name] = self._load(name)
        return self._prompts[name]

    def _load(self, name: str) -> Prompt:
        path = self.folder / f"{name}{SUFFIX}"
        if not path.is_file():
            raise ConfigError(f"{path}: prompt template not found (prompts live in {self.folder})")
        digest = hashlib.sha256(path.read_bytes())
        for partial in sorted(self.folder.glob(f"_*{SUFFIX}")):
            digest.update(partial.name.encode() + b"\0" + partial.read_bytes())
        try:
            template = self._environment.get_template(path.name)
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"{exc.filename or path}:{exc.lineno}: Jinja syntax error: {exc.message}") from None
        missing = {"system", "user"} - set(template.blocks)
        if missing:
            raise ConfigError(
                f"{path}: a prompt template needs the blocks 'system' and 'user' "
                f"(missing: {', '.join(sorted(missing))})"
            )
        return Prompt(name=name, version=digest.hexdigest()[:12], path=path, template=template)
