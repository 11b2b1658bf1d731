"""Inputs given in the UI or CLI must stay under the configured roots: no '..', no links out, no look-alike prefixes."""
import os

import pytest

from flows.params import check_inputs, input_roots
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
