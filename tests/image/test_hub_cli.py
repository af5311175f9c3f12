"""`hollywool models pull`: a download job on the running studio, followed with a progress bar."""

from __future__ import annotations

import re

import httpx
import pytest
from typer.testing import CliRunner

from tests.image.conftest import UNET, hub_entry
from tests.image.test_downloads_and_cli import _closed_port
from tests.kit.studio import ServerProcess, write_user_config


@pytest.fixture
def cli_env(monkeypatch, online):
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def test_pull_submits_a_job_to_the_running_studio(hub, online, cli_env, tmp_path, monkeypatch):
    from hollywool.cli import app

    root = tmp_path / "studio"
    write_user_config(root / "data", {"hub-sd": hub_entry("acme/tiny-sd"), "gated-sd": hub_entry("acme/gated-sd")})
    env = {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "server-hf")}
    hub.chunk_delay = 0.01
    with ServerProcess(root, env=env) as server:
        monkeypatch.setenv("HOLLYWOOL_URL", server.url)
        # This process's own cache (HF_HOME of the `online` fixture) stays empty: the studio downloads.
        monkeypatch.setenv("HOLLYWOOL_DATA_DIR", str(tmp_path / "cli-data"))
        pulled = cli_env.invoke(app, ["models", "pull", "hub-sd"])
        assert pulled.exit_code == 0, pulled.output
        assert "hub-sd (completed)" in pulled.output
        assert re.search(r"([\d.]+)/\1 MB", pulled.output), pulled.output  # the bar, full
        assert "models--acme--tiny-sd/snapshots/" in pulled.output.replace("\n", "")
        assert (tmp_path / "server-hf" / "hub" / "models--acme--tiny-sd").is_dir()
        assert not online.exists()
        jobs = httpx.get(f"{server.url}/api/models/downloads").json()
        assert [(j["kind"], j["status"], j["params"]["model"]) for j in jobs] == [
            ("model.download", "completed", "hub-sd")
        ]
        assert httpx.get(f"{server.url}/api/models/cache-status").json()["downloaded"] == ["hub-sd"]
        again = cli_env.invoke(app, ["models", "pull", "hub-sd"])  # the seed's "already_cached": no new job
        assert again.exit_code == 0 and "already downloaded" in again.output, again.output
        assert len(httpx.get(f"{server.url}/api/models/downloads").json()) == 1

        gated = cli_env.invoke(app, ["models", "pull", "gated-sd"])
        assert gated.exit_code == 1 and "HF_TOKEN" in gated.output
        unknown = cli_env.invoke(app, ["models", "pull", "nope"])
        assert unknown.exit_code == 1 and "Rejected (404)" in unknown.output
    assert len(hub.requests_for(UNET, "GET")) == 1


def test_pull_runs_in_process_when_no_studio_answers(hub, online, cli_env, studio_dirs, monkeypatch):
    from hollywool.cli import app

    write_user_config(studio_dirs["data_dir"], {"hub-sd": hub_entry("acme/tiny-sd")})
    monkeypatch.setenv("HOLLYWOOL_DATA_DIR", str(studio_dirs["data_dir"]))
    monkeypatch.setenv("HOLLYWOOL_URL", f"http://127.0.0.1:{_closed_port()}")
    pulled = cli_env.invoke(app, ["models", "pull", "hub-sd"])
    assert pulled.exit_code == 0, pulled.output
    assert "No studio answers" in pulled.output and "downloading in this process" in pulled.output
    assert (online / "models--acme--tiny-sd" / "refs" / "main").is_file()
    listed = cli_env.invoke(app, ["models", "list"])
    assert "hub-sd" in listed.output
    removed = cli_env.invoke(app, ["models", "rm", "hub-sd", "--yes"])
    assert removed.exit_code == 0 and "freed" in removed.output
    assert not any((online / "models--acme--tiny-sd").glob("snapshots/*/*"))
