# ruff: noqa: E402
"""ComfyUI workflow import benchmark: CPU and wall time of importing a generated workflow of
16,000 nodes (copies of the txt2img graph) in API and in editor format, through the studio's API
against a fake ComfyUI server.

    .venv/bin/python bench/comfyui_import.py [--nodes 16000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue`: keep this folder off the import path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import tempfile
import time

from fastapi.testclient import TestClient

from hollywool.app import create_app
from hollywool.settings import ServiceUrls, Settings
from tests.comfyui.big_workflows import big_api, big_editor, copies_for
from tests.fakes.comfyui import FakeComfyUI


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=16_000)
    args = parser.parse_args()
    copies = copies_for(args.nodes)
    fake = FakeComfyUI(models={"checkpoints": ["v1-5-pruned-emaonly.safetensors"]}).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings.from_env(
                data_dir=Path(tmp) / "data", outputs_dir=Path(tmp) / "outputs", services=ServiceUrls(comfyui=fake.url)
            )
            with TestClient(create_app(settings), base_url="http://localhost") as client:  # a Host the studio serves
                for fmt, workflow in (("api", big_api(copies)), ("editor", big_editor(copies))):
                    body = json.dumps({"name": f"bench {fmt}", "workflow_json": workflow})
                    wall, cpu = time.perf_counter(), time.process_time()
                    r = client.post(
                        "/api/comfyui/workflows", content=body, headers={"content-type": "application/json"}
                    )
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    assert r.status_code == 201, r.text[:300]
                    print(
                        f"{fmt:6} import: {7 * copies} nodes, {len(body) / 1e6:.1f} MB: "
                        f"{wall:.2f} s wall, {cpu:.2f} s CPU (studio and fake server together)"
                    )
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
