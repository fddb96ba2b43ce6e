"""Real servers a production deployment talks to, started on loopback for the tests that need them:
PostgreSQL from Debian's `postgresql` package (`make system-packages`) and an S3-compatible
endpoint (moto's server mode, a test extra)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from claude_assets_tests.stack import BIN, free_port

PG_USER, PG_PASSWORD, PG_DB = "dagster", "dagster-test-password", "dagster"


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))  # newest major
    if not found:
        pytest.fail("PostgreSQL's server binaries are missing: run `make system-packages` (Debian's postgresql).")
    return Path(found[-1]).parent


@contextlib.contextmanager
def postgres_server():
    """A throwaway PostgreSQL cluster on 127.0.0.1 with a password-protected `dagster` database.

    Yields the DAGSTER_PG_* variables deploy/dagster.yaml reads. PostgreSQL refuses to run as
    root, so under root the cluster belongs to the `postgres` user the package creates."""
    bin_dir = _postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="claude-assets-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    password_file = folder / "password"
    password_file.write_text(PG_PASSWORD)
    if as_user:
        os.chown(password_file, owner.pw_uid, owner.pw_gid)
    port = free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode:
            pytest.fail(f"{command[0]} failed: {done.stdout}{done.stderr}")

    data = folder / "data"
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=scram-sha-256",
        f"--pwfile={password_file}", "--encoding=UTF8", "--no-sync")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60", "start",
        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200")
    env = {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(port), "DAGSTER_PG_DB": PG_DB,
           "DAGSTER_PG_USERNAME": PG_USER, "DAGSTER_PG_PASSWORD": PG_PASSWORD}
    try:
        subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", PG_USER, PG_DB],
                       env={**os.environ, "PGPASSWORD": PG_PASSWORD}, check=True, capture_output=True, timeout=60)
        yield env
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def s3_server(bucket: str):
    """moto's S3 server on 127.0.0.1 with `bucket` created; yields the AWS_* variables s3fs reads."""
    port = free_port()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    server = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.put(f"{env['AWS_ENDPOINT_URL']}/{bucket}", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("moto's S3 server did not start on loopback")
            time.sleep(0.3)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)
