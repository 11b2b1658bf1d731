"""PIPELINE.md against the code: it names every contract column, and everything it names exists."""
from __future__ import annotations

import importlib
import re
from collections import defaultdict
from pathlib import Path

from tasks.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
MAP = (ROOT / "PIPELINE.md").read_text(encoding="utf-8")
PACKAGES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())
WRITES = re.compile(r"\+ (\w+)\(([^)]*)\)")  # "+ table(col, col, ...)", over several lines too
DOTTED = re.compile(rf"(?<![\w/.])(?:{'|'.join(PACKAGES)})(?:\.\w+)+")
PATH = re.compile(r"(?<![\w/.])\w[\w-]*(?:/[\w*-]+)*/[\w*-]+\.\w+")  # file names; the warehouse's start with DIR/


def test_names_every_column_of_every_table():
    written: dict[str, set[str]] = defaultdict(set)
    for table, cols in WRITES.findall(MAP):
        written[table] |= set(re.findall(r"\w+", cols))
    assert written == {name: set(t.names) for name, t in TABLES.items()}


def test_named_modules_functions_and_paths_exist():
    names = set(DOTTED.findall(MAP))
    assert {"flows.pipeline.pipeline", "flows.batch.process_batch", "tasks.quality.check"} <= names
    assert [n for n in sorted(names) if not exists(n)] == []
    paths = {p for p in PATH.findall(MAP) if not p.startswith("DIR/")}
    assert {"flows/pipeline.py", "tasks/publish.py", "expectations/*.json"} <= paths
    assert [p for p in paths if not list(ROOT.glob(p))] == []


def exists(name: str) -> bool:
    """Whether a dotted name names something: its longest importable prefix, then attributes."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:n]))
        except ModuleNotFoundError as e:
            if not ".".join(parts[:n] + [""]).startswith(e.name + "."):  # a module it imports is missing
                raise
            continue
        for attr in parts[n:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False
