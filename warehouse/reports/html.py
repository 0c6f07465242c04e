"""Render report pages from the Jinja templates in ``warehouse/reports/templates``."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2


def _environment() -> jinja2.Environment:
    folder = resources.files("warehouse.reports") / "templates"
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["thousands"] = lambda n: f"{int(n or 0):,}"
    environment.filters["pct"] = lambda x: "-" if x is None else f"{100 * float(x):.1f}%"
    return environment


def render_page(template: str, target: Path, **context: Any) -> Path:
    """Render ``template`` to ``target`` (folders created); returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_environment().get_template(template).render(**context), encoding="utf-8")
    return target


def slug(text: str, limit: int = 60) -> str:
    """A file-name-safe version of run ids."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")
    return cleaned[:limit] or "run"
