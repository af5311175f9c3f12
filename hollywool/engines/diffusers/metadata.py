"""Generation parameters in PNG text chunks: written A1111-style, read from A1111, ComfyUI and InvokeAI.

Written: `parameters` (the A1111 text that Civitai and most tools read) and `hollywool` (JSON with every
parameter needed to re-run exactly). Read: any of those, returned as the studio's form fields.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hollywool import __version__
from hollywool.engines.diffusers import schedulers
from hollywool.media.png_meta import HOLLYWOOL_CHUNK

FORM_FIELDS = (
    "prompt",
    "negative_prompt",
    "steps",
    "guidance_scale",
    "seed",
    "width",
    "height",
    "scheduler",
    "model",
    "strength",
    "loras",
)


def a1111_parameters(p: dict[str, Any]) -> str:
    """The A1111 `parameters` text for a recorded HollyWool image."""
    # A1111 names LoRAs in the prompt as <lora:name:weight>, which Civitai and other readers parse.
    tags = "".join(f" <lora:{lr['lora_id']}:{lr['weight']:g}>" for lr in p.get("loras") or [])
    lines = [(p.get("final_prompt") or p["prompt"]) + tags]
    negative = p.get("final_negative_prompt", p.get("negative_prompt"))
    if negative:
        lines.append(f"Negative prompt: {negative}")
    choice = schedulers.SCHEDULERS.get(p.get("scheduler") or "")
    fields = [("Steps", p.get("steps"))]
    if choice:
        fields.append(("Sampler", choice.a1111))
        if choice.a1111_schedule:
            fields.append(("Schedule type", choice.a1111_schedule))
    fields += [
        ("CFG scale", p.get("guidance_scale")),
        ("Seed", p.get("seed")),
        ("Size", f"{p.get('width')}x{p.get('height')}"),
        ("Model", p.get("model")),
    ]
    if p.get("reference_images"):
        fields.append(("Denoising strength", p.get("strength")))
    fields.append(("Version", f"HollyWool {__version__}"))
    lines.append(", ".join(f"{k}: {_quote(v)}" for k, v in fields if v is not None))
    return "\n".join(lines)


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if ("," in text or ":" in text) and not re.fullmatch(r"\d+x\d+", text) else text


def text_chunks(p: dict[str, Any]) -> dict[str, str]:
    return {"parameters": a1111_parameters(p)}


# -------------------------------------------------------------------------------------- reading


def read_params(chunks: dict[str, str]) -> dict[str, Any]:
    """Form parameters from a PNG's text chunks; `source` names the tool that wrote them."""
    if HOLLYWOOL_CHUNK in chunks:
        data = json.loads(chunks[HOLLYWOOL_CHUNK])
        return {"source": "hollywool", **{k: data.get(k) for k in FORM_FIELDS if k in data}, "style": data.get("style")}
    if "invokeai_metadata" in chunks:
        return {"source": "invokeai", **parse_invokeai(json.loads(chunks["invokeai_metadata"]))}
    if "sd-metadata" in chunks:
        return {"source": "invokeai", **parse_invokeai_legacy(json.loads(chunks["sd-metadata"]))}
    if "prompt" in chunks:
        try:
            graph = json.loads(chunks["prompt"])
        except json.JSONDecodeError:
            graph = None
        if isinstance(graph, dict):
            return {"source": "comfyui", **parse_comfyui(graph)}
    if "parameters" in chunks:
        return {"source": "a1111", **parse_a1111(chunks["parameters"])}
    return {"source": None}


_FIELD_RE = re.compile(r'\s*([\w][\w \-/]*):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


def parse_a1111(text: str) -> dict[str, Any]:
    lines = text.strip().split("\n")
    settings_line = lines[-1] if "Steps:" in lines[-1] else ""
    body = lines[:-1] if settings_line else lines
    prompt_lines, negative_lines, in_negative = [], [], False
    for line in body:
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:") :].strip()
        (negative_lines if in_negative else prompt_lines).append(line)
    fields = {}
    for key, value in _FIELD_RE.findall(settings_line):
        value = value.strip()
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                value = value.strip('"')
        fields[key.strip()] = value
    out: dict[str, Any] = {
        "prompt": "\n".join(prompt_lines).strip(),
        "negative_prompt": "\n".join(negative_lines).strip() or None,
    }
    if "Steps" in fields:
        out["steps"] = _int(fields["Steps"])
    if "CFG scale" in fields:
        out["guidance_scale"] = _float(fields["CFG scale"])
    if "Seed" in fields:
        out["seed"] = _int(fields["Seed"])
    if "Size" in fields and "x" in fields["Size"]:
        w, _, h = fields["Size"].partition("x")
        out["width"], out["height"] = _int(w), _int(h)
    if "Sampler" in fields:
        out["scheduler"] = schedulers.resolve(fields["Sampler"], fields.get("Schedule type"))
    if "Model" in fields:
        out["model"] = fields["Model"]
    if "Denoising strength" in fields:
        out["strength"] = _float(fields["Denoising strength"])
    loras = re.findall(r"<lora:([^:>]+):([\d.]+)>", out["prompt"])
    if loras:
        out["loras"] = [{"lora_id": name, "weight": float(w)} for name, w in loras]
    return out


def parse_comfyui(graph: dict[str, Any]) -> dict[str, Any]:
    """Read a ComfyUI API-format prompt graph: the sampler node and what feeds it."""
    nodes = {k: v for k, v in graph.items() if isinstance(v, dict) and "class_type" in v}

    def node(ref: Any) -> dict[str, Any] | None:
        return nodes.get(str(ref[0])) if isinstance(ref, list) and ref else None

    def text_of(ref: Any, depth: int = 0) -> str | None:
        n = node(ref)
        if n is None or depth > 5:
            return ref if isinstance(ref, str) else None
        inputs = n.get("inputs", {})
        for key in ("text", "text_g", "string", "value", "conditioning"):
            if key in inputs:
                value = inputs[key]
                return value if isinstance(value, str) else text_of(value, depth + 1)
        return None

    sampler = next(
        (n for n in nodes.values() if n["class_type"] in ("KSampler", "KSamplerAdvanced", "SamplerCustom")), None
    )
    out: dict[str, Any] = {}
    if sampler:
        inputs = sampler.get("inputs", {})
        out["prompt"] = text_of(inputs.get("positive"))
        out["negative_prompt"] = text_of(inputs.get("negative")) or None
        seed = inputs.get("seed", inputs.get("noise_seed"))
        if isinstance(seed, int):
            out["seed"] = seed
        if isinstance(inputs.get("steps"), int):
            out["steps"] = inputs["steps"]
        if isinstance(inputs.get("cfg"), int | float):
            out["guidance_scale"] = float(inputs["cfg"])
        if isinstance(inputs.get("sampler_name"), str):
            out["scheduler"] = schedulers.resolve(inputs["sampler_name"], inputs.get("scheduler"))
        denoise = inputs.get("denoise")
        if isinstance(denoise, int | float) and denoise < 1:
            out["strength"] = float(denoise)
        latent = node(inputs.get("latent_image"))
        if latent and isinstance(latent.get("inputs", {}).get("width"), int):
            out["width"], out["height"] = latent["inputs"]["width"], latent["inputs"]["height"]
    loras = []
    for n in nodes.values():
        inputs = n.get("inputs", {})
        if n["class_type"] in ("CheckpointLoaderSimple", "CheckpointLoader", "UNETLoader"):
            name = inputs.get("ckpt_name") or inputs.get("unet_name")
            if isinstance(name, str):
                out["model"] = name
        if n["class_type"] in ("LoraLoader", "LoraLoaderModelOnly") and isinstance(inputs.get("lora_name"), str):
            weight = inputs.get("strength_model", 1.0)
            loras.append({"lora_id": _stem(inputs["lora_name"]), "weight": float(weight)})
    if loras:
        out["loras"] = loras
    return out


def parse_invokeai(meta: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt": meta.get("positive_prompt"),
        "negative_prompt": meta.get("negative_prompt") or None,
        "seed": meta.get("seed"),
        "steps": meta.get("steps"),
        "guidance_scale": meta.get("cfg_scale"),
        "width": meta.get("width"),
        "height": meta.get("height"),
        "scheduler": schedulers.resolve(meta.get("scheduler")),
    }
    model = meta.get("model")
    if isinstance(model, dict):
        out["model"] = model.get("name") or model.get("model_name")
    if meta.get("strength") is not None:
        out["strength"] = meta["strength"]
    loras = []
    for lora in meta.get("loras") or []:
        ref = lora.get("model") or lora.get("lora") or {}
        name = ref.get("name") or ref.get("model_name") or ref.get("key")
        if name:
            loras.append({"lora_id": name, "weight": float(lora.get("weight", 1.0))})
    if loras:
        out["loras"] = loras
    return {k: v for k, v in out.items() if v is not None}


def parse_invokeai_legacy(meta: dict[str, Any]) -> dict[str, Any]:
    """InvokeAI 2.x `sd-metadata`: {"model_weights", "image": {"prompt": [{"prompt"}], ...}}."""
    image = meta.get("image", {})
    prompt = image.get("prompt")
    if isinstance(prompt, list):
        prompt = prompt[0].get("prompt") if prompt else None
    negative = None
    if isinstance(prompt, str) and "[" in prompt:  # negative terms are written in brackets
        negative = ", ".join(re.findall(r"\[([^\]]+)\]", prompt)) or None
        prompt = re.sub(r"\s*\[[^\]]+\]", "", prompt).strip()
    out = {
        "prompt": prompt,
        "negative_prompt": negative,
        "seed": image.get("seed"),
        "steps": image.get("steps"),
        "guidance_scale": image.get("cfg_scale"),
        "width": image.get("width"),
        "height": image.get("height"),
        "scheduler": schedulers.resolve(image.get("sampler")),
        "model": meta.get("model_weights"),
    }
    return {k: v for k, v in out.items() if v is not None}


def _stem(name: str) -> str:
    return re.sub(r"\.(safetensors|pt|ckpt)$", "", name.replace("\\", "/").split("/")[-1])


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _float(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except ValueError:
        return None
