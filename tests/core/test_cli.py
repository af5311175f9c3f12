"""The CLI without a running studio: `generate --local` runs the job in-process through the same queue."""

from __future__ import annotations

import subprocess
import sys

from tests.kit.studio import REPO, tiny_entry, write_user_config


def test_generate_in_process_writes_a_png_and_records_the_job(tmp_path, tiny_model):
    write_user_config(tmp_path / "data", {"tiny-sd": tiny_entry(tiny_model("sd15"), "sd")})
    env = {
        **__import__("os").environ,
        "HOLLYWOOL_DATA_DIR": str(tmp_path / "data"),
        "HOLLYWOOL_OUTPUTS_DIR": str(tmp_path / "outputs"),
        "COLUMNS": "300",
    }
    result = subprocess.run(
        [sys.executable, "-m", "hollywool", "generate", "a small boat", "--model", "tiny-sd", "--local",
         "--width", "64", "--height", "64", "--steps", "2", "--seed", "9"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    pngs = list((tmp_path / "outputs").rglob("*.png"))
    assert len(pngs) == 1
    assert str(pngs[0]) in result.stdout.replace("\n", "")
    from hollywool.jobs.store import JobQuery, SqliteJobStore
    from hollywool.storage.db import Database

    jobs, total = SqliteJobStore(Database(tmp_path / "data" / "hollywool.db")).list(JobQuery())
    assert total == 1 and jobs[0].status == "completed" and jobs[0].params["seed"] == 9


def _serve(monkeypatch, tmp_path, token: str, host: str = "0.0.0.0"):  # noqa: ANN202
    """Run `hollywool serve` in-process; uvicorn.run only records that the server would have started."""
    import uvicorn
    from typer.testing import CliRunner

    from hollywool.cli import app

    started: list[str] = []

    def run(app, **kw) -> None:  # noqa: ANN001
        started.append(kw["host"])
        app.state.studio.stop()  # releases the data folder

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("HOLLYWOOL_TOKEN", token)
    monkeypatch.setenv("HOLLYWOOL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOLLYWOOL_OUTPUTS_DIR", str(tmp_path / "outputs"))
    result = CliRunner().invoke(app, ["serve", "--host", host, "--port", "8999"], env={"COLUMNS": "300"})
    return result, started


def test_serve_refuses_a_blank_or_short_token_on_a_network_address(monkeypatch, tmp_path):
    for token in (" ", "\t  "):
        result, started = _serve(monkeypatch, tmp_path, token)
        assert result.exit_code == 2 and started == [], (token, result.output)
        assert "HOLLYWOOL_TOKEN is blank" in result.output
    result, started = _serve(monkeypatch, tmp_path, " padded-but-long-enough-token ")
    assert result.exit_code == 2 and started == []
    assert "HOLLYWOOL_TOKEN starts or ends with a space" in result.output
    result, started = _serve(monkeypatch, tmp_path, "short-token")
    assert result.exit_code == 2 and started == []
    assert "too short for a network address: 11 characters; use at least 16" in result.output
    result, started = _serve(monkeypatch, tmp_path, "a-long-enough-random-token")
    assert result.exit_code == 0 and started == ["0.0.0.0"], result.output


def test_serve_on_loopback_warns_about_a_short_token_but_starts(monkeypatch, tmp_path):
    result, started = _serve(monkeypatch, tmp_path, "short-token", host="127.0.0.1")
    assert result.exit_code == 0 and started == ["127.0.0.1"]
    assert "HOLLYWOOL_TOKEN is short (11 characters)" in result.output
