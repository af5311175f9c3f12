"""Studio overhead: end-to-end image job time (submit to PNG saved) over a direct diffusers call.

Builds a random-weight model with Stable Diffusion 1.5's layout (four UNet levels, cross-attention in
the first three, a four-level VAE, a CLIP text encoder) at reduced width, registers it as a local model,
and times the same 256x256 generation both ways on the CPU after a warm-up. Prints the ratio of the
medians (target: 1.10 or less). Nothing is asserted.

    .venv/bin/python bench/overhead.py [--steps 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# bench/ holds a queue.py that would shadow the standard library's `queue`: run from the repo root instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))


def build_sd_shaped(folder: Path) -> Path:
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from hollywool.testkit.tokenizers import load_clip_tokenizer, write_clip_tokenizer

    write_clip_tokenizer(folder / "tokenizer-src")
    tokenizer = load_clip_tokenizer(folder / "tokenizer-src")
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(64, 128, 256, 256),
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        layers_per_block=2,
        cross_attention_dim=256,
        attention_head_dim=8,
        sample_size=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64, 128, 128),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=2,
        sample_size=256,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=256,
            intermediate_size=1024,
            num_hidden_layers=4,
            num_attention_heads=4,
            max_position_embeddings=77,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", skip_prk_steps=True)
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder / "model")
    return folder / "model"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    import torch
    import yaml
    from diffusers import StableDiffusionPipeline

    from hollywool.settings import Settings
    from hollywool.studio import Studio

    root = Path(tempfile.mkdtemp(prefix="hollywool-bench-"))
    model = build_sd_shaped(root)
    data = root / "data"
    data.mkdir()
    entry = {"name": "Bench SD", "path": str(model), "type": "sd", "default_steps": args.steps}
    (data / "config.yaml").write_text(yaml.safe_dump({"models": {"bench-sd": entry}}))
    studio = Studio(Settings.from_env(data_dir=data, outputs_dir=root / "outputs"))
    studio.start()
    direct = StableDiffusionPipeline.from_pretrained(model)
    direct.set_progress_bar_config(disable=True)
    params = {
        "prompt": "a lighthouse at dusk",
        "model": "bench-sd",
        "width": args.size,
        "height": args.size,
        "steps": args.steps,
        "guidance_scale": 7.0,
    }

    def through_studio(seed: int) -> float:
        started = time.perf_counter()
        job = studio.jobs.submit("image", {**params, "seed": seed})
        done = studio.jobs.wait(job.id, 600)
        elapsed = time.perf_counter() - started
        assert done.status == "completed", done.error
        return elapsed

    def direct_call(seed: int) -> float:
        started = time.perf_counter()
        direct(
            prompt=params["prompt"],
            width=args.size,
            height=args.size,
            num_inference_steps=args.steps,
            guidance_scale=7.0,
            generator=torch.Generator("cpu").manual_seed(seed),
        )
        return time.perf_counter() - started

    try:
        through_studio(0)  # loads the model into the studio's cache
        direct_call(0)
        studio_times, direct_times = [], []
        for run in range(1, args.runs + 1):
            direct_times.append(direct_call(run))
            studio_times.append(through_studio(run))
    finally:
        studio.stop()
    s, d = statistics.median(studio_times), statistics.median(direct_times)
    print(f"model: SD 1.5 layout, random weights, {args.size}x{args.size}, {args.steps} steps, CPU, {args.runs} runs")
    print(f"direct diffusers call: median {d:.3f} s  ({', '.join(f'{t:.3f}' for t in direct_times)})")
    print(f"studio job (submit to PNG saved): median {s:.3f} s  ({', '.join(f'{t:.3f}' for t in studio_times)})")
    print(f"overhead ratio: {s / d:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
