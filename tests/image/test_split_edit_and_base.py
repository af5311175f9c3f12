"""Qwen-Image-Edit (2509, 2511) and FLUX.2 [klein] Base from the split files ComfyUI users hold, recognised without
`type` or `config:`: 2511 by ComfyUI's `__index_timestep_zero__` marker, 2509 and klein Base (the same keys and shapes
as Qwen-Image and distilled klein) by their file names; each gets its own shipped config and defaults."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.image.conftest import add_user_models, pixels, png_base64, run

RED = png_base64(Image.new("RGB", (100, 60), (200, 30, 30)))
BLUE = png_base64(Image.new("RGB", (48, 80), (20, 40, 220)))


def _edit_folder(tiny_model, root: Path, version: str) -> Path:
    """The tiny Qwen-Image-Edit folder as 2509 (the kit's) or 2511 (`zero_cond_t`, as Qwen's 2511 config has it)."""
    folder = tiny_model("qwen_image_edit")
    if version == "2509":
        return folder
    copy = root / "qwen-image-edit-2511"
    if not copy.exists():
        shutil.copytree(folder, copy)
        config = json.loads((copy / "transformer" / "config.json").read_text())
        (copy / "transformer" / "config.json").write_text(json.dumps({**config, "zero_cond_t": True}))
    return copy


@pytest.mark.parametrize(("version", "name", "marker"), [
    ("2509", "qwen_image_edit_2509_tiny", False),  # 2509: Qwen-Image's keys exactly; the name says "edit"
    ("2511", "qwen_image_2511_comfy_tiny", True),  # 2511: ComfyUI's marker says it, whatever the name
])  # fmt: skip
def test_qwen_image_edit_split_files_edit_as_the_folder(version, name, marker, register_models, make_client,
                                                        tiny_model, tmp_path):  # fmt: skip
    from hollywool.testkit.split_layouts import write_qwen_image_split_files

    folder = _edit_folder(tiny_model, tmp_path, version)
    model, text, vae = write_qwen_image_split_files(folder, tmp_path / "models", name=name, zero_cond_marker=marker)
    config = register_models({"tiny-qwen": "qwen_image", "tiny-edit-2509": "qwen_image_edit"})
    add_user_models(config, {
        # No `type`: the file says it is an edit model. The folder stands in for the shipped config (its JSON, processor
        # and tokenizer; its weights are not read), as the real files use the shipped one.
        "split": {"name": "Split", "path": str(model), "text_encoders": [str(text)], "vae": str(vae),
                  "config": str(folder), "default_steps": 2, "default_guidance": 1.0},
        "folder": {"name": "Folder", "path": str(folder), "type": "qwen-image-edit", "default_steps": 2,
                   "default_guidance": 1.0},
    })  # fmt: skip
    client = make_client()
    listed = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert listed["split"]["type"] == "qwen-image-edit" and listed["split"]["requires_reference_image"] is True
    body = {"seed": 4, "steps": 2, "width": 64, "height": 64,
            "reference_images": [{"image_base64": RED}, {"image_base64": BLUE}]}  # fmt: skip
    split = pixels(client, run(client, model="split", **body))
    assert split == pixels(client, run(client, model="folder", **body))  # the same weights: the very same image
    # The references reach the model: other references, another image (the tiny random model lets them show only
    # faintly, about 0.01 of 255 on average, which is why the images are compared exactly).
    assert split != pixels(client, run(client, model="split", **{**body, "reference_images": [{"image_base64": BLUE}]}))
    # The pipeline is the edit one, its processor showing the references to Qwen2.5-VL's vision tower (from the file).
    pipe = client.app.state.studio.models.cache.peek("split").pipe
    assert type(pipe).__name__ == "QwenImageEditPlusPipeline" and pipe.transformer.config.zero_cond_t is marker
    assert any(k.startswith("model.visual.") for k in pipe.text_encoder.state_dict())
    # In a ComfyUI models folder the file is found as the edit model, with Qwen-Image's text encoder and VAE.
    r = client.post("/api/models/folders", json={"path": str(tmp_path / "models")})
    found = {Path(f["path"]).name: f for f in r.json()["files"]}[model.name]
    assert (found["role"], found["family"], found["problem"]) == ("diffusion_model", "qwen-image-edit", None), found
    assert (found["text_encoders"], found["vae"]) == ([str(text)], str(vae))
    if version == "2511":  # 2511's timestep-zero references change the image: reading it as 2509 would show
        assert split != pixels(client, run(client, model="tiny-edit-2509", **body))


def test_edit_files_pick_the_shipped_config_of_their_version(tmp_path):
    from hollywool.models.families.qwen_image import EDIT, FAMILY
    from hollywool.models.single_file import detect
    from hollywool.models.split_files import read_file, split_config

    def save(name: str, marker: bool) -> Path:
        import torch
        from safetensors.torch import save_file

        tensors = {"model.diffusion_model.transformer_blocks.0.img_mod.1.weight": torch.zeros(2, 2)}
        if marker:
            tensors["model.diffusion_model.__index_timestep_zero__"] = torch.tensor([])
        save_file(tensors, str(tmp_path / name))
        return tmp_path / name

    cases = {
        save("qwen_image_edit_2511_bf16.safetensors", True): (EDIT, "qwen-image-edit-2511"),
        save("qwen_image_edit_2509_fp8_e4m3fn.safetensors", False): (EDIT, "qwen-image-edit-2509"),
        save("Qwen-Image-Edit-2511-Q4_K_M-like.safetensors", False): (EDIT, "qwen-image-edit-2511"),  # no marker
        save("edited-by-me.safetensors", True): (EDIT, "qwen-image-edit-2511"),
        save("qwen_image_fp8_e4m3fn.safetensors", False): (FAMILY, "qwen-image"),
    }
    for path, (family, config) in cases.items():
        found = detect(path)[0]
        assert found is family, path.name
        assert found.split_files is not None and split_config(found.split_files, read_file(path)) == config, path.name


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_the_shipped_edit_and_klein_base_configs_are_the_released_models(tmp_path):
    import diffusers
    import torch

    from hollywool.models.single_file import shipped_config

    def folder(name: str) -> dict:
        root = shipped_config(name, tmp_path)
        return {p.relative_to(root).as_posix(): json.loads(p.read_text()) for p in root.rglob("*.json")}

    qwen = folder("qwen-image")
    for version in ("2509", "2511"):
        edit = folder(f"qwen-image-edit-{version}")
        assert edit["model_index.json"]["_class_name"] == "QwenImageEditPlusPipeline"
        assert edit["transformer/config.json"] == {**qwen["transformer/config.json"], "zero_cond_t": version == "2511"}
        for part in ("text_encoder/config.json", "vae/config.json", "scheduler/scheduler_config.json"):
            assert edit[part] == qwen[part], part  # Qwen-Image-Edit-2509/2511 keep Qwen-Image's
        image = edit["processor/processor_config.json"]["image_processor"]  # Qwen2.5-VL-7B-Instruct's
        assert (image["patch_size"], image["merge_size"], image["size"]["longest_edge"]) == (14, 2, 12845056)
        root = shipped_config(f"qwen-image-edit-{version}", tmp_path)
        with torch.device("meta"):
            cls = diffusers.QwenImageTransformer2DModel
            transformer = cls.from_config(json.loads((root / "transformer" / "config.json").read_text()))
        assert round(_count(transformer) / 1e9, 1) == 20.4
    for size in ("4b", "9b"):
        base, distilled = folder(f"flux2-klein-base-{size}"), folder(f"flux2-klein-{size}")
        # BFL's klein Base and distilled share one architecture (Klein4BParams / Klein9BParams in black-forest-labs/
        # flux2's util.py); only the pipeline's `is_distilled` (CFG on) differs.
        assert base["model_index.json"] == {**distilled["model_index.json"], "is_distilled": False}
        assert {k: v for k, v in base.items() if k != "model_index.json"} == {
            k: v for k, v in distilled.items() if k != "model_index.json"
        }


@pytest.fixture
def klein_files(tiny_model, tmp_path) -> dict[str, Path]:
    """A ComfyUI models folder with a distilled and a Base FLUX.2 [klein] file (the same weights, as the real ones
    have the same keys and shapes), Qwen3 and flux2-vae."""
    from hollywool.testkit.split_layouts import write_flux2_klein_split_files

    model, text, vae = write_flux2_klein_split_files(tiny_model("flux2_klein"), tmp_path / "models")
    base = model.with_name("flux-2-klein-base-4b-tiny.safetensors")
    shutil.copyfile(model, base)
    return {"distilled": model, "base": base, "text": text, "vae": vae, "root": tmp_path / "models"}


def test_klein_base_files_get_the_base_config_and_defaults_without_config(klein_files, register_models,
                                                                          make_client):  # fmt: skip
    from hollywool.models.families.flux2 import FLUX2_KLEIN
    from hollywool.models.single_file import detect
    from hollywool.models.split_files import file_sampling, read_file, split_config

    split = FLUX2_KLEIN.split_files
    assert split is not None
    for kind, config, defaults in (("distilled", "flux2-klein-4b", None), ("base", "flux2-klein-base-4b", (50, 4.0))):
        path = klein_files[kind]
        assert detect(path)[0] is FLUX2_KLEIN
        sampling = file_sampling(path)
        assert split_config(split, read_file(path)) == config
        assert ((sampling.steps, sampling.guidance) if sampling else None) == defaults
    # The 9B's width picks the 9B config, and the name its Base.
    assert split.named_config is not None and split.named_config("flux-2-klein-base-9b-fp8.safetensors",
                                                                 "flux2-klein-9b") == "flux2-klein-base-9b"  # fmt: skip

    # Entries made from the files carry the Base defaults: a models folder's, and "add a model".
    register_models({})
    client = make_client()
    r = client.post("/api/models/folders", json={"path": str(klein_files["root"])})
    assert r.status_code == 201, r.text
    ids = {Path(f["path"]).name: f["model_id"] for f in r.json()["files"]}
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    base, distilled = models[ids[klein_files["base"].name]], models[ids[klein_files["distilled"].name]]
    assert (base["default_steps"], base["default_guidance"]) == (50, 4.0)
    assert (distilled["default_steps"], distilled["default_guidance"]) == (4, 1.0)
    added = {"path": str(klein_files["base"]), "id": "added-base", "text_encoders": [str(klein_files["text"])],
             "vae": str(klein_files["vae"])}  # fmt: skip
    r = client.post("/api/models", json=added)
    assert r.status_code == 201, r.text
    added = {m["id"]: m for m in client.get("/api/models").json()["models"]}["added-base"]
    assert (added["type"], added["default_steps"], added["default_guidance"]) == ("flux2-klein", 50, 4.0)


def test_a_klein_base_file_runs_with_guidance(klein_files, register_models, make_client, tiny_model, tmp_path):
    """Through the API with a Base config folder (the tiny one with `is_distilled: false`, as the shipped Base config
    has it): guidance runs CFG against the empty negative prompt, which the distilled config ignores."""
    folder = tmp_path / "klein-base-config"
    shutil.copytree(tiny_model("flux2_klein"), folder)
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "is_distilled": False}))
    config = register_models({})
    entry = {
        "path": str(klein_files["base"]),
        "text_encoders": [str(klein_files["text"])],
        "vae": str(klein_files["vae"]),
    }
    distilled_config = str(tiny_model("flux2_klein"))
    add_user_models(config, {"base": {**entry, "name": "Base", "config": str(folder)},
                             "distilled": {**entry, "name": "Distilled", "config": distilled_config}})  # fmt: skip
    client = make_client()
    body = {"seed": 3, "steps": 2, "width": 64, "height": 64}
    base = [pixels(client, run(client, model="base", guidance_scale=g, **body)) for g in (1.0, 4.0)]
    distilled = [pixels(client, run(client, model="distilled", guidance_scale=g, **body)) for g in (1.0, 4.0)]
    assert base[0] == distilled[0] == distilled[1] and base[1] != base[0]


def test_the_shipped_edit_config_asks_for_the_tokenizer_files_of_its_processor_too(tiny_model, tmp_path):
    from hollywool.errors import InvalidInputError
    from hollywool.models.single_file import shipped_config
    from hollywool.models.split_files import check_tokenizers

    root = shipped_config("qwen-image-edit-2511", tmp_path)
    tiny = tiny_model("qwen_image_edit")
    for part in ("processor", "tokenizer"):  # each folder's vocabulary missing in turn
        with pytest.raises(InvalidInputError, match=f"{part} has no tokenizer files"):
            check_tokenizers(root)
        shutil.copyfile(tiny / part / "tokenizer.json", root / part / "tokenizer.json")
    check_tokenizers(root)
