"""Cold-model latency and peak memory: submit of a first image to its first sampling step.

Builds (once, into $HOLLYWOOL_BENCH_DIR or /tmp/hollywool-bench) a random-weight Stable Diffusion 1.5
single file from the shipped configs (hollywool/catalog/configs/sd15), in fp16 and the original
(LDM / A1111) key layout, registers it as a local model and, in a fresh process each time, starts the
studio and submits one image:

* fresh: the image is submitted the moment the server answers (the warm-up of heavy imports is
  still running; the job waits for it);
* warm: the image is submitted after the background warm-up has finished (the model is still cold).

Per run it prints the start-up time, submit -> sampling starts (stage "generating": model loaded),
submit -> first step done, and the process's peak RSS (high-water mark). The job is cancelled after
its first step. Nothing is asserted. `--scale 0.5` builds a narrower model (faster on small machines;
its figures are not the full-size ones).

    .venv/bin/python bench/load.py [--size 512] [--steps 20] [--scale 1.0] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# bench/ holds a queue.py that would shadow the standard library's `queue`: run from the repo root instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

MODEL_ID = "bench-sd15"


def _scaled_configs(scale: float) -> dict[str, dict]:
    root = resources.files("hollywool.catalog").joinpath("configs/sd15")
    configs = {c: json.loads(root.joinpath(f"{c}/config.json").read_text()) for c in ("unet", "vae", "text_encoder")}
    if scale != 1.0:

        def width(n: int) -> int:
            return max(64, int(n * scale) // 64 * 64)  # group norm (32 groups) and 8 heads must divide it

        unet, te = configs["unet"], configs["text_encoder"]
        unet["block_out_channels"] = [width(n) for n in unet["block_out_channels"]]
        te["hidden_size"] = unet["cross_attention_dim"] = width(te["hidden_size"])
        te["intermediate_size"] = 4 * te["hidden_size"]
        configs["vae"]["block_out_channels"] = [width(n) for n in configs["vae"]["block_out_channels"]]
    return configs


def build_checkpoint(cache: Path, scale: float) -> tuple[Path, Path | None]:
    """(single-file checkpoint, config folder or None for the shipped one), built once."""
    tag = "" if scale == 1.0 else f"-x{scale:g}"
    out = cache / f"sd15-random{tag}.safetensors"
    config_dir = cache / f"sd15-config{tag}" if scale != 1.0 else None
    if out.exists():
        return out, config_dir
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from hollywool.models.single_file import shipped_config
    from hollywool.testkit.single_file import write_sd15_single_file

    started = time.monotonic()
    configs = _scaled_configs(scale)
    folder = cache / f".build{tag}"
    shutil.rmtree(folder, ignore_errors=True)
    torch.manual_seed(0)
    for name, make in (
        ("unet", lambda c: UNet2DConditionModel.from_config(c)),
        ("vae", lambda c: AutoencoderKL.from_config(c)),
        ("text_encoder", lambda c: CLIPTextModel(CLIPTextConfig(**c))),
    ):
        model = make(configs[name]).to(torch.float16)
        model.save_pretrained(folder / name)
        del model
    write_sd15_single_file(folder, out.with_suffix(".partial"))
    out.with_suffix(".partial").rename(out)
    shutil.rmtree(folder, ignore_errors=True)
    if config_dir is not None:  # the shipped folder with the narrower widths
        shutil.rmtree(config_dir, ignore_errors=True)
        shutil.copytree(shipped_config("sd15", cache / "configs"), config_dir)
        for name, config in configs.items():
            path = config_dir / name / "config.json"
            path.write_text(json.dumps({**json.loads(path.read_text()), **config}, indent=2))
    print(f"built {out} ({out.stat().st_size / 1e9:.2f} GB) in {time.monotonic() - started:.0f} s", flush=True)
    return out, config_dir


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(args: argparse.Namespace) -> None:
    """One fresh studio process: start, (wait for warm-up), submit, time the first step, print JSON."""
    began = time.monotonic()
    os.environ["HOLLYWOOL_WARMUP"] = "1"
    from fastapi.testclient import TestClient

    from hollywool.app import create_app
    from hollywool.settings import Settings

    root = Path(args.root)
    settings = Settings.from_env(data_dir=root / "data", outputs_dir=root / "outputs", allowed_hosts=("testserver",))
    result: dict = {"mode": args.mode}
    with TestClient(create_app(settings)) as client:
        result["ready_s"] = time.monotonic() - began
        assert client.get("/api/health").status_code == 200
        if args.mode == "warm":
            warmup = client.app.state.warmup
            warmup.done.wait(600)
            result["warmup_s"] = warmup.seconds
        result["rss_before_submit_mb"] = _rss_mb()
        body = {"prompt": "a lighthouse at dusk", "model": MODEL_ID, "width": args.size, "height": args.size}
        submitted = time.monotonic()
        job_id = client.post("/api/jobs", json={**body, "steps": args.steps, "seed": 1}).json()["job_id"]
        while True:
            job = client.get(f"/api/jobs/{job_id}").json()
            now = time.monotonic() - submitted
            if job["stage"] == "generating" and "sampling_starts_s" not in result:
                result["sampling_starts_s"] = now
            if job["status"] in ("failed", "cancelled", "completed"):
                result["error"] = job.get("error")
                break
            if job["stage"] == "generating" and job["step"] >= 1:
                result["first_step_s"] = now
                client.post(f"/api/jobs/{job_id}/cancel")
                break
            time.sleep(0.01)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0, help="model width factor (1.0: full-size SD 1.5)")
    parser.add_argument("--runs", type=int, default=1, help="fresh processes per mode")
    parser.add_argument("--mode", choices=("fresh", "warm"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        return child(args)

    cache = Path(os.environ.get("HOLLYWOOL_BENCH_DIR", "/tmp/hollywool-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    checkpoint, config_dir = build_checkpoint(cache, args.scale)
    import yaml

    rows = []
    for mode in ("fresh", "warm") * args.runs:
        root = cache / f"run-{mode}"
        shutil.rmtree(root, ignore_errors=True)
        (root / "data").mkdir(parents=True)
        entry = {
            "name": "Random SD 1.5 (single file)",
            "path": str(checkpoint),
            "type": "sd",
            "default_steps": args.steps,
            "default_guidance": 7.5,
            "category": "fast",
            "size_gb": round(checkpoint.stat().st_size / 1e9, 2),
            "memory_gb": 4,
            **({"config": str(config_dir)} if config_dir else {}),
        }
        (root / "data" / "config.yaml").write_text(yaml.safe_dump({"models": {MODEL_ID: entry}}))
        command = [sys.executable, __file__, "--mode", mode, "--root", str(root)]
        command += ["--size", str(args.size), "--steps", str(args.steps)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=_HERE.parent)
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(f"{mode}: the run failed:\n{done.stderr[-3000:]}")
            continue
        rows.append(json.loads(line[len("RESULT ") :]))

    size = f"{checkpoint.stat().st_size / 1e9:.2f} GB"
    print(f"\n{checkpoint.name}: {size}, {args.size}x{args.size}, {args.steps} steps, scale {args.scale:g}")
    print(
        f"{'mode':<6}{'ready':>8}{'warm-up':>9}{'-> sampling':>13}{'-> 1st step':>13}{'RSS@submit':>12}{'peak RSS':>10}"
    )
    for r in rows:

        def s(key: str, r: dict = r) -> str:
            return f"{r[key]:.2f}s" if key in r else "-"

        print(
            f"{r['mode']:<6}{s('ready_s'):>8}{s('warmup_s'):>9}{s('sampling_starts_s'):>13}{s('first_step_s'):>13}"
            f"{r['rss_before_submit_mb']:>10.0f}MB{r['peak_rss_mb']:>8.0f}MB"
            + (f"  error: {r['error']}" if r.get("error") else "")
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (2 cores: above ~0.5, other work skews the times)")
    print(
        "The reference: bench/comfyui_load.py runs a real ComfyUI on the same file and settings "
        "(its cold prompt compares with the warm mode; its ready + cold with fresh ready + 1st step)."
    )


if __name__ == "__main__":
    main()
