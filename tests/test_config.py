"""Setup: a missing camel-tools database gives one clear error naming the fix."""
import pytest

from tasks.config import SetupError, camel_data_dir, use_camel_data


def test_missing_database_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    with pytest.raises(SetupError, match=r"make setup.*camel_data -i morphology-db-msa-r13"):
        use_camel_data()


def test_project_database_is_found_without_settings(monkeypatch):
    monkeypatch.delenv("CAMELTOOLS_DATA", raising=False)
    assert use_camel_data() == camel_data_dir()
    assert (camel_data_dir() / "catalogue.json").is_file()
