"""A lake others can write into cannot hurt `claude-assets sql` or a run, and a store that refuses says why.

Folder names are anyone's choice on a shared disk or bucket, so none becomes SQL; `--export` never
replaces a file it did not write; an object store without credentials or bucket is one line naming
the settings; a writer killed with -9 leaves temporary files that no reader reads and the next
write of the day removes once they are old enough to have no live writer.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import s3fs

from claude_assets.defs.assets.inputs import create_views, identifier, quote
from claude_assets.engine.lake import FILE_NAME, STALE_TEMPORARY_SECONDS, Lake
from claude_assets.ops.sql import LAKE_ASSETS
from claude_assets.sources import RAW_TABLES
from claude_assets_tests.helpers import TODAY, failure, materialize
from claude_assets_tests.services import s3_server
from claude_assets_tests.stack import BIN

DAY = dt.date(2026, 3, 2)
HOSTILE = [
    "x\" AS SELECT 1; COPY (SELECT 1) TO 'pwned-1.csv'; --",
    "x' ; COPY (SELECT 1) TO 'pwned-2.csv'; --",
    "claude_code_usage\"; COPY (SELECT 1) TO 'pwned-3.csv'; --",
    "x\"\nCOPY (SELECT 1) TO 'pwned-4.csv';\n--",
    "x\"\"; ATTACH 'pwned-5.duckdb' AS p; --",
]


def _usage_day(lake: Lake, day: dt.date, sessions: int, asset: str = "claude_code_usage") -> None:
    lake.write_day(asset, day, pa.table({"date": [day], "email": ["ana@example.com"], "sessions": [sessions]}), {})


def _cli(*args: str, data_dir, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_ASSETS_", "DAGSTER_HOME"))}
    return subprocess.run([str(BIN / "claude-assets"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**base, **(env or {}), "CLAUDE_ASSETS_DATA_DIR": str(data_dir)}, timeout=120)


def _hostile_lake(tmp_path) -> Lake:
    """A lake with one real asset and, beside it, folders named to end a quoted name and add statements."""
    lake = Lake(str(tmp_path / "lake"))
    _usage_day(lake, DAY, 2)
    for name in HOSTILE:
        _usage_day(lake, DAY, 40, asset=name)  # a readable day: were it a view, its rows would show
    return lake


@pytest.mark.subprocess
def test_folder_names_in_the_lake_never_become_sql(tmp_path):
    _hostile_lake(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    done = _cli("sql", "-c", "SELECT sum(sessions) AS s FROM claude_code_usage", data_dir=tmp_path / "lake", cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["s", "2"]
    warnings = done.stderr.splitlines()
    assert len(warnings) == len(HOSTILE), "one line per folder no asset writes, a newline in a name included"
    assert all("no asset is named so" in line and "Traceback" not in line for line in warnings)
    tables = _cli("sql", "-c", "SELECT table_name FROM information_schema.tables", data_dir=tmp_path / "lake", cwd=work)
    assert tables.stdout.split() == ["table_name", "claude_code_usage"]

    export = work / "lake.duckdb"
    assert _cli("sql", "--export", str(export), data_dir=tmp_path / "lake", cwd=work).returncode == 0
    with duckdb.connect(str(export), read_only=True) as con:
        names = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert names == {"claude_code_usage", "claude_assets_export"}
        assert con.execute("SELECT sum(sessions) FROM claude_code_usage").fetchone() == (2,)
    written = {p.name for p in tmp_path.rglob("pwned*")}
    assert not written, f"a folder's name ran as SQL and wrote {written}"


def test_names_and_texts_reach_duckdb_as_data(tmp_path):
    """The two quoting functions every statement uses: what goes in comes out, whatever its quotes."""
    name, text = 'a"b"";\n--', "it's ''quoted'';\n--"
    con = duckdb.connect()
    con.execute(f"CREATE VIEW {identifier(name)} AS SELECT {quote(text)} AS {identifier(name)}")
    assert con.execute("SELECT table_name FROM information_schema.tables").fetchall() == [(name,)]
    assert con.execute(f"SELECT {identifier(name)} FROM {identifier(name)}").fetchall() == [(text,)]


def test_a_derived_assets_inputs_are_read_from_a_lake_whose_path_has_quotes(tmp_path):
    """The lake's path comes from the settings; a derived asset's views name its day files in literals."""
    lake = Lake(str(tmp_path / "it's a \"lake\"; --"))
    table = RAW_TABLES["claude_code_usage"]
    _usage_day(lake, DAY, 3)
    con = duckdb.connect()
    create_views(con, lake, [table], {DAY: [table.asset]}, by_name=True)  # the day has only some columns
    assert con.execute("SELECT sum(sessions) FROM claude_code_usage").fetchone() == (3,)


def test_every_asset_the_code_location_writes_to_the_lake_can_be_a_view():
    from claude_assets.definitions import build_definitions
    from claude_assets.engine.organizations import DEFAULT

    specs = build_definitions([DEFAULT]).resolve_all_asset_specs()
    assert {spec.key.path[-1] for spec in specs if "parquet" in spec.kinds} == LAKE_ASSETS


# -- --export never replaces what it did not write ------------------------------------------------


@pytest.mark.subprocess
def test_an_export_replaces_its_own_earlier_file_with_the_lake_as_it_now_is(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    _usage_day(lake, DAY, 2)
    export = tmp_path / "bi" / "lake.duckdb"
    export.parent.mkdir()
    assert _cli("sql", "--export", str(export), data_dir=lake.base, cwd=tmp_path).returncode == 0
    _usage_day(lake, DAY, 5, asset="claude_code_telemetry")
    again = _cli("sql", "--export", str(export), data_dir=lake.base, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    with duckdb.connect(str(export), read_only=True) as con:
        assert con.execute("SELECT sum(sessions) FROM claude_code_telemetry").fetchone() == (5,)
    assert os.listdir(export.parent) == ["lake.duckdb"], "no temporary file is left beside it"


@pytest.mark.subprocess
@pytest.mark.parametrize("existing", ["duckdb", "text"])
def test_an_export_leaves_a_file_it_did_not_write_alone(tmp_path, existing):
    lake = Lake(str(tmp_path / "lake"))
    _usage_day(lake, DAY, 2)
    export = tmp_path / "mine.duckdb"
    if existing == "duckdb":
        with duckdb.connect(str(export)) as con:
            con.execute("CREATE TABLE claude_code_usage AS SELECT 'my own work' AS note")
    else:
        export.write_text("quarterly numbers\n")
    before = export.read_bytes()
    done = _cli("sql", "--export", str(export), data_dir=lake.base, cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert "left alone" in done.stderr and "pick another path, or delete it" in done.stderr
    assert ("not a DuckDB database" in done.stderr) == (existing == "text")
    assert export.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["lake", "mine.duckdb"], "no temporary file is left beside it"


@pytest.mark.subprocess
@pytest.mark.parametrize("where, says", [
    ("missing/lake.duckdb", "does not exist"),
    ("/sys/lake.duckdb", "cannot be written"),  # sysfs refuses new files, to root too
    (".", "is a folder"),
], ids=["folder missing", "folder not writable", "path is a folder"])
def test_an_export_that_cannot_be_written_is_one_line(tmp_path, where, says):
    if where.startswith("/sys") and not os.path.isdir("/sys"):
        pytest.skip("no /sys on this system")
    lake = Lake(str(tmp_path / "lake"))
    _usage_day(lake, DAY, 2)
    done = _cli("sql", "--export", where, data_dir=lake.base, cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert says in done.stderr, done.stderr


# -- an object store that refuses -----------------------------------------------------------------


@pytest.fixture
def s3(monkeypatch):
    """moto's S3 on loopback, bucket `lake-bucket`, and an environment in which no real credentials can be found."""
    with s3_server("lake-bucket") as env:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            monkeypatch.delenv(name)
        isolated = {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials", "AWS_CONFIG_FILE": "/nonexistent/config",
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": env["AWS_ENDPOINT_URL"],
                    "AWS_DEFAULT_REGION": env["AWS_DEFAULT_REGION"]}
        for name, value in isolated.items():
            monkeypatch.setenv(name, value)
        s3fs.S3FileSystem.clear_instance_cache()  # a cached filesystem keeps the credentials it was made with
        yield {**isolated, "AWS_ACCESS_KEY_ID": env["AWS_ACCESS_KEY_ID"],
               "AWS_SECRET_ACCESS_KEY": env["AWS_SECRET_ACCESS_KEY"]}
        s3fs.S3FileSystem.clear_instance_cache()


@pytest.mark.subprocess
@pytest.mark.parametrize("url, credentials, says", [
    ("s3://lake-bucket/lake", False, "no credentials for s3:// were found: set AWS_ACCESS_KEY_ID"),
    ("s3://no-such-bucket/lake", True, "no such bucket"),
], ids=["no credentials", "no such bucket"])
def test_sql_on_a_store_that_refuses_is_one_line(tmp_path, s3, url, credentials, says):
    env = {k: v for k, v in s3.items() if credentials or not k.startswith(("AWS_ACCESS", "AWS_SECRET"))}
    child = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run([str(BIN / "claude-assets"), "sql", "-c", "SELECT 1"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env={**child, **env, "CLAUDE_ASSETS_DATA_DIR": url})
    assert done.returncode == 2 and "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert f"The lake at {url} cannot be read" in done.stderr and says in done.stderr


@pytest.mark.subprocess
def test_status_on_a_store_without_credentials_says_so_once(tmp_path, s3):
    (tmp_path / "dagster.yaml").write_text("")
    child = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLAUDE_ASSETS_"))}
    env = {k: v for k, v in s3.items() if not k.startswith(("AWS_ACCESS", "AWS_SECRET"))}
    done = subprocess.run([str(BIN / "claude-assets"), "status"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120, env={**child, **env, "DAGSTER_HOME": str(tmp_path),
                                            "CLAUDE_ASSETS_DATA_DIR": "s3://lake-bucket/lake"})
    said = [line for line in (done.stdout + done.stderr).splitlines() if "s3://lake-bucket/lake" in line]
    assert len(said) == 1 and "no credentials for s3:// were found" in said[0], done.stderr
    assert "Traceback" not in done.stderr and "asset" in done.stdout, "the status table follows"


def test_a_run_on_a_store_without_credentials_fails_before_the_api_is_asked(emulator, s3):
    result = materialize(emulator, "s3://lake-bucket/lake", ["claude_code_usage"], day=TODAY - dt.timedelta(days=5))
    assert not result.success
    message = failure(result)
    assert "The lake at s3://lake-bucket/lake cannot be written (no credentials for s3:// were found: set " \
           "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)" in message
    assert "botocore" not in message
    assert emulator.stats.snapshot()["total"] == 0


def test_a_store_that_cannot_be_reached_names_its_address(s3, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3["AWS_SECRET_ACCESS_KEY"])
    with pytest.raises(OSError, match="the store could not be reached .*: check AWS_ENDPOINT_URL"):
        Lake("s3://lake-bucket/lake").check_writable()


# -- what a writer killed with -9 leaves --------------------------------------------------------


def _leftover(folder, age_seconds: float, rows: int) -> str:
    """A temporary file as `Lake._put` names it, holding a readable table, last written `age_seconds` ago."""
    path = folder / f".{FILE_NAME}.{os.urandom(16).hex()}.tmp"
    pq.write_table(pa.table({"date": [DAY] * rows, "email": ["eve@example.com"] * rows, "sessions": [100] * rows}),
                   path)
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))
    return path.name


@pytest.mark.subprocess
def test_a_killed_writers_temporary_files_are_never_read_and_the_next_write_removes_the_old_ones(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    _usage_day(lake, DAY, 2)
    folder = tmp_path / "lake" / "claude_code_usage" / f"date={DAY.isoformat()}"
    _leftover(folder, STALE_TEMPORARY_SECONDS + 60, rows=3)
    live = _leftover(folder, 5, rows=4)  # a concurrent writer's, still being written
    (folder / ".notes.tmp").write_text("not ours")  # not named as a writer names its files: kept however old
    os.utime(folder / ".notes.tmp", (0, 0))

    assert lake.read_asset("claude_code_usage").num_rows == 1
    assert pd.read_parquet(str(tmp_path / "lake" / "claude_code_usage"), partitioning=None)["sessions"].tolist() == [2]
    with duckdb.connect() as con:  # the README's query
        assert con.execute(f"SELECT count(*) FROM read_parquet({quote(str(tmp_path / 'lake'))} || "
                           "'/claude_code_usage/*/*.parquet', hive_partitioning = false)").fetchone() == (1,)
    done = _cli("sql", "-c", "SELECT count(*) AS n FROM claude_code_usage", data_dir=lake.base, cwd=tmp_path)
    assert done.stdout.split() == ["n", "1"], done.stderr

    _usage_day(lake, DAY, 7)
    assert sorted(os.listdir(folder)) == sorted([FILE_NAME, live, ".notes.tmp"])
    assert lake.read_asset("claude_code_usage")["sessions"].to_pylist() == [7]


def test_a_killed_write_probe_is_removed_by_the_next_check(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.check_writable()
    stale = _leftover(tmp_path / "lake", STALE_TEMPORARY_SECONDS + 60, rows=1)
    lake.check_writable()
    assert stale not in os.listdir(tmp_path / "lake")
