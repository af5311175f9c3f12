# ruff: noqa: E402
"""Queue throughput with one and two GPU workers on a fixed batch of tiny image jobs, and the ratio:
locally (one device in the studio's process, then two worker processes) and on a local Ray cluster (one,
then two worker nodes offering one `hollywool_gpu` resource each). Timings exclude start-up and first loads.

    .venv/bin/python bench/scaleout.py [--jobs 12] [--size 128] [--steps 4] [--devices cpu,cpu] [--no-ray]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds a queue.py: keep the folder off the import path so that it does not shadow `queue`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hollywool.settings import Settings
from hollywool.studio import Studio
from hollywool.testkit.tiny_models import build_family
from tests.kit.studio import FAMILY_TYPES, tiny_entry, write_user_config

MODELS = {"tiny-a": "sd15", "tiny-b": "sdxl"}


def run_batch(settings: Settings, jobs: int, size: int, steps: int) -> tuple[float, int]:
    """Seconds to run `jobs` jobs (alternating the two models) once every worker is up and warm."""
    studio = Studio(settings)
    studio.start()
    try:
        workers = studio.workers.workers() if studio.workers else []
        if studio.workers is not None and not studio.workers.wait_ready(600):
            raise SystemExit("the workers did not start in 10 minutes")

        def submit(model: str) -> str:
            params = {"prompt": "a red fox", "model": model, "width": size, "height": size, "steps": steps, "seed": 1}
            return studio.jobs.submit("image", params).id

        def finish(ids: list[str]) -> None:
            for job_id in ids:
                job = studio.jobs.wait(job_id, 600)
                if job.status != "completed":
                    raise SystemExit(f"job {job_id} {job.status}: {job.error}")

        finish([submit(m) for m in MODELS for _ in range(max(len(workers), 1))])  # imports and first loads
        started = time.monotonic()
        finish([submit(list(MODELS)[i % len(MODELS)]) for i in range(jobs)])
        return time.monotonic() - started, max(len(workers), 1)
    finally:
        studio.stop()


@contextmanager
def ray_cluster(nodes: int) -> Iterator[str]:
    import ray
    from ray.cluster_utils import Cluster

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ["HOLLYWOOL_RAY_RESOURCE"] = "hollywool_gpu"
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    for _ in range(nodes):
        cluster.add_node(num_cpus=1, resources={"hollywool_gpu": 1})
    cluster.wait_for_nodes()
    try:
        yield cluster.address
    finally:
        ray.shutdown()
        cluster.shutdown()


def _burn(_: int = 0) -> int:
    total = 0
    for i in range(10_000_000):
        total += i
    return total


def machine_ratio() -> float:
    """Two equal CPU loads in two processes over the same two in turn: about 0.5 on an idle two-core machine,
    near 1 when other work holds the cores; the most two CPU workers can gain here, now."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_burn, [0, 1])  # both processes started
        started = time.monotonic()
        _burn()
        _burn()
        in_turn = time.monotonic() - started
        started = time.monotonic()
        pool.map(_burn, [0, 1])
        return (time.monotonic() - started) / in_turn


def report(label: str, jobs: int, one: float, two: float) -> None:
    print(f"{label}: 1 worker {jobs / one:.2f} jobs/s ({one:.1f} s), 2 workers {jobs / two:.2f} jobs/s ({two:.1f} s), "
          f"ratio {one / two:.2f}x", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=12)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--devices", default="cpu,cpu", help="the two local workers' devices (cuda:0,cuda:1 on a GPU box)")
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HOLLYWOOL_WARMUP", "0")

    root = Path(tempfile.mkdtemp(prefix="hw-scaleout-"))
    entries = {mid: tiny_entry(build_family(fam, root / "models"), FAMILY_TYPES[fam]) for mid, fam in MODELS.items()}
    devices = tuple(args.devices.split(","))

    def settings(name: str, **extra: object) -> Settings:
        write_user_config(root / name / "data", entries)
        return Settings.from_env(data_dir=root / name / "data", outputs_dir=root / name / "out", **extra)

    print(f"this machine: two plain CPU loads at once take {machine_ratio():.2f}x their time in turn")
    print(f"{args.jobs} image jobs, {args.size}x{args.size}, {args.steps} steps, two tiny models alternating")
    one, _ = run_batch(settings("local1", gpus=devices[:1]), args.jobs, args.size, args.steps)
    two, _ = run_batch(settings("local2", gpus=devices), args.jobs, args.size, args.steps)
    report(f"local ({devices[0]} in the studio's process / {', '.join(devices)} as processes)", args.jobs, one, two)
    if args.no_ray:
        return
    times: list[float] = []
    for nodes in (1, 2):
        with ray_cluster(nodes) as address:
            times.append(run_batch(settings(f"ray{nodes}", ray_address=address), args.jobs, args.size, args.steps)[0])
    report("ray (one, then two worker nodes)", args.jobs, *times)


if __name__ == "__main__":
    main()
