"""`khabar report`: print the key report tables and write the self-contained HTML report."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


def add_report_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("report", help="print the key tables and write an HTML report with charts")
    p.add_argument("--warehouse", default="warehouse", metavar="DIR", help="warehouse folder (holds khabar.duckdb)")
    p.add_argument("--out", metavar="FILE", help="HTML file to write (default: DIR/report.html)")
    p.add_argument("--rows", type=int, default=10, help="rows per table in the terminal")
    p.set_defaults(handler=report_command)
    return p


def report_command(a: argparse.Namespace) -> int:
    from tasks.report import build_report, terminal_tables

    wh = Path(a.warehouse)
    try:
        print(terminal_tables(wh, limit=a.rows, width=shutil.get_terminal_size((120, 24)).columns))
        out = build_report(wh, Path(a.out) if a.out else wh / "report.html")
    except FileNotFoundError as e:
        print(f"khabar: {e}", file=sys.stderr)
        return 2
    print(f"report written to {out}")
    return 0
