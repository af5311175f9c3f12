"""The queue as a person reads it: each queued job's place in its lane is the order it will run in,
and every job has a readable title and kind label (never `comfyui job` or `civitai.download`)."""

from __future__ import annotations

from pydantic import BaseModel

from hollywool.jobs.kinds import JobKind
from tests.core.step_kinds import StepKind
from tests.kit.studio import wait_for


def test_queue_positions_follow_the_run_order_and_move_to_front(make_client):
    client = make_client()
    studio = client.app.state.studio
    kind = StepKind().register(studio)
    blocker = studio.jobs.submit(kind.name, {"steps": 100_000, "step_s": 0.001, "tag": "blocker"})
    wait_for(lambda: kind.steps_run.get(blocker.id, 0) > 0, what="the blocker running")
    first, second, third = (studio.jobs.submit(kind.name, {"steps": 1, "tag": t}) for t in ("a", "b", "c"))

    def positions() -> dict[str, int | None]:
        items = client.get("/api/jobs", params={"kind": kind.name}).json()["items"]
        return {j["id"]: j["queue_position"] for j in items}

    # The list is newest first; the positions are the run order (oldest queued runs first).
    assert positions() == {blocker.id: None, first.id: 1, second.id: 2, third.id: 3}
    assert client.get(f"/api/jobs/{second.id}").json()["queue_position"] == 2
    client.post(f"/api/jobs/{third.id}/move-to-front")
    assert positions() == {blocker.id: None, third.id: 1, first.id: 2, second.id: 3}

    client.post(f"/api/jobs/{blocker.id}/cancel")
    done_order: list[str] = []

    def record() -> bool:
        for job_id in (third.id, first.id, second.id):
            if job_id not in done_order and client.get(f"/api/jobs/{job_id}").json()["status"] == "completed":
                done_order.append(job_id)
        return len(done_order) == 3

    wait_for(record, what="the three queued jobs to finish")
    finished = {j: client.get(f"/api/jobs/{j}").json()["finished_at"] for j in done_order}
    assert sorted(finished, key=lambda j: finished[j]) == [third.id, first.id, second.id]
    assert set(positions().values()) == {None}


def test_positions_count_within_each_lane(make_client):
    client = make_client()
    studio = client.app.state.studio
    gpu = StepKind().register(studio)
    net = StepKind("test.net", lane=studio.add_network_lane("test-net", 1)).register(studio)
    holds = [studio.jobs.submit(k.name, {"steps": 100_000, "step_s": 0.001}) for k in (gpu, net)]
    wait_for(lambda: all(k.steps_run.get(h.id, 0) > 0 for k, h in zip((gpu, net), holds, strict=True)))
    on_gpu = studio.jobs.submit(gpu.name, {"steps": 1})
    on_net = studio.jobs.submit(net.name, {"steps": 1})
    views = {j["id"]: j for j in client.get("/api/jobs", params={"status": "queued"}).json()["items"]}
    assert views[on_gpu.id]["queue_position"] == 1
    assert views[on_net.id]["queue_position"] == 1
    for hold in holds:
        client.post(f"/api/jobs/{hold.id}/cancel")


class _Named(BaseModel):
    file: str


def test_titles_and_kind_labels_read_as_a_person_says_them(client):
    studio = client.app.state.studio
    kinds = {k["name"]: k["label"] for k in client.get("/api/jobs/kinds").json()}
    assert kinds["image"] == "Image"
    assert kinds["comfyui"] == "ComfyUI workflow"
    assert kinds["civitai.download"] == "Civitai download"
    assert kinds["i2v"] == "Image to video"
    assert all(label and "." not in label and "_" not in label for label in kinds.values()), kinds

    image = client.post(
        "/api/jobs", json={"prompt": "a lighthouse at dusk", "model": "tiny-sd", "width": 64, "height": 64, "steps": 1}
    ).json()["job_id"]
    view = client.get(f"/api/jobs/{image}").json()
    assert (view["title"], view["kind_label"]) == ("a lighthouse at dusk", "Image")

    # A kind whose params name no prompt or model titles its jobs itself; one that does not says its label.
    studio.kinds.register(
        JobKind(
            "test.titled", _Named, lambda _ctx, _p: None, lane=lambda _p: "gpu", label="Test", title=lambda p: p.file
        )
    )
    studio.kinds.register(JobKind("test.plain_kind", _Named, lambda _ctx, _p: None))
    titled = studio.jobs.submit("test.titled", {"file": "lighthouse.safetensors"})
    plain = studio.jobs.submit("test.plain_kind", {"file": "x"})
    assert client.get(f"/api/jobs/{titled.id}").json()["title"] == "lighthouse.safetensors"
    plain_view = client.get(f"/api/jobs/{plain.id}").json()
    assert plain_view["title"] == plain_view["kind_label"] == "Test plain kind"
