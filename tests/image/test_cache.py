"""The model cache: LRU eviction under a memory budget, unloading, health, memory answers."""

from __future__ import annotations

from tests.image.conftest import run


def test_cache_evicts_least_recently_used_under_a_small_budget(register_models, make_client):
    register_models({"tiny-sd": "sd15", "tiny-sdxl": "sdxl", "tiny-flux": "flux"})
    # tiny-sd holds about 6 MB, tiny-sdxl 4.2 MB, tiny-flux 2 MB; the budget is 11 MB.
    client = make_client(memory_budget_gb=11 / 1024)
    loaded = lambda: client.get("/api/health").json()["loaded_models"]  # noqa: E731
    run(client, model="tiny-sd")
    run(client, model="tiny-sdxl")
    assert loaded() == ["tiny-sd", "tiny-sdxl"]
    run(client, model="tiny-sd")  # used last, although loaded first
    run(client, model="tiny-flux")  # does not fit beside both: the least recently used goes
    assert loaded() == ["tiny-sd", "tiny-flux"]
    status = client.get("/api/models/cache-status").json()
    assert status["budget_bytes"] == 11 * 1024**2 and status["used_bytes"] <= status["budget_bytes"]
    # The budget can also come from the Settings page.
    client.put("/api/settings", json={"memory_budget_gb": 1})
    run(client, model="tiny-sdxl")
    assert set(loaded()) == {"tiny-sd", "tiny-sdxl", "tiny-flux"}


def test_unload_and_can_generate(image_client):
    client = image_client
    run(client)
    answer = client.get("/api/system/can-generate/tiny-sd").json()
    assert answer["can_generate"] and answer["loaded"] and answer["plan"]["placement"] == "device"
    assert client.post("/api/models/tiny-sd/unload").json()["unloaded"] == ["tiny-sd"]
    assert client.get("/api/health").json()["loaded_models"] == []
    assert client.get("/api/system/can-generate/nope").status_code == 404
    video = client.get("/api/system/can-generate/cogvideox-5b").json()
    assert video["can_generate"] is False
    hub = client.get("/api/system/can-generate/sdxl-base").json()
    assert hub["downloaded"] is False and "download" in hub["reason"]
    run(client)
    assert client.post("/api/models/unload").json()["unloaded"] == ["tiny-sd"]


def test_memory_plan_picks_offload_when_the_model_does_not_fit():
    from hollywool.models.memory import GB, plan_memory

    assert plan_memory(8 * GB, 5 * GB, 20 * GB, 1024**2, on_cpu=False).placement == "device"
    assert plan_memory(30 * GB, 10 * GB, 20 * GB, 1024**2, on_cpu=False).placement == "model_offload"
    assert plan_memory(30 * GB, 24 * GB, 20 * GB, 1024**2, on_cpu=False).placement == "sequential_offload"
    assert plan_memory(1 * GB, 1 * GB, 20 * GB, 2048**2, on_cpu=False).vae_tiling
