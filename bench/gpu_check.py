# ruff: noqa: E402
"""The image path on a CUDA GPU, where one is lent (CI has none): each file kind a user holds loads and
generates on the card through the studio's own job path, and the memory plans a smaller card gets are applied
for real. Tiny random-weight FLUX.2 [klein], FLUX.2 [dev] and Z-Image models (the test kit's), so the figures are
about the code path, not the models' speed:

* bf16 on the card: the klein diffusers folder, then its split files (ComfyUI's layout);
* a plain fp8 file kept fp8 on the card with layerwise upcasting; a scaled (`comfy_quant` mixed) one upcast;
* GGUF diffusion models (Q8_0, Q4_K) and a Q8_0 GGUF Qwen3 text encoder (Z-Image);
* the offloading plans, for real (they decode in tiles too): HOLLYWOOL_DEVICE_MEMORY_GB set, from the tiny
  model's own needs, to a card that holds its largest component but not all (model offload) and to one that holds
  none whole (sequential offload);
* fp8 storage (layerwise casting) of the transformer and text encoder with each placement, through the studio's
  own apply_precision / apply_placement (a tiny model's VAE is its largest part, so no cap makes the plan pick fp8).

Per job it prints the plan the studio chose, the cold (load + sampling) and warm (sampling) job times, peak CUDA
memory, the storage dtypes and devices of the denoiser's weights after the job, and the mean difference from the
reference image (0-255). It exits 1 when a job fails or an image is not near its reference.

    python bench/gpu_check.py [--size 256] [--steps 4]
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
from collections import Counter
from typing import Any

import numpy as np
from PIL import Image

from hollywool.settings import Settings
from hollywool.studio import Studio
from hollywool.testkit.tiny_models import build_family
from tests.kit.studio import FAMILY_TYPES, tiny_entry, write_user_config

failures: list[str] = []


def entries(root: Path) -> dict[str, dict[str, Any]]:
    from hollywool.testkit.gguf_files import write_family_gguf, write_text_encoder_gguf
    from hollywool.testkit.original_layouts import write_zimage_split_files
    from hollywool.testkit.split_layouts import write_flux2_klein_split_files

    models = root / "models"
    klein, dev, zimage = (build_family(f, models) for f in ("flux2_klein", "flux2", "zimage"))
    found = {
        "klein": tiny_entry(klein, FAMILY_TYPES["flux2_klein"]),
        "flux2-dev": tiny_entry(dev, FAMILY_TYPES["flux2"]),
    }

    def files(model: Path, text: Path, vae: Path, config: Path, guidance: float) -> dict[str, Any]:
        return {"name": model.name, "path": str(model), "text_encoders": [str(text)], "vae": str(vae),
                "config": str(config), "default_steps": 4, "default_guidance": guidance}  # fmt: skip

    for fp8 in (False, True, "mixed"):
        model, text, vae = write_flux2_klein_split_files(klein, root / f"comfy-{fp8}", fp8=fp8)
        name = {False: "klein-files", True: "klein-fp8", "mixed": "klein-fp8mixed"}[fp8]
        found[name] = files(model, text, vae, klein, 1.0)
    model, text, vae = write_flux2_klein_split_files(klein, root / "comfy-gguf")
    for q in ("Q8_0", "Q4_K"):
        gguf = write_family_gguf("flux2_klein", klein, root / "comfy-gguf" / f"flux-2-klein-tiny-{q}.gguf", q)
        found[f"klein-{q.lower()}"] = files(gguf, text, vae, klein, 1.0)
    model, text, vae = write_zimage_split_files(zimage, root / "comfy-zimage")
    found["zimage-files"] = files(model, text, vae, zimage, 0.0)
    gguf_text = write_text_encoder_gguf(zimage, root / "comfy-zimage" / "Qwen3-4B-Q8_0.gguf", "qwen3", "Q8_0")
    found["zimage-gguf-encoder"] = files(model, gguf_text, vae, zimage, 0.0)
    return found


def weights_where(studio: Studio, model_id: str) -> str:
    cached = studio.models.cache.peek(model_id)
    if cached is None:
        return "not cached"
    module = getattr(cached.pipe, "transformer", None)
    if module is None:
        return "no transformer"
    kinds = Counter(f"{type(p).__name__ if type(p).__name__ != 'Parameter' else ''}{p.dtype}@{p.device.type}"
                    for p in module.parameters())  # fmt: skip
    return ", ".join(f"{k} x{n}" for k, n in kinds.most_common())


def run_job(studio: Studio, settings: Settings, model: str, size: int, steps: int) -> tuple[Any, float, np.ndarray]:
    import torch

    params = {"prompt": "a red fox in the snow", "model": model, "width": size, "height": size, "steps": steps,
              "seed": 7}  # fmt: skip
    started = time.monotonic()
    job = studio.jobs.wait(studio.jobs.submit("image", params).id, 900)
    took = time.monotonic() - started
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    if job.status != "completed":
        return job, took, np.zeros(0)
    [asset] = studio.assets_repo.get_many(job.result["asset_ids"])
    path = Path(asset.path) if Path(asset.path).is_absolute() else settings.outputs_dir / asset.path
    return job, took, np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)


def check(studio: Studio, settings: Settings, model: str, args: argparse.Namespace,
          reference: np.ndarray | None, bound: float, placement: str = "device") -> np.ndarray | None:  # fmt: skip
    import torch

    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    job, cold, image = run_job(studio, settings, model, args.size, args.steps)
    if job.status != "completed":
        failures.append(f"{model}: {job.status}: {job.error} / {job.error_detail}")
        print(f"  {model:20s} {job.status}: {job.error}\n    {job.error_detail}", flush=True)
        return None
    peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else 0.0
    _, warm, again = run_job(studio, settings, model, args.size, args.steps)
    plan = job.result.get("memory_plan", {})
    diff = float(np.abs(image - reference).mean()) if reference is not None else 0.0
    same = float(np.abs(image - again).mean())
    print(f"  {model:20s} cold {cold:6.2f} s  warm {warm:5.2f} s  peak {peak:8.1f} MiB  vs reference {diff:6.2f}"
          f"  run twice {same:.2f}\n    plan: {plan}\n    denoiser weights: {weights_where(studio, model)}",
          flush=True)  # fmt: skip
    if diff > bound or same > 0.5:
        failures.append(f"{model}: {diff:.2f} from its reference (bound {bound}), {same:.2f} between two runs")
    if torch.cuda.is_available() and plan.get("placement") != placement:
        failures.append(f"{model}: placed {plan.get('placement')}, expected {placement}")
    return image


def cap_for(studio: Studio, model: str, fraction: float) -> float:
    """HOLLYWOOL_DEVICE_MEMORY_GB whose default budget (85 %) is `fraction` of the way from the model's largest
    component (0) to all of it (1), in bfloat16."""
    from hollywool.models.memory import GB
    from hollywool.models.precision import footprints

    [native, *_] = footprints(studio.models.needs(studio.models.catalog.get(model)), "bfloat16")
    room = native.largest_bytes + fraction * (native.total_bytes - native.largest_bytes)
    return room / 0.85 / GB


def fp8_with_placements(folder: Path, args: argparse.Namespace) -> None:
    """The klein folder with its transformer and text encoder stored in fp8, on the card and offloaded both ways,
    against the same pipeline in bf16 on the card."""
    import torch
    from diffusers import Flux2KleinPipeline

    from hollywool.models.memory import apply_placement, apply_precision

    def image(fp8: bool, placement: str) -> tuple[np.ndarray, str, float]:
        pipe: Any = Flux2KleinPipeline.from_pretrained(folder, torch_dtype=torch.bfloat16)
        pipe.set_progress_bar_config(disable=True)
        if fp8:
            apply_precision(pipe, ("transformer", "text_encoder"), torch.bfloat16)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        apply_placement(pipe, placement if device == "cuda" else "device", device)
        generator = torch.Generator("cpu").manual_seed(7)
        started = time.monotonic()
        out = pipe(prompt="a red fox in the snow", width=args.size, height=args.size, num_inference_steps=args.steps,
                   generator=generator, output_type="np").images[0]  # fmt: skip
        took = time.monotonic() - started
        kinds = Counter(f"{p.dtype}@{p.device.type}" for p in pipe.transformer.parameters())
        return np.asarray(out * 255, dtype=np.float32), ", ".join(f"{k} x{n}" for k, n in kinds.items()), took

    reference, _, _ = image(False, "device")
    print("fp8 storage (apply_precision) with each placement (apply_placement), the klein folder:")
    for placement in ("device", "model_offload", "sequential_offload"):
        got, where, took = image(True, placement)
        diff = float(np.abs(got - reference).mean())
        print(f"  fp8 {placement:19s} {took:5.2f} s  vs bf16 on the card {diff:5.2f}  transformer: {where}", flush=True)
        if diff > 12.0 or "float8_e4m3fn" not in where:
            failures.append(f"fp8 {placement}: {diff:.2f} from bf16, transformer {where}")


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=4)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HOLLYWOOL_WARMUP", "0")
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA device: a dry run on the CPU"
    print(f"{device}, torch {torch.__version__}, {args.size}x{args.size}, {args.steps} steps")

    root = Path(tempfile.mkdtemp(prefix="hw-gpu-"))
    found = entries(root)

    def studio_for(name: str, cap: float | None) -> tuple[Studio, Settings]:
        write_user_config(root / name / "data", found)
        settings = Settings.from_env(data_dir=root / name / "data", outputs_dir=root / name / "out",
                                     device_memory_gb=cap)  # fmt: skip
        studio = Studio(settings)
        studio.start()
        return studio, settings

    studio, settings = studio_for("whole", None)
    try:
        print("whole card:")
        klein = check(studio, settings, "klein", args, None, 0)
        # Split files hold the folder's weights: bf16 gives its image; fp8 and GGUF round the matrices.
        for model, bound in (("klein-files", 1.0), ("klein-fp8", 12.0), ("klein-fp8mixed", 12.0),
                             ("klein-q8_0", 4.0), ("klein-q4_k", 12.0)):  # fmt: skip
            check(studio, settings, model, args, klein, bound)
        zimage = check(studio, settings, "zimage-files", args, None, 0)
        check(studio, settings, "zimage-gguf-encoder", args, zimage, 4.0)
        check(studio, settings, "flux2-dev", args, None, 0)
    finally:
        studio.stop()
    studio, settings = studio_for("caps", None)
    caps = {"model_offload": cap_for(studio, "klein", 0.5), "sequential_offload": cap_for(studio, "klein", -0.5)}
    studio.stop()
    # An offloading plan also decodes in tiles, which changes a tiny VAE's image (64 px tiles; measured 22.6 of 255 on
    # the CPU): the two offloads are compared with each other, and the first with the tiled decode's difference.
    offloaded = klein
    for placement, cap in caps.items() if torch.cuda.is_available() else ():  # the CPU offloads nothing
        studio, settings = studio_for(placement, cap)
        try:
            print(f"a card of {cap * 1024**3 / 1e6:.2f} MB (HOLLYWOOL_DEVICE_MEMORY_GB), expecting {placement}:")
            got = check(studio, settings, "klein", args, offloaded, 1.0 if offloaded is not klein else 30.0, placement)
            offloaded = got if got is not None else offloaded
        finally:
            studio.stop()
    fp8_with_placements(Path(found["klein"]["path"]), args)
    print("failures:" if failures else "every job completed near its reference", *failures, sep="\n  ")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
