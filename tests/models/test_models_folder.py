"""Existing model folders: a ComfyUI `models` folder and an A1111/Forge one, written by the test in the layouts
those apps use, are discovered with the right role and family for each file and used in place."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.kit.studio import wait_job


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def weights(tiny_model, tmp_path_factory) -> dict[str, Path]:
    """Every kind of file a models folder holds, once; the folders below link or copy them into their layouts."""
    from hollywool.testkit import split_files as flux
    from hollywool.testkit.loras import write_diffusers_lora, write_kohya_lora
    from hollywool.testkit.single_file import vae_to_ldm, write_sd15_single_file, write_sdxl_single_file

    root = tmp_path_factory.mktemp("weights")
    clip, t5 = flux.write_flux_text_encoders(tiny_model("flux"), root)
    sd_vae = tiny_model("sd15") / "vae"
    from safetensors.torch import load_file, save_file

    vae_state = load_file(next(sd_vae.glob("*.safetensors")))
    save_file(vae_to_ldm(vae_state, json.loads((sd_vae / "config.json").read_text())), str(root / "sd-vae.safetensors"))
    return {
        "sd15": write_sd15_single_file(tiny_model("sd15"), root / "sd15.safetensors"),
        "sdxl": write_sdxl_single_file(tiny_model("sdxl"), root / "sdxl.safetensors"),
        "flux-fp8": flux.write_flux_diffusion_model(tiny_model("flux"), root / "flux-fp8.safetensors", fp8=True),
        "flux-gguf": flux.write_flux_gguf(tiny_model("flux"), root / "flux.gguf", "Q8_0"),
        "clip": clip,
        "t5": t5,
        "ae": flux.write_flux_vae(tiny_model("flux"), root / "ae.safetensors"),
        "sd-vae": root / "sd-vae.safetensors",
        "lora-sd15": write_kohya_lora(tiny_model("sd15"), root / "kohya.safetensors", seed=2),
        "lora-sdxl": write_diffusers_lora(tiny_model("sdxl"), root / "sdxl-lora", seed=3),
    }


def _place(root: Path, layout: dict[str, str], weights: dict[str, Path]) -> Path:
    for relative, name in layout.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(weights[name].read_bytes())
    return root


@pytest.fixture
def comfyui(weights, tmp_path) -> Path:
    """A ComfyUI folder (the app's, holding `models/`): its subfolder names, old (`unet/`) and new."""
    app = tmp_path / "ComfyUI"
    _place(
        app / "models",
        {
            "checkpoints/sd15/tiny-sd15.safetensors": "sd15",
            "checkpoints/tiny-sdxl.safetensors": "sdxl",
            "diffusion_models/flux1-tiny-fp8_e4m3fn.safetensors": "flux-fp8",
            "unet/flux1-tiny-Q8_0.gguf": "flux-gguf",
            "text_encoders/clip_l.safetensors": "clip",
            "text_encoders/t5xxl_fp16.safetensors": "t5",
            "vae/ae.safetensors": "ae",
            "vae/sd15-vae.safetensors": "sd-vae",
            "loras/kohya-sd15.safetensors": "lora-sd15",
            "loras/style/pytorch_lora_weights.safetensors": "lora-sdxl",
        },
        weights,
    )
    (app / "models" / "checkpoints" / "put_checkpoints_here").write_text("")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.safetensors").write_bytes(weights["sd15"].read_bytes())
    os.symlink(outside / "secret.safetensors", app / "models" / "checkpoints" / "linked-out.safetensors")
    return app


@pytest.fixture
def a1111(weights, tmp_path) -> Path:
    """An A1111/Forge `models` folder: Forge keeps FLUX diffusion models in Stable-diffusion/ too."""
    return _place(
        tmp_path / "webui" / "models",
        {
            "Stable-diffusion/tiny-sdxl.safetensors": "sdxl",
            "Stable-diffusion/flux1-tiny-fp8.safetensors": "flux-fp8",
            "Lora/kohya-sd15.safetensors": "lora-sd15",
            "VAE/vae-ft-mse-840000-ema-pruned.safetensors": "sd-vae",
            "VAE/ae.safetensors": "ae",
            "text_encoder/clip_l.safetensors": "clip",
            "text_encoder/t5xxl_fp8_e4m3fn.safetensors": "t5",
        },
        weights,
    )


def _by_name(folder: dict) -> dict[str, dict]:
    return {Path(f["path"]).name: f for f in folder["files"]}


def test_a_comfyui_folder_is_discovered_and_used_in_place(register_models, make_client, comfyui):
    register_models({"tiny-sd": "sd15"})
    client = make_client()
    before = _tree(comfyui)
    resp = client.post("/api/models/folders", json={"path": str(comfyui)})
    assert resp.status_code == 201, resp.text
    folder = resp.json()
    assert folder["layout"] == "comfyui" and folder["root"] == str(comfyui / "models") and not folder["from_env"]
    files = _by_name(folder)
    expected = {
        "tiny-sd15.safetensors": ("checkpoint", "sd"),
        "tiny-sdxl.safetensors": ("checkpoint", "sdxl"),
        "flux1-tiny-fp8_e4m3fn.safetensors": ("diffusion_model", "flux"),
        "flux1-tiny-Q8_0.gguf": ("diffusion_model", "flux"),
        "clip_l.safetensors": ("text_encoder", None),
        "t5xxl_fp16.safetensors": ("text_encoder", None),
        "ae.safetensors": ("vae", "flux"),
        "sd15-vae.safetensors": ("vae", "sd"),
        "kohya-sd15.safetensors": ("lora", "sd"),
        "pytorch_lora_weights.safetensors": ("lora", "sdxl"),
    }
    assert {name: (f["role"], f["family"]) for name, f in files.items()} == expected  # the link out is left out
    assert files["flux1-tiny-fp8_e4m3fn.safetensors"]["precision"] == "fp8"
    assert files["flux1-tiny-Q8_0.gguf"]["precision"] == "Q8_0"
    assert files["clip_l.safetensors"]["detail"] == "CLIP text encoder"
    assert files["t5xxl_fp16.safetensors"]["detail"] == "T5 text encoder"

    flux = files["flux1-tiny-Q8_0.gguf"]
    text_encoders = comfyui / "models" / "text_encoders"
    assert flux["text_encoders"] == [
        str(text_encoders / "clip_l.safetensors"),
        str(text_encoders / "t5xxl_fp16.safetensors"),
    ]
    assert flux["vae"] == str(comfyui / "models" / "vae" / "ae.safetensors") and flux["problem"] is None

    # The checkpoints and diffusion models are models now, pointing at the files where they lie.
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    for name in ("tiny-sd15.safetensors", "tiny-sdxl.safetensors", "flux1-tiny-Q8_0.gguf"):
        model = models[files[name]["model_id"]]
        assert model["path"] == files[name]["path"] and model["source"] == "file"
        assert model["type"] == files[name]["family"]
    assert models[flux["model_id"]]["vae"] == flux["vae"]
    assert client.get("/api/settings").json()["model_folders"] == [str(comfyui)]

    # Its LoRAs are in the LoRA list and apply from where they lie.
    loras = {lora["name"]: lora for lora in client.get("/api/loras").json()["loras"]}
    assert loras["kohya-sd15"]["path"] == str(comfyui / "models" / "loras" / "kohya-sd15.safetensors")
    assert loras["kohya-sd15"]["source"] == "models-folder"
    job = wait_job(client, _submit(client, loras=[{"lora_id": loras["kohya-sd15"]["id"], "weight": 1.0}]))
    assert job["status"] == "completed", job["error"]
    assert _tree(comfyui) == before  # nothing copied, written or moved there

    # Removed: its models and LoRAs are gone; the files stay.
    assert client.request("DELETE", "/api/models/folders", params={"path": str(comfyui)}).json() == []
    assert flux["model_id"] not in {m["id"] for m in client.get("/api/models").json()["models"]}
    assert "kohya-sd15" not in {lora["name"] for lora in client.get("/api/loras").json()["loras"]}
    assert _tree(comfyui) == before


def _submit(client, **body) -> str:
    request = {"prompt": "a fox", "model": "tiny-sd", "width": 64, "height": 64, "steps": 2, **body}
    resp = client.post("/api/jobs", json=request)
    assert resp.status_code == 201, resp.text
    return resp.json()["job_id"]


def test_an_a1111_forge_folder_named_in_the_environment(register_models, make_client, a1111):
    register_models({"tiny-sd": "sd15"})
    client = make_client(model_folders=(a1111,))  # what HOLLYWOOL_MODEL_FOLDERS gives
    [folder] = client.get("/api/models/folders").json()
    assert folder["layout"] == "a1111" and folder["from_env"]
    files = _by_name(folder)
    assert {name: (f["role"], f["family"]) for name, f in files.items()} == {
        "tiny-sdxl.safetensors": ("checkpoint", "sdxl"),
        "flux1-tiny-fp8.safetensors": ("diffusion_model", "flux"),
        "kohya-sd15.safetensors": ("lora", "sd"),
        "vae-ft-mse-840000-ema-pruned.safetensors": ("vae", "sd"),
        "ae.safetensors": ("vae", "flux"),
        "clip_l.safetensors": ("text_encoder", None),
        "t5xxl_fp8_e4m3fn.safetensors": ("text_encoder", None),
    }
    flux = files["flux1-tiny-fp8.safetensors"]
    assert flux["vae"] == str(a1111 / "VAE" / "ae.safetensors")
    assert sorted(Path(p).name for p in flux["text_encoders"]) == ["clip_l.safetensors", "t5xxl_fp8_e4m3fn.safetensors"]
    ids = {m["id"] for m in client.get("/api/models").json()["models"]}
    assert {files["tiny-sdxl.safetensors"]["model_id"], flux["model_id"]} <= ids
    # A folder from the environment is not the API's to remove.
    resp = client.request("DELETE", "/api/models/folders", params={"path": str(a1111)})
    assert resp.status_code == 422 and resp.json()["field"] == "path"


def test_a_diffusion_model_without_its_text_encoders_says_so(make_client, weights, tmp_path):
    models = _place(
        tmp_path / "models", {"diffusion_models/flux1-tiny.gguf": "flux-gguf", "vae/ae.safetensors": "ae"}, weights
    )
    client = make_client()
    files = _by_name(client.post("/api/models/folders", json={"path": str(models)}).json())
    flux = files["flux1-tiny.gguf"]
    assert flux["model_id"] is None
    assert (
        "CLIP text encoder" in flux["problem"] and "T5 text encoder" in flux["problem"] and "VAE" not in flux["problem"]
    )


def test_bad_folder_paths_get_a_422_naming_the_field(make_client, weights, tmp_path):
    client = make_client()
    (tmp_path / "empty").mkdir()
    for path in ("relative/models", str(tmp_path / "missing"), str(weights["sd15"]), str(tmp_path / "empty")):
        resp = client.post("/api/models/folders", json={"path": path})
        assert resp.status_code == 422, path
        assert resp.json()["field"] == "path" and path in resp.json()["detail"]
    resp = client.put("/api/settings", json={"model_folders": [str(tmp_path / "missing")]})
    assert resp.status_code == 422 and resp.json()["field"] == "model_folders"
    assert client.get("/api/settings").json()["model_folders"] == []
    resp = client.request("DELETE", "/api/models/folders", params={"path": str(tmp_path / "empty")})
    assert resp.status_code == 422 and resp.json()["field"] == "path"


def test_split_file_entries_naming_missing_files_are_skipped_naming_the_field(make_client, studio_dirs, weights):
    from tests.kit.studio import write_user_config

    write_user_config(
        studio_dirs["data_dir"],
        {
            "no-vae": {"name": "A", "path": str(weights["flux-gguf"]), "vae": "/nowhere/ae.safetensors",
                       "text_encoders": [str(weights["clip"]), str(weights["t5"])]},
            "no-t5": {"name": "B", "path": str(weights["flux-gguf"]), "vae": str(weights["ae"]),
                      "text_encoders": [str(weights["clip"]), "/nowhere/t5xxl.safetensors"]},
        },
    )  # fmt: skip
    client = make_client()
    skipped = {s["id"]: s["reason"] for s in client.get("/api/models/config-problems").json()["skipped"]}
    assert skipped["no-vae"].startswith("vae: /nowhere/ae.safetensors")
    assert skipped["no-t5"].startswith("text_encoders: /nowhere/t5xxl.safetensors")


def test_the_model_list_keeps_a_folders_models_while_the_folder_is_scanned_again(make_client, comfyui):
    """The Models page asks for the folder list (which scans again) and the model list at once: a list read during a
    scan still holds the folder's models, and two scans at once leave each model listed once."""
    import threading

    client = make_client()
    assert client.post("/api/models/folders", json={"path": str(comfyui)}).status_code == 201
    ids = {m["id"] for m in client.get("/api/models").json()["models"] if m["id"].startswith("local-")}
    assert "local-checkpoints-sd15-tiny-sd15" in ids

    stop = threading.Event()
    scans: list[int] = []

    def scan_again() -> None:
        while not stop.is_set():
            scans.append(client.get("/api/models/folders").status_code)

    scanners = [threading.Thread(target=scan_again) for _ in range(2)]
    for t in scanners:
        t.start()
    try:
        for _ in range(30):
            listed = [m["id"] for m in client.get("/api/models").json()["models"] if m["id"].startswith("local-")]
            assert sorted(listed) == sorted(ids), listed
    finally:
        stop.set()
        for t in scanners:
            t.join()
    assert scans and set(scans) == {200}
