"""The run's parameters: one model behind the CLI, the flows and the deployment's form; inputs and
warehouses given in the UI or API must stay under the configured roots: no '..', no links out, no
look-alike prefixes."""
import argparse
import os
from datetime import date

import pytest

from flows.params import (RunParams, add_options, check_inputs, check_warehouse, from_options, input_roots,
                          warehouse_roots)
from tasks.config import ROOT, SHARED


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "news"
    (root / "2024").mkdir(parents=True)
    (root / "2024" / "a.txt").write_text("خبر", encoding="utf-8")
    (tmp_path / "news2").mkdir()
    (tmp_path / "secret").mkdir()
    (root / "out").symlink_to(tmp_path / "secret")
    return tmp_path, root


def test_paths_under_a_root_pass_as_absolute(tree, monkeypatch):
    tmp, root = tree
    given = [str(root / "2024" / "a.txt"), str(root), str(root / "*" / "*.txt"), str(root / "**" / "*.json"),
             str(root / "missing-yet.txt")]
    assert check_inputs(given, [root]) == given
    monkeypatch.chdir(root)
    assert check_inputs(["2024/a.txt", "*.txt"], [root]) == [str(root / "2024/a.txt"), str(root / "*.txt")]


@pytest.mark.parametrize("bad, why", [
    ("{root}/../secret/x.txt", "path traversal"),
    ("{root}/2024/../2024/a.txt", "path traversal"),  # even when it would land inside
    ("{tmp}/secret", "outside the allowed"),
    ("{tmp}/news2/a.txt", "outside the allowed"),  # a sibling whose name starts like the root
    ("{root}/out/x.txt", "outside the allowed"),  # a link inside the root that leads out
    ("{root}/out/*.txt", "outside the allowed"),
    ("/etc/*", "outside the allowed"),
    ("{tmp}/*/a.txt", "outside the allowed"),  # a wildcard above the root
    ("", "not a path"),
])
def test_paths_outside_the_roots_are_refused(tree, bad, why):
    tmp, root = tree
    with pytest.raises(ValueError, match=why):
        check_inputs([str(root / "2024" / "a.txt"), bad.format(tmp=tmp, root=root)], [root])


def test_nothing_to_read_is_refused(tree):
    with pytest.raises(ValueError, match="empty"):
        check_inputs([], [tree[1]])


def test_roots_come_from_the_environment_else_seeds_and_shared(tree, monkeypatch):
    tmp, root = tree
    monkeypatch.delenv("KHABAR_INPUT_ROOTS", raising=False)
    assert input_roots() == [ROOT / "seeds", SHARED]
    check_inputs([str(ROOT / "seeds" / "*.txt"), str(SHARED / "seeds")], input_roots())
    monkeypatch.setenv("KHABAR_INPUT_ROOTS", os.pathsep.join([str(root), str(tmp / "news2")]))
    assert input_roots() == [root, tmp / "news2"]
    assert check_inputs([str(tmp / "news2")], input_roots()) == [str(tmp / "news2")]
    with pytest.raises(ValueError, match="KHABAR_INPUT_ROOTS"):
        check_inputs([str(ROOT / "seeds")], input_roots())


@pytest.mark.parametrize("bad, why", [
    ("{root}/../secret/wh", "path traversal"),
    ("{tmp}/secret/wh", "outside the allowed warehouse folders"),
    ("{tmp}/news2/wh", "outside the allowed warehouse folders"),  # a look-alike sibling of the root
    ("{root}/out/wh", "outside the allowed warehouse folders"),  # a link inside the root that leads out
    ("/etc/khabar", "outside the allowed warehouse folders"),
    ("relative-wh", "outside the allowed warehouse folders"),  # relative to the working folder, not a root
    (" ", "not a path"),
])
def test_warehouses_outside_the_roots_are_refused(tree, bad, why, monkeypatch):
    tmp, root = tree
    monkeypatch.chdir(tmp)
    with pytest.raises(ValueError, match=why):
        check_warehouse(bad.format(tmp=tmp, root=root), [root])
    assert not (tmp / "secret" / "wh").exists() and not (tmp / "relative-wh").exists()


def test_warehouses_under_a_root_pass_as_absolute_whether_or_not_they_exist(tree, monkeypatch):
    tmp, root = tree
    assert check_warehouse(str(root), [root]) == str(root)
    assert check_warehouse(str(root / "2024" / "new" / "wh"), [root]) == str(root / "2024" / "new" / "wh")
    monkeypatch.chdir(root)
    assert check_warehouse("wh", [root]) == str(root / "wh")


def test_warehouse_roots_come_from_the_environment_else_the_projects_warehouse(tree, monkeypatch):
    tmp, root = tree
    monkeypatch.delenv("KHABAR_WAREHOUSE_ROOTS", raising=False)
    assert warehouse_roots() == [ROOT / "warehouse"]
    check_warehouse(str(ROOT / "warehouse"), warehouse_roots())
    monkeypatch.setenv("KHABAR_WAREHOUSE_ROOTS", os.pathsep.join([str(root), str(tmp / "news2")]))
    assert check_warehouse(str(tmp / "news2" / "wh"), warehouse_roots()) == str(tmp / "news2" / "wh")
    with pytest.raises(ValueError, match="KHABAR_WAREHOUSE_ROOTS"):
        check_warehouse(str(ROOT / "warehouse"), warehouse_roots())


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="khabar run", exit_on_error=False)
    add_options(ap, RunParams, {})
    return ap


def test_the_command_line_is_made_from_the_model(seed_paths):
    ap = parser()
    options = {a.dest: a for a in ap._actions if a.dest != "help"}
    assert set(options) == set(RunParams.model_fields)  # every parameter, and only they
    assert all(RunParams.model_fields[n].description in a.help for n, a in options.items())
    assert from_options(ap, ap.parse_args([]), RunParams) == RunParams()  # nothing given: the model's defaults
    given = ["--input", str(seed_paths[0]), str(seed_paths[1]), "--since", "2015-07-21", "--batch-size", "7",
             "--runner", "process", "--workers", "3", "--full-refresh", "--wait", "2.5", "--max-reject-share", "0.5"]
    p = from_options(ap, ap.parse_args(given), RunParams)
    assert p.model_dump(exclude_unset=True) == {
        "inputs": [str(seed_paths[0]), str(seed_paths[1])], "since": date(2015, 7, 21),
        "batch_size": 7, "runner": "process", "workers": 3, "full_refresh": True, "wait": 2.5, "max_reject_share": 0.5}


@pytest.mark.parametrize("args, why", [
    (["--batch-chars", "0"], "--batch-chars: Input should be greater than 0"),
    (["--max-reject-share", "1.5"], "--max-reject-share: Input should be less than or equal to 1"),
    (["--since", "yesterday"], "--since: Input should be a valid date"),
    (["--wait", "-1"], "--wait: Input should be greater than or equal to 0"),
])
def test_values_the_model_refuses_are_usage_errors(args, why, capsys):
    ap = parser()
    with pytest.raises(SystemExit) as e:
        from_options(ap, ap.parse_args(args), RunParams)
    assert e.value.code == 2 and why in capsys.readouterr().err


def test_the_flows_take_the_models_fields_and_the_deployment_only_its_stated_defaults():
    from flows.deploy import deployed
    from flows.pipeline import khabar

    fields = RunParams.model_fields
    for f, defaults in ((khabar, {}), (deployed, RunParams.DEPLOYED)):
        props = f.parameters.model_dump_for_openapi()["properties"]
        assert list(props) == list(fields)
        assert {n: p["description"] for n, p in props.items()} == {n: v.description for n, v in fields.items()}
        assert {n: p["default"] for n, p in props.items()} == {n: defaults.get(n, v.default) for n, v in fields.items()}
    assert RunParams.DEPLOYED == {"wait": 600.0}
