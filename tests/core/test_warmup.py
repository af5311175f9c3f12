"""Start-up stays light (no torch on import) and the heavy imports are warmed in the background after it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.kit.studio import REPO


def _python(code: str, **env) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**_env(), **env},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "HOLLYWOOL_WARMUP": "1"}


def test_importing_the_app_does_not_import_torch(tmp_path):
    assert _python("import hollywool.app, sys; print('torch' in sys.modules)") == "False"


STARTED_APP = """
    import sys
    from pathlib import Path
    from fastapi.testclient import TestClient
    from hollywool.app import create_app
    from hollywool.settings import Settings

    folders = dict(data_dir=Path(r"{data}"), outputs_dir=Path(r"{outputs}"))
    settings = Settings.from_env(**folders, allowed_hosts=("testserver",))
    app = create_app(settings)
    before = "torch" in sys.modules
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        warmup = app.state.warmup
        {body}
"""


def test_after_start_up_a_background_thread_imports_torch_and_diffusers(tmp_path):
    body = """finished = warmup.done.wait(240)
        print(before, finished, "torch" in sys.modules, "diffusers" in sys.modules,
              "diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion" in sys.modules, warmup.failed)"""
    code = STARTED_APP.format(data=tmp_path / "data", outputs=tmp_path / "outputs", body=body)
    assert _python(code) == "False True True True True []"


def test_warm_up_can_be_turned_off_and_a_failed_import_is_skipped(tmp_path):
    off = STARTED_APP.format(
        data=tmp_path / "data", outputs=tmp_path / "outputs", body='print(warmup, "torch" in sys.modules)'
    )
    assert _python(off, HOLLYWOOL_WARMUP="0") == "None False"

    from hollywool.models.warmup import Warmup

    warmup = Warmup([("hollywool_no_such_module", None), ("json", "dumps")]).start()
    assert warmup.done.wait(30)
    assert warmup.failed == ["hollywool_no_such_module"] and warmup.imported == ["json.dumps"]


def test_waiting_for_one_import_does_not_wait_for_the_rest(tmp_path):
    """The device is read once torch is imported, while the pipelines still import behind it."""
    import sys
    import threading

    from hollywool.models.warmup import Warmup

    gate = threading.Event()
    module = tmp_path / "hollywool_slow_module.py"
    module.write_text("import builtins\nbuiltins._hollywool_gate.wait(30)\n")
    sys.path.insert(0, str(tmp_path))
    import builtins

    builtins._hollywool_gate = gate  # type: ignore[attr-defined]
    try:
        warmup = Warmup([("json", None), ("hollywool_slow_module", None)]).start()
        assert warmup.wait(10, until="json")  # answered while the slow import still runs
        assert not warmup.done.is_set()
        gate.set()
        assert warmup.wait(30) and warmup.imported == ["json", "hollywool_slow_module"]
    finally:
        gate.set()
        sys.path.remove(str(tmp_path))
        sys.modules.pop("hollywool_slow_module", None)
        del builtins._hollywool_gate  # type: ignore[attr-defined]
