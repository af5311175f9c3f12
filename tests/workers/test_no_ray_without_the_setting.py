"""Ray is pinned but optional: without HOLLYWOOL_RAY_ADDRESS nothing imports it or starts a Ray process."""

from __future__ import annotations

import subprocess
import sys

from tests.kit.studio import REPO

CHECK = """
import sys
from pathlib import Path
from hollywool.settings import Settings
from hollywool.studio import Studio

root = Path(sys.argv[1])
studio = Studio(Settings.from_env(data_dir=root / "data", outputs_dir=root / "out", gpus=("cpu", "cpu")))
assert studio.workers is not None and len(studio.workers.workers()) == 2
assert not [m for m in sys.modules if m == "ray" or m.startswith("ray.")], "ray was imported"
studio.stop()
"""


def test_a_studio_with_two_local_workers_never_imports_ray(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
