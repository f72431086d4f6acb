"""The `opora catalog` commands, as an operator runs them."""

import json
import shutil

import pytest
from support.catalog_helpers import HSDS_EXAMPLE
from support.opora import opora_command

from catalog import SEED_DATA

pytestmark = pytest.mark.e2e


def opora(*args, db):
    return opora_command(*args, env={"OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{db}"})


def test_load_twice_then_export_both_formats(tmp_path):
    db = tmp_path / "opora.sqlite3"
    first, second = opora("catalog", "load", db=db), opora("catalog", "load", db=db)
    assert first.returncode == second.returncode == 0, first.stderr
    assert first.stdout == second.stdout and " service" in first.stdout
    assert opora("catalog", "export", "--format", "hsds-csv", str(tmp_path / "csv"), db=db).returncode == 0
    assert (tmp_path / "csv" / "services.csv").exists() and (tmp_path / "csv" / "x_opora.csv").exists()
    assert opora("catalog", "export", "--format", "hsds-json", str(tmp_path / "c.json"), db=db).returncode == 0
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))


def test_load_of_a_broken_catalogue_says_where_and_loads_nothing(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SEED_DATA, data)
    (data / "bg-samokov.yaml").write_text("provider: [unclosed\n", encoding="utf-8")
    result = opora("catalog", "load", str(data), db=tmp_path / "opora.sqlite3")
    assert result.returncode == 1
    assert f"{data / 'bg-samokov.yaml'}:" in result.stderr and "nothing loaded" in result.stderr


def test_import_hsds_reports_warnings_with_file_and_line(tmp_path):
    result = opora("catalog", "import-hsds", str(HSDS_EXAMPLE), db=tmp_path / "opora.sqlite3")
    assert result.returncode == 0, result.stderr
    assert f"{HSDS_EXAMPLE / 'locations.csv'}:2: location.latitude" in result.stderr
    assert "imported: 1 organization, 1 service" in result.stdout


def test_import_of_a_missing_directory_fails_clearly(tmp_path):
    result = opora("catalog", "import-hsds", str(tmp_path / "nowhere"), db=tmp_path / "opora.sqlite3")
    assert result.returncode == 1 and "nowhere:0: not a directory" in result.stderr
