"""Render report pages from the Jinja templates in ``warehouse/reports/templates``.

Pages and folders are written atomically: into a hidden sibling first, then renamed into
place, so an interrupted or failed write leaves the previous report whole.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from warehouse.errors import RiftlabError


class ReportWriteError(RiftlabError):
    """A report could not be written (a full disk, no permission); the previous version stays."""


def _write_error(what: str, target: Path, exc: OSError) -> ReportWriteError:
    reason = exc.strerror or str(exc)
    return ReportWriteError(
        f"cannot write {what} to {target} ({reason}); the previous version stays: "
        "free disk space (or fix the folder's permissions) and run the command again"
    )


def _sibling(target: Path, tag: str) -> Path:
    """A hidden, unique name beside ``target`` (same file system, so a rename is atomic)."""
    return target.with_name(f".{target.name}.{tag}-{uuid.uuid4().hex[:8]}")


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
    """Render ``template`` to ``target`` (folders created), replacing it atomically; returns ``target``."""
    html = _environment().get_template(template).render(**context)
    staging = _sibling(target, "new")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.write_text(html, encoding="utf-8")
        os.replace(staging, target)
    except OSError as exc:
        raise _write_error(f"the report {target.name}", target, exc) from None
    finally:
        staging.unlink(missing_ok=True)
    return target


def write_folder(target: Path, fill: Callable[[Path], None], what: str) -> Path:
    """Build a folder with ``fill(folder)`` in a hidden sibling, then swap it in for ``target``.

    Until the swap ``target`` is untouched; the swap is two renames (old aside, new in), and
    the old folder is deleted only once the new one is in place.  Returns ``target``.
    """
    staging = _sibling(target, "new")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        fill(staging)
        _swap_in(staging, target)
    except OSError as exc:
        raise _write_error(what, target, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _swap_in(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, putting the previous ``target`` back if that fails."""
    previous = _sibling(target, "old") if target.exists() else None
    if previous is not None:
        target.rename(previous)
    try:
        staging.rename(target)
    except BaseException:
        if previous is not None:
            previous.rename(target)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def slug(text: str, limit: int = 60) -> str:
    """A file-name-safe version of run ids."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")
    return cleaned[:limit] or "run"
