"""HunyuanVideo 1.5 catalogue entries that name Comfy-Org's repackaged split files in a hub repository: the catalogue
lists them with the family's current (not legacy) video models and their sizes; before the download their memory
estimate says which weights the files hold in fp8; downloading fetches only the files the entry names (from a fake
hub serving tiny files in ComfyUI's layout), and the model is assembled from them and makes a video."""

from __future__ import annotations

import pytest

from hollywool.testkit.tiny_models import FAMILIES
from tests.image.conftest import add_user_models, online  # noqa: F401  # the fixture, for usefixtures below
from tests.kit.studio import wait_job
from tests.video.conftest import png_b64, run_job

REPO = "Comfy-Org/HunyuanVideo_1.5_repackaged"
COMFY_ENTRIES = {
    # id: (size_gb, the diffusion model's precision, i2v)
    "hunyuanvideo-1.5-720p-t2v-comfy": (29.0, "bf16", False),
    "hunyuanvideo-1.5-720p-i2v-comfy": (29.9, "bf16", True),
    "hunyuanvideo-1.5-720p-i2v-distilled-fp8-comfy": (21.5, "fp8_scaled", True),
    "hunyuanvideo-1.5-480p-t2v-comfy": (29.0, "bf16", False),
    "hunyuanvideo-1.5-480p-t2v-distilled-fp8-comfy": (20.7, "fp8_scaled", False),
    "hunyuanvideo-1.5-480p-i2v-comfy": (29.9, "bf16", True),
}


def test_the_catalogue_lists_comfyui_hunyuanvideo15_files_with_sizes_and_precisions(make_client):
    client = make_client()
    listed = client.get("/api/models", params={"kind": "video"}).json()["models"]
    order = [m["id"] for m in listed]
    by_id = {m["id"]: m for m in listed}
    videos = {m["id"]: m for m in client.get("/api/video/models").json()}
    manager = client.app.state.studio.models
    first_legacy = next(i for i, m in enumerate(listed) if m["legacy"])
    for model_id, (size_gb, precision, i2v) in COMFY_ENTRIES.items():
        model = by_id[model_id]
        assert (model["family"], model["legacy"], model["source"]) == ("HunyuanVideo 1.5", False, "hub"), model_id
        assert model["size_gb"] == size_gb and not model["downloaded"]
        video = videos[model_id]
        assert (video["image_to_video"], video["text_to_video"]) == (i2v, not i2v)
        assert order.index(model_id) < first_legacy
        entry = manager.catalog.get(model_id)
        assert entry.files is not None and all(name.startswith("split_files/") for name in entry.files.names())
        # Not on disk yet: the family's published sizes, in the precision the entry's files hold.
        needs = {n.name: n for n in manager.needs(entry)}
        assert needs["transformer"].stored == precision
        assert needs["text_encoder"].stored == "fp8_scaled"  # qwen_2.5_vl_7b_fp8_scaled: upcast at load
        assert round(needs["transformer"].params / 1e9, 2) == 8.32  # 8.3B, whatever the file's precision
        # Image-to-video models carry the SigLIP image encoder (0.86 GB in bf16): counted for them alone.
        assert ("image_encoder" in needs) == i2v
        if i2v:
            assert round(needs["image_encoder"].params / 1e9, 2) == 0.43


@pytest.fixture
def comfy_repo(tiny_model, tmp_path_factory):
    """(a repo folder of tiny HunyuanVideo 1.5 files in Comfy-Org's layout plus a file not to download, the paths in
    it of the model's files)."""
    from hollywool.testkit.split_layouts import write_hunyuanvideo15_split_files

    repo = tmp_path_factory.mktemp("comfy-repo")
    model, encoders, vae = write_hunyuanvideo15_split_files(
        tiny_model("hunyuanvideo15_i2v"), repo / "split_files", name="hunyuanvideo1.5_720p_i2v_cfg_distilled", fp8=True
    )
    (repo / "split_files" / "diffusion_models" / "hunyuanvideo1.5_720p_t2v_fp16.safetensors").write_bytes(b"x" * 4096)
    return repo, [p.relative_to(repo).as_posix() for p in (model, *encoders, vae)]


@pytest.fixture
def hub(comfy_repo):
    from tests.fakes.hf_hub import FakeHub

    fake = FakeHub()
    fake.add_repo(REPO, comfy_repo[0])
    with fake:
        yield fake


@pytest.mark.usefixtures("online")
def test_an_entry_naming_hub_split_files_downloads_them_and_makes_a_video(
    comfy_repo, hub, register_models, tiny_model, make_client
):
    model, *encoders, vae = comfy_repo[1]  # Qwen, ByT5, then SigLIP, as the catalogue names them
    add_user_models(
        register_models({}),
        {"comfy-hv": {"name": "Comfy HunyuanVideo", "path": REPO, "type": "hunyuanvideo15",
                      "files": {"model": model, "text_encoders": encoders, "vae": vae},
                      # The tiny folder stands in for the shipped config (its JSON and its Qwen tokenizer).
                      "config": str(tiny_model("hunyuanvideo15_i2v")), "category": "video", "default_steps": 2,
                      "memory_gb": 0.1}},
    )  # fmt: skip
    client = make_client()
    listed = {m["id"]: m for m in client.get("/api/video/models").json()}["comfy-hv"]
    assert listed["variant"] == "i2v"  # from the file's name, before it is downloaded
    assert not {m["id"]: m for m in client.get("/api/models").json()["models"]}["comfy-hv"]["downloaded"]

    r = client.post("/api/models/comfy-hv/download")
    assert r.status_code == 201, r.text
    job = wait_job(client, r.json()["job_id"], ("completed", "failed", "cancelled"), 120, path="/api/jobs")
    assert job["status"] == "completed", job.get("error")
    # Only the files the entry names came down (not the repo's other diffusion model).
    served = {f.filename for f in hub.file_requests}
    assert "split_files/diffusion_models/hunyuanvideo1.5_720p_t2v_fp16.safetensors" not in served
    assert client.post("/api/models/comfy-hv/download").json()["status"] == "already_cached"
    # The shipped entries naming other files of the same repo are not downloaded by it.
    downloaded = client.get("/api/models/cache-status").json()["downloaded"]
    assert "comfy-hv" in downloaded and not [m for m in downloaded if m.endswith("-comfy")]

    manager = client.app.state.studio.models
    needs = manager.needs(manager.catalog.get("comfy-hv"))  # now measured from the files
    assert [n.stored for n in needs if n.name == "model"] == ["fp8"] and len(needs) == 1 + len(encoders) + 1

    call = FAMILIES["hunyuanvideo15_i2v"].call
    body = {"model": "comfy-hv", "prompt": "a robot dancing", "num_frames": call["num_frames"], "steps": 2, "seed": 7,
            "guidance_scale": 5.0, "reference_images": [{"image_base64": png_b64((48, 48))}]}  # fmt: skip
    job = run_job(client, "i2v", body)
    assert job["videos"]
