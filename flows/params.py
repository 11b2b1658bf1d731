"""The run's parameters, once: `RunParams`. The `khabar run` options (flows/cli.py), the flows'
signatures (flows/pipeline.py, flows/deploy.py) and so the deployment's form in the Prefect UI are
made from its fields: names, types, defaults, limits and descriptions.

Also the checks on parameters that arrive from outside the code (the Prefect UI,
`prefect deployment run`). No Prefect import: the CLI reads it before Prefect's settings are set.
"""
from __future__ import annotations

import argparse
import glob
import inspect
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Callable, ClassVar, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from tasks.config import ROOT, SHARED

BATCH_SIZE, BATCH_CHARS = 1000, 1_000_000  # at most, per batch: documents, characters of text (memory follows it)
Runner = Literal["auto", "thread", "process", "dask"]


@dataclass(frozen=True)
class Flag:
    """How a field shows on the command line, when not as --field-name and its type."""
    name: str | None = None
    metavar: str | None = None


class RunParams(BaseModel):
    """What a khabar run reads, where it writes, and how."""
    model_config = ConfigDict(extra="forbid")

    inputs: Annotated[list[str], Flag("--input", "PATH")] = Field(
        ["seeds/*.txt"], min_length=1, description="files, folders or globs (.txt .json .jsonl .html, optionally .gz)")
    warehouse: Annotated[str, Flag(metavar="DIR")] = Field(
        "warehouse", description="folder of the warehouse to add to; created when missing")
    since: Annotated[date | None, Flag(metavar="YYYY-MM-DD")] = Field(
        None, description="skip input files last modified before this date (empty: read all)")
    batch_size: int = Field(BATCH_SIZE, gt=0, description="documents per task batch, at most")
    batch_chars: int = Field(BATCH_CHARS, gt=0, description="characters of text per task batch, at most")
    runner: Runner = Field("auto", description="where batches run: auto (threads for small inputs, else a process "
                                               "pool), threads in the run's process, a local process pool, or Dask")
    workers: int | None = Field(None, gt=0,
                                description="threads, processes or local Dask workers (empty: one per core)")
    dask_address: Annotated[str | None, Flag(metavar="tcp://HOST:PORT")] = Field(
        None, description="address of an existing Dask scheduler (empty: a local cluster)")
    full_refresh: bool = Field(False, description="rebuild the warehouse from these inputs; earlier runs' rows "
                                                  "retire at commit (their history stays in runs)")
    wait: Annotated[float, Flag(metavar="SECONDS")] = Field(
        0.0, ge=0, description="seconds to wait when another run holds the warehouse's lock")
    max_reject_share: Annotated[float, Flag(metavar="SHARE")] = Field(
        0.2, ge=0, le=1, description="fail the run when a batch has a larger share of documents failing quality")

    # The deployment's own defaults. Nobody watches a scheduled run: when a run started by hand holds
    # the warehouse, it waits for it (10 minutes) instead of failing at once as `khabar run` does.
    DEPLOYED: ClassVar[dict[str, Any]] = {"wait": 600.0}


F = TypeVar("F", bound=Callable[..., Any])


def takes(model: type[BaseModel], **defaults: Any) -> Callable[[F], F]:
    """Give `fn(**params)` the fields of `model` as its keyword parameters (with these defaults over the
    model's) and their descriptions as its docstring's Args: Prefect builds a flow's parameter
    validation, and a deployment's typed form, from a function's signature and docstring."""
    def wrap(fn: F) -> F:
        fields = model.model_fields
        fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=defaults.get(n, f.default),
                               annotation=Annotated[f.annotation, f]) for n, f in fields.items()],
            return_annotation=inspect.signature(fn).return_annotation)
        fn.__doc__ = "\n".join([inspect.cleandoc(fn.__doc__ or ""), "", "Args:",
                                *(f"    {n}: {f.description}" for n, f in fields.items())])
        return fn
    return wrap


def add_options(parser: argparse.ArgumentParser, model: type[BaseModel], defaults: dict[str, Any]) -> None:
    """One --option per field of `model` (its Flag, else --field-name), with the field's description and
    these defaults as help. An option left out sets nothing: the flow's own default applies."""
    for name, f in model.model_fields.items():
        t, default = f.annotation, defaults.get(name, f.default)
        shown = "" if default is None else f" (default: {' '.join(map(str, default)) if isinstance(default, list) else default})"
        kw: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS, "help": (f.description + shown).replace("%", "%%")}
        if t is bool:
            kw["action"] = argparse.BooleanOptionalAction
        else:
            kw.update(metavar=_flag(f).metavar or ("N" if int in (t, *get_args(t)) else None),
                      nargs="+" if get_origin(t) is list else None,
                      choices=get_args(t) if get_origin(t) is Literal else None)
        parser.add_argument(_option(name, f), **kw)


def from_options(parser: argparse.ArgumentParser, ns: argparse.Namespace, model: type[BaseModel]) -> BaseModel:
    """The model from the options given (add_options); a value the model refuses is a usage error."""
    try:
        return model(**{n: getattr(ns, n) for n in model.model_fields if hasattr(ns, n)})
    except ValidationError as e:
        fields = model.model_fields
        parser.error("; ".join(f"{_option(err['loc'][0], fields[err['loc'][0]]) if err['loc'] else model.__name__}: "
                               f"{err['msg']}" for err in e.errors()))


def _flag(f: FieldInfo) -> Flag:
    return next((m for m in f.metadata if isinstance(m, Flag)), Flag())


def _option(name: str, f: FieldInfo) -> str:
    return _flag(f).name or "--" + name.replace("_", "-")


def cores() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def input_roots() -> list[Path]:
    """Folders runs may read from: $KHABAR_INPUT_ROOTS (os.pathsep-separated), else seeds/ and ../shared."""
    return _roots("KHABAR_INPUT_ROOTS") or [ROOT / "seeds", SHARED]


def warehouse_roots() -> list[Path]:
    """Folders runs may write under: $KHABAR_WAREHOUSE_ROOTS (os.pathsep-separated), else warehouse/."""
    return _roots("KHABAR_WAREHOUSE_ROOTS") or [ROOT / "warehouse"]


def check_inputs(inputs: list[str], roots: list[Path]) -> list[str]:
    """Absolute forms of `inputs` (files, folders, globs) after checking each lies under one of `roots`.

    A path may not contain '..'; a glob is judged by its folder part before the first wildcard; symbolic
    links in that part are resolved, so a link cannot lead outside the roots. Raises ValueError.
    """
    if not inputs:
        raise ValueError("inputs is empty: give at least one file, folder or glob")
    return [_under(spec, roots, "input", "KHABAR_INPUT_ROOTS") for spec in inputs]


def check_warehouse(warehouse: str, roots: list[Path]) -> str:
    """Absolute form of `warehouse` after checking it lies under one of `roots`, as check_inputs does
    (links in the part that exists are resolved; the rest is created by the run). Raises ValueError."""
    return _under(warehouse, roots, "warehouse", "KHABAR_WAREHOUSE_ROOTS")


def _under(spec: str, roots: list[Path], what: str, env: str) -> str:
    if not spec.strip() or "\x00" in spec:
        raise ValueError(f"{what} {spec!r} is not a path")
    if ".." in Path(spec).parts:
        raise ValueError(f"{what} {spec!r} contains '..'; path traversal is not allowed")
    path = Path(spec).absolute()
    fixed = Path(*path.parts[:_first_magic(path.parts)])
    if not any(fixed.resolve().is_relative_to(Path(r).resolve()) for r in roots):
        raise ValueError(f"{what} {spec!r} is outside the allowed {what} folders "
                         f"({', '.join(map(str, roots))}); set {env} to allow more")
    return str(path)


def _roots(env: str) -> list[Path]:
    return [Path(p) for p in os.environ.get(env, "").split(os.pathsep) if p]


def _first_magic(parts: tuple[str, ...]) -> int:
    return next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))
