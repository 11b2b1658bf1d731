"""Batch-size defaults, and checks on parameters that arrive from outside the code (the Prefect UI,
`prefect deployment run`). No Prefect import: the CLI reads it before Prefect's settings are set."""
from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Annotated

from pydantic import Field

from tasks.config import ROOT, SHARED

BATCH_SIZE, BATCH_CHARS = 1000, 1_000_000  # at most, per batch: documents, characters of text (memory follows it)
Positive = Annotated[int, Field(gt=0)]  # a flow parameter over 0: Prefect checks it, the UI form shows it


def input_roots() -> list[Path]:
    """Folders runs may read from: $KHABAR_INPUT_ROOTS (os.pathsep-separated), else seeds/ and ../shared."""
    env = os.environ.get("KHABAR_INPUT_ROOTS", "")
    return [Path(p) for p in env.split(os.pathsep) if p] or [ROOT / "seeds", SHARED]


def check_inputs(inputs: list[str], roots: list[Path]) -> list[str]:
    """Absolute forms of `inputs` (files, folders, globs) after checking each lies under one of `roots`.

    A path may not contain '..'; a glob is judged by its folder part before the first wildcard; symbolic
    links in that part are resolved, so a link cannot lead outside the roots. Raises ValueError.
    """
    if not inputs:
        raise ValueError("inputs is empty: give at least one file, folder or glob")
    real = [Path(r).resolve() for r in roots]
    out = []
    for spec in inputs:
        parts = Path(spec).parts
        if not spec.strip() or "\x00" in spec:
            raise ValueError(f"input {spec!r} is not a path")
        if ".." in parts:
            raise ValueError(f"input {spec!r} contains '..'; path traversal is not allowed")
        path = Path(spec).absolute()
        fixed = Path(*path.parts[:_first_magic(path.parts)])
        if not any(fixed.resolve().is_relative_to(r) for r in real):
            raise ValueError(f"input {spec!r} is outside the allowed input folders "
                             f"({', '.join(map(str, roots))}); set KHABAR_INPUT_ROOTS to allow more")
        out.append(str(path))
    return out


def _first_magic(parts: tuple[str, ...]) -> int:
    return next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))
