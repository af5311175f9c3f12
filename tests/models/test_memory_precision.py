"""The memory plan picks a precision and a placement that fit the device, says why, and refuses what cannot fit.

The plans are made from the sizes each family publishes (one line per component in its module), for
the machines people run: a 128 GB unified-memory DGX Spark, a 24 GB GPU, an 8 GB GPU, a CPU. Through
the API, a model too large for the machine (HOLLYWOOL_DEVICE_MEMORY_GB acts out a smaller one) is
refused with a 409 and a sentence before it is queued, and a model that fits reports its plan.
"""

from __future__ import annotations

from typing import Any

import pytest

from hollywool.models import families
from hollywool.models.memory import GB, MemoryPlan, Room, choose_plan
from hollywool.models.precision import ComponentNeed, Weights, declared_needs, footprints, lighter_published
from tests.image.conftest import run
from tests.video.conftest import run_job, tiny_body

DECLARED = ("sd", "sdxl", "flux", "sd3", "wan", "wan-i2v", "ltx2", "video", "video-i2v", "mochi", "svd")


def gpu(gb: float, ram_gb: float = 64) -> Room:
    return Room("cuda", int(gb * 0.85 * GB), int(ram_gb * 0.9 * GB), int(gb * GB), int(ram_gb * GB))


def unified(gb: float) -> Room:
    return Room("unified", int(gb * 0.85 * GB), 0, int(gb * GB))


def cpu(gb: float) -> Room:
    return Room("cpu", int(gb * 0.5 * GB), 0, int(gb * GB))


def plan(family: str, room: Room, pixels: int = 1024 * 1024) -> MemoryPlan:
    found = families.family(family)
    assert found is not None
    parts = declared_needs(found.weights)
    run_dtype = "float32" if room.kind == "cpu" else "bfloat16"
    castable = [c.name for c in parts if c.castable]
    return choose_plan(footprints(parts, run_dtype), room, pixels, fp8=castable)


def test_every_seed_family_declares_its_components_sizes():
    for family_type in DECLARED:
        family = families.family(family_type)
        assert family is not None and family.weights, family_type
        assert all(w.bf16 > 0 for w in family.weights.values())
    flux = families.family("flux")
    assert flux is not None and flux.weights["transformer"].published() == {
        "bf16": 23.8, "fp8": 11.9, "q8_0": 12.7, "q4_k": 6.81
    }  # fmt: skip


def test_declared_components_are_the_pipelines_own():
    """A declaration names components as the family's pipeline does (what fp8 storage is applied to)."""
    import inspect

    import diffusers

    for family in families.REGISTRY.all():
        if family.weights:
            accepted = inspect.signature(getattr(diffusers, family.pipeline).__init__).parameters
            assert set(family.weights) <= set(accepted), (family.type, set(family.weights) - set(accepted))
        for name in getattr(family, "variants", {}):  # a variant's own (HunyuanVideo 1.5 i2v)
            form = family.for_model("", {"variant": name})
            pipeline = getattr(form, "i2v_pipeline", None) if not getattr(form, "text_to_video", True) else None
            accepted = inspect.signature(getattr(diffusers, pipeline or form.pipeline).__init__).parameters
            assert set(form.weights) <= set(accepted), (family.type, name, set(form.weights) - set(accepted))


@pytest.mark.parametrize("family_type", DECLARED)
def test_on_a_128_gb_dgx_spark_everything_runs_in_bf16_on_the_device(family_type):
    chosen = plan(family_type, unified(128))
    assert (chosen.placement, chosen.precision, chosen.fp8_components) == ("device", "bfloat16", ())
    assert chosen.fits and chosen.reason == "fits on the device in bfloat16"


def test_on_a_24_gb_gpu_fp8_and_offload_are_chosen_and_said_so():
    assert (plan("sdxl", gpu(24)).placement, plan("sdxl", gpu(24)).precision) == ("device", "bfloat16")

    flux = plan("flux", gpu(24))  # 31 GB in bf16; its transformer alone is 22 GB
    assert (flux.placement, flux.precision) == ("device", "fp8")
    assert flux.fp8_components == ("transformer", "text_encoder", "text_encoder_2")  # never the VAE
    assert flux.reason.startswith("fits on the device, in fp8 for transformer, text_encoder, text_encoder_2")
    assert "in bfloat16 it needs 31.4 GB" in flux.reason
    assert flux.required_bytes < 17 * GB and flux.best_bytes > 31 * GB

    for family_type in ("wan", "ltx2"):  # fp8 alone is still too big: components take turns
        chosen = plan(family_type, gpu(24))
        assert (chosen.placement, chosen.precision) == ("model_offload", "fp8"), family_type
        assert "components take turns" in chosen.reason and "fp8" in chosen.reason
        assert chosen.device_bytes < 20.4 * GB < chosen.required_bytes

    # A model whose largest part fits keeps its precision and offloads first (no quality lost).
    mochi = plan("mochi", gpu(24))
    assert (mochi.placement, mochi.precision, mochi.fp8_components) == ("model_offload", "bfloat16", ())
    assert (plan("video", gpu(24)).placement, plan("sd3", gpu(24)).placement) == ("device", "device")


def test_on_an_8_gb_gpu_layers_stream_in_or_the_model_is_refused():
    assert (plan("sd", gpu(8)).placement, plan("sd", gpu(8)).precision) == ("device", "bfloat16")
    sdxl = plan("sdxl", gpu(8))
    assert (sdxl.placement, sdxl.precision) == ("device", "bfloat16")

    flux = plan("flux", gpu(8, ram_gb=32))  # no component fits whole even in fp8: layers stream in from RAM
    assert (flux.placement, flux.precision) == ("sequential_offload", "fp8") and "slow" in flux.reason
    assert flux.device_bytes == 0 and flux.vae_tiling

    wan = plan("wan", gpu(8, ram_gb=16))
    assert not wan.fits and wan.placement == "none"
    assert wan.reason == (
        "needs 32.2 GB even in fp8 with offload; this machine has 8 GB of GPU memory and 16 GB of RAM; "
        "choose a smaller model"
    )


def test_on_the_cpu_the_model_runs_in_float32_or_is_refused():
    sd = plan("sd", cpu(23))
    assert (sd.placement, sd.precision, sd.reason) == ("device", "float32", "runs on the CPU in float32")
    sd_family = families.family("sd")
    assert sd_family is not None
    assert sd.required_bytes == sum(w.params * 4 for w in sd_family.weights.values())

    flux = plan("flux", cpu(23))  # no fp8 on the CPU: it computes in float32 anyway
    assert not flux.fits and flux.reason == "needs 62.8 GB; this machine has 23 GB; choose a smaller model"


def test_the_budget_never_forces_a_model_out_when_the_machine_can_hold_it():
    # Other models hold most of the budget now: the cache evicts them rather than refuse this one.
    crowded = Room("unified", 1 * GB, 0, 128 * GB)
    chosen = plan("flux", crowded)
    assert (chosen.placement, chosen.precision) == ("device", "bfloat16")


def test_measured_and_declared_components():
    gguf = ComponentNeed("transformer", 12_000_000_000, "gguf", file_bytes=7 * 10**9)
    assert gguf.bytes_at("native", "bfloat16") == gguf.bytes_at("fp8", "bfloat16") == 7 * 10**9
    assert not gguf.castable and not ComponentNeed("vae", 10).castable
    native, fp8 = footprints([gguf, ComponentNeed("text_encoder", 10**9)], "bfloat16")
    assert native.label == "bfloat16, GGUF (transformer)" and fp8.total_bytes == 8 * 10**9
    # The GGUF files a family publishes: every component at that precision where published, else its smallest.
    flux = families.family("flux")
    assert flux is not None
    sizes = lighter_published(flux.weights)
    assert abs(sizes["q4_k"] - (6.81 + 0.246 + 2.9 + 0.168) * 1e9) < 1e3
    assert abs(sizes["q8_0"] - (12.7 + 0.246 + 5.06 + 0.168) * 1e9) < 1e3
    assert lighter_published({"transformer": Weights(bf16=2.0)}) == {}


def test_a_model_too_large_for_the_machine_is_refused_with_a_sentence_before_it_is_queued(register_models, make_client):
    register_models({"tiny-sd": "sd15"})
    client = make_client(device_memory_gb=16)  # act out a 16 GB machine

    r = client.post("/api/jobs", json={"prompt": "a fox", "model": "flux-dev", "width": 1024, "height": 1024})
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == (
        "FLUX.1 [dev] needs 62.8 GB; this machine has 16 GB; choose a GGUF Q4_K file of it (about 9 GB) "
        "or a smaller model"
    )
    assert r.json()["errors"]["needed_gb"] == 62.83
    assert client.get("/api/jobs", params={"include_children": True}).json()["total"] == 0  # nothing queued

    answer = client.get("/api/system/can-generate/flux-dev").json()
    assert answer["can_generate"] is False and answer["reason"] == r.json()["detail"]
    assert answer["plan"]["fits"] is False and answer["plan"]["placement"] == "none"

    video = client.post("/api/video/jobs", json={**tiny_body("wan", "wan22-t2v"), "width": 832, "height": 480})
    assert video.status_code == 409, video.text
    assert video.json()["detail"].startswith("Wan 2.2 T2V A14B needs 128.3 GB; this machine has 16 GB")


def test_a_model_that_fits_generates_and_reports_its_plan(register_models, make_client):
    register_models({"tiny-sd": "sd15", "tiny-cog": "cogvideox"})
    client = make_client(device_memory_gb=16)

    before = client.get("/api/system/can-generate/tiny-sd").json()
    assert before["can_generate"] and before["plan"]["precision"] == "float32"
    assert before["plan"]["reason"] == "runs on the CPU in float32"

    job = run(client, model="tiny-sd")
    assert job["result"]["memory_plan"] == {
        "precision": "float32",
        "placement": "device",
        "fp8_components": [],
        "reason": "runs on the CPU in float32",
    }
    loaded = client.app.state.studio.models.cache.peek("tiny-sd")
    measured = loaded.plan.required_bytes
    held = sum(c.size_bytes for c in loaded.components)
    assert abs(measured - held) <= 0.01 * held  # the plan's bytes come from the files' headers, before loading

    video = run_job(client, "video", tiny_body("cogvideox", "tiny-cog"))  # one plan for video models too
    assert video["result"]["memory_plan"]["placement"] == "device"
    assert video["result"]["memory_plan"]["reason"] == "runs on the CPU in float32"


def test_fp8_storage_keeps_weights_in_fp8_and_still_generates(tiny_model):
    import numpy as np
    import torch
    from diffusers import DiffusionPipeline

    from hollywool.models.memory import apply_precision, module_size

    pipe: Any = DiffusionPipeline.from_pretrained(tiny_model("flux"), dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    call = {"prompt": "a fox", "width": 64, "height": 64, "num_inference_steps": 2, "output_type": "np"}
    full = pipe(**call, generator=torch.Generator("cpu").manual_seed(1)).images
    before = module_size(pipe.transformer)

    apply_precision(pipe, ["transformer", "text_encoder_2"], torch.float32)
    linear = pipe.transformer.transformer_blocks[0].attn.to_q
    t5_block = pipe.text_encoder_2.encoder.block[0]
    assert linear.weight.dtype == t5_block.layer[0].SelfAttention.q.weight.dtype == torch.float8_e4m3fn
    assert t5_block.layer[1].DenseReluDense.wo.weight.dtype == torch.float32  # T5 keeps it in float32
    assert pipe.text_encoder_2.shared.weight.dtype == torch.float32  # the dtype pipelines read stays the run's
    assert module_size(pipe.transformer) < 0.5 * before
    assert pipe.vae.dtype == torch.float32  # never the VAE

    light = pipe(**call, generator=torch.Generator("cpu").manual_seed(1)).images
    assert light.shape == full.shape and bool(np.isfinite(light).all())
    difference = float(np.abs(light - full).mean())
    print("fp8 vs float32 mean abs difference", difference)
    assert 0 < difference < 0.05  # the same picture, from weights rounded to fp8
    assert linear.weight.dtype == torch.float8_e4m3fn  # cast back after each forward


def test_fp8_storage_of_a_text_encoder_with_a_tied_head_keeps_its_embedding(tiny_model):
    """Qwen3-4B (FLUX.2 [klein] 4B's and Z-Image's text encoder) ties its LM head to the token embedding: fp8 storage
    leaves that shared weight in the run dtype (found on a GPU: the prompt failed in the first RMSNorm)."""
    import numpy as np
    import torch
    from diffusers import DiffusionPipeline

    from hollywool.models.memory import apply_precision

    pipe: Any = DiffusionPipeline.from_pretrained(tiny_model("flux2_klein"), dtype=torch.bfloat16)
    pipe.set_progress_bar_config(disable=True)
    encoder = pipe.text_encoder
    assert encoder.lm_head.weight is encoder.model.embed_tokens.weight  # tied, as in Qwen3-4B
    call = {"prompt": "a fox", "width": 64, "height": 64, "num_inference_steps": 2, "output_type": "np"}
    full = pipe(**call, generator=torch.Generator("cpu").manual_seed(1)).images

    apply_precision(pipe, ["transformer", "text_encoder"], torch.bfloat16)
    assert encoder.model.layers[0].mlp.up_proj.weight.dtype == torch.float8_e4m3fn
    assert encoder.model.embed_tokens.weight.dtype == torch.bfloat16
    light = pipe(**call, generator=torch.Generator("cpu").manual_seed(1)).images
    assert bool(np.isfinite(light).all()) and 0 < float(np.abs(light - full).mean()) < 0.05


def test_a_single_file_is_measured_by_part_from_its_header(tiny_model, tmp_path):
    from safetensors.torch import load_file, save_file

    from hollywool.models.manager import measure_model
    from hollywool.models.precision import measure_single_file
    from hollywool.testkit.single_file import write_sd15_single_file

    folder = tiny_model("sd15")
    path = write_sd15_single_file(folder, tmp_path / "tiny.safetensors")
    parts = {c.name: c for c in measure_single_file(path)}
    assert set(parts) == {"model", "text_encoder", "vae"}  # the UNet, CLIP and the VAE of an A1111 checkpoint
    assert parts["model"].castable and parts["text_encoder"].castable and not parts["vae"].castable
    in_folder = {c.name: c.params for c in measure_model(folder, None)}
    assert parts["model"].params == in_folder["unet"] and parts["vae"].params == in_folder["vae"]

    import torch

    fp8 = tmp_path / "tiny-fp8.safetensors"  # an fp8 file: its weights are counted as fp8
    save_file({k: v.to(torch.float8_e4m3fn) if v.dim() >= 2 else v for k, v in load_file(path).items()}, fp8)
    assert {c.name: c.stored for c in measure_single_file(fp8)}["model"] == "fp8"
