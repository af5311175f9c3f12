# ruff: noqa: E402
"""Job queue benchmark: submit throughput, GET /api/jobs latency with 10,000 stored jobs, and the
time from submit to engine start with an idle worker. Runs a real studio process on tmp folders.

    .venv/bin/python bench/queue.py [--submits 1000] [--stored 10000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named queue.py, as asked; keep its folder off the import path so that it does not
# shadow the standard library's `queue` module.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import statistics
import tempfile
import threading
import time

import httpx
from websockets.sync.client import connect

from hollywool.jobs.models import JobStatus
from hollywool.jobs.store import NewJob, SqliteJobStore
from hollywool.storage.db import Database
from hollywool.testkit.tiny_models import build_family
from tests.kit.studio import ServerProcess, tiny_entry, write_user_config


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--submits", type=int, default=1000)
    ap.add_argument("--stored", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="hw-bench-"))
    model = build_family("sd15", root / "models")
    write_user_config(
        root / "data",
        {
            "tiny-sd": tiny_entry(model, "sd"),
            # Loading fails at once: lets the queue be measured without generation competing for CPU.
            "no-op": tiny_entry(root / "missing-model", "sd"),
        },
    )
    # 10,000 finished jobs already in the database, as after weeks of use.
    store = SqliteJobStore(Database(root / "data" / "hollywool.db"))
    store.create(
        NewJob(kind="image", lane="gpu", params={"prompt": f"p{i}", "model": "tiny-sd"}, status=JobStatus.completed)
        for i in range(args.stored)
    )
    store.db.close()

    with ServerProcess(root) as server:
        url = server.url
        body = {"prompt": "bench", "model": "no-op", "width": 64, "height": 64, "steps": 1}
        per_thread = args.submits // args.threads

        def submit_loop() -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                for _ in range(per_thread):
                    c.post("/api/jobs", json=body).raise_for_status()

        threads = [threading.Thread(target=submit_loop) for _ in range(args.threads)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        submitted = per_thread * args.threads
        print(f"submit throughput: {submitted / elapsed:.0f} jobs/s ({submitted} jobs, {args.threads} clients)")

        latencies = []
        with httpx.Client(base_url=url, timeout=60) as c:
            total = c.get("/api/jobs").json()["total"]
            for _ in range(200):
                t = time.perf_counter()
                c.get("/api/jobs", params={"limit": 50}).raise_for_status()
                latencies.append((time.perf_counter() - t) * 1000)
        print(
            f"GET /api/jobs with {total} stored jobs: p50 {statistics.median(latencies):.1f} ms, "
            f"p99 {percentile(latencies, 99):.1f} ms"
        )

        # Let the no-op jobs drain, then time submit -> job.started with an idle worker.
        with httpx.Client(base_url=url, timeout=60) as c:
            while c.get("/api/jobs", params={"active_only": True}).json()["total"]:
                time.sleep(0.2)
        starts = []
        with connect(f"ws://127.0.0.1:{server.port}/api/ws") as ws, httpx.Client(base_url=url, timeout=60) as c:
            ws.recv(timeout=10)
            for i in range(20):
                t = time.perf_counter()
                job_id = c.post("/api/jobs", json={**body, "model": "tiny-sd", "seed": i}).json()["job_id"]
                started = None
                while True:
                    event = json.loads(ws.recv(timeout=60))
                    if event.get("job_id") != job_id:
                        continue
                    if event["type"] == "job.started" and started is None:
                        started = (time.perf_counter() - t) * 1000
                    if event["type"] in ("job.completed", "job.failed"):
                        break
                starts.append(started)
        print(
            f"submit -> engine start (idle worker): p50 {statistics.median(starts):.1f} ms, "
            f"max {max(starts):.1f} ms over {len(starts)} jobs"
        )


if __name__ == "__main__":
    main()
