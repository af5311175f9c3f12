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
