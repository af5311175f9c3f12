"""What A1111 answers besides the images: the `info` JSON of a generation and the `png-info` reading.

`info` is built from the jobs as they ran (the seeds, steps, guidance and size the studio resolved), so a
client that re-sends it gets the same images. `png-info` reads every dialect the studio's metadata reader
knows (HollyWool, A1111, ComfyUI, InvokeAI) and answers in A1111's words.
"""

from __future__ import annotations

import time
from typing import Any

from hollywool import __version__
from hollywool.engines.image import metadata
from hollywool.jobs.models import Job
from hollywool.models import schedulers


def sampler_label(scheduler: str | None) -> str:
    choice = schedulers.SCHEDULERS.get(scheduler or "")
    return choice.a1111 if choice and choice.a1111 else "Automatic"


def generation_info(
    jobs: list[Job], infotexts: list[str], denoising: float | None, job_ids: list[str], model_hash: str | None = None
) -> str:
    """A1111's `info` string (JSON) for the images of `jobs`, in order; `job_ids`: every job of the request;
    `model_hash`: the checkpoint's short hash once known."""
    import json

    first = jobs[0].params
    seeds = [s for job in jobs for s in job.params.get("seeds") or [job.params.get("seed")]]
    prompts = [
        p for job in jobs for p in (job.params.get("resolved_prompts") or [job.params["prompt"]] * len(job.asset_ids))
    ]
    negative = first.get("negative_prompt") or ""
    info: dict[str, Any] = {
        "prompt": first["prompt"],
        "all_prompts": prompts,
        "negative_prompt": negative,
        "all_negative_prompts": [negative] * len(prompts),
        "seed": seeds[0],
        "all_seeds": seeds,
        "subseed": seeds[0],
        "all_subseeds": seeds,
        "subseed_strength": 0,
        "width": first.get("width"),
        "height": first.get("height"),
        "sampler_name": sampler_label(first.get("scheduler")),
        "scheduler": "Karras" if first.get("scheduler") == "dpmpp_2m_karras" else "Automatic",
        "cfg_scale": first.get("guidance_scale"),
        "steps": first.get("steps"),
        "batch_size": first.get("num_images", 1),
        "restore_faces": False,
        "face_restoration_model": None,
        "sd_model_name": first["model"],
        "sd_model_hash": model_hash,
        "sd_vae_name": None,
        "sd_vae_hash": None,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": denoising,
        "extra_generation_params": {"LoRAs": first["loras"]} if first.get("loras") else {},
        "index_of_first_image": 0,
        "infotexts": infotexts,
        "styles": [],
        "job_timestamp": time.strftime("%Y%m%d%H%M%S", time.localtime(jobs[0].created_at)),
        "clip_skip": 1,
        "is_using_inpainting_conditioning": first.get("mode") == "inpaint",
        "version": f"HollyWool {__version__}",
        "job_ids": job_ids,
    }
    return json.dumps(info)


def png_info(chunks: dict[str, str]) -> dict[str, Any]:
    """A1111's png-info answer: `info` (the parameters text), `items` (the other chunks), `parameters` (parsed)."""
    read = metadata.read_params(chunks)
    if "parameters" in chunks:
        text = chunks["parameters"]
    elif read.get("source") and read.get("prompt"):
        text = metadata.a1111_parameters(read)  # another dialect, said in A1111's words
    else:
        text = ""
    items = {k: v for k, v in chunks.items() if k != "parameters"}
    parsed: dict[str, Any] = {}
    if read.get("source"):
        names = {
            "prompt": "Prompt",
            "negative_prompt": "Negative prompt",
            "steps": "Steps",
            "guidance_scale": "CFG scale",
            "seed": "Seed",
            "model": "Model",
            "strength": "Denoising strength",
            "width": "Size-1",
            "height": "Size-2",
        }
        parsed = {label: read[key] for key, label in names.items() if read.get(key) is not None}
        parsed.setdefault("Negative prompt", "")
        if read.get("scheduler"):
            parsed["Sampler"] = sampler_label(read["scheduler"])
        if read.get("loras"):
            parsed["LoRAs"] = read["loras"]
        parsed["Source"] = read["source"]
    return {"info": text, "items": items, "parameters": parsed}
