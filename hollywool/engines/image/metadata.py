"""Generation parameters in PNG text chunks: written A1111-style, read from A1111, ComfyUI and InvokeAI.

Written: `parameters` (the A1111 text that Civitai and most tools read) and `hollywool` (JSON with every
parameter needed to re-run exactly). Read: any of those, returned as the studio's form fields.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Annotated, Any, cast

from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError

from hollywool import __version__
from hollywool.engines.image.params import Seed
from hollywool.media.png_meta import HOLLYWOOL_CHUNK
from hollywool.models import schedulers

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
    loras: list[dict[str, Any]] = p.get("loras") or []
    tags = "".join(f" <lora:{lr['lora_id']}:{lr['weight']:g}>" for lr in loras)
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
    fix = p.get("hires")
    if fix and p.get("mode") != "refine":  # A1111's hires fix fields; its strength is the second pass's
        fields += [
            ("Denoising strength", fix.get("strength")),
            ("Hires upscale", f"{fix.get('scale'):g}"),
            ("Hires steps", fix.get("steps")),
            ("Hires upscaler", "Latent" if fix.get("upscaler") == "latent" else fix.get("upscaler")),
        ]
    elif fix:  # an image refined: A1111's img2img at the final size
        fields.append(("Denoising strength", fix.get("strength")))
    if p.get("mode") == "inpaint":
        fields.append(("Mask blur", p.get("mask_blur")))
        if p.get("inpaint_only_masked"):
            fields += [("Inpaint area", "Only masked"), ("Masked area padding", p.get("inpaint_padding"))]
    for i, c in enumerate(p.get("control") or []):  # as sd-webui-controlnet writes its units
        canny = c.get("preprocessor") == "canny"
        unit = [
            ("Module", c.get("preprocessor")),
            ("Model", c.get("model")),
            ("Weight", c.get("scale")),
            ("Threshold A", c.get("low_threshold") if canny else None),
            ("Threshold B", c.get("high_threshold") if canny else None),
            ("Guidance Start", c.get("start")),
            ("Guidance End", c.get("end")),
        ]
        fields.append((f"ControlNet {i}", ", ".join(f"{k}: {v}" for k, v in unit if v is not None)))
    fields.append(("Version", f"HollyWool {__version__}"))
    lines.append(", ".join(f"{k}: {_quote(v)}" for k, v in fields if v is not None))
    return "\n".join(lines)


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if ("," in text or ":" in text) and not re.fullmatch(r"\d+x\d+", text) else text


def text_chunks(p: dict[str, Any]) -> dict[str, str]:
    return {"parameters": a1111_parameters(p)}


# -------------------------------------------------------------------------------------- reading
#
# Embedded metadata is untrusted: any tool (or anyone) may have written it. Each reader turns a chunk
# into raw candidate fields and never trusts a type; the candidates are then validated one by one
# against the form's own bounds (ReadParams). A field, a LoRA or a whole chunk that cannot be read is
# named in `unreadable` and left out; reading never raises.

log = logging.getLogger(__name__)


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a true/false value is not a number")
    return value


_Int = Annotated[int, BeforeValidator(_not_bool)]
_Float = Annotated[float, BeforeValidator(_not_bool), Field(allow_inf_nan=False)]


class ReadLora(BaseModel):
    lora_id: str = Field(min_length=1, max_length=500)
    weight: _Float = Field(1.0, ge=0.0, le=1.5)


class ReadParams(BaseModel):
    """What a PNG's metadata may fill in the generate form, with the form's bounds."""

    prompt: str | None = Field(None, max_length=10_000)
    negative_prompt: str | None = Field(None, max_length=10_000)
    steps: _Int | None = Field(None, ge=1, le=200)
    guidance_scale: _Float | None = Field(None, ge=0, le=50)
    seed: Annotated[Seed, BeforeValidator(_not_bool)] | None = None
    width: _Int | None = Field(None, ge=64, le=4096)
    height: _Int | None = Field(None, ge=64, le=4096)
    scheduler: str | None = Field(None, max_length=100)
    model: str | None = Field(None, max_length=500)
    strength: _Float | None = Field(None, ge=0.1, le=1.0)
    style: str | None = Field(None, max_length=100)


# One check per field: its type with its bounds. The Annotated types are built at run time from the model's
# fields, so they are values here, not type expressions.
_annotated: Any = Annotated
_FIELD_CHECKS = {name: TypeAdapter[Any](_annotated[f.annotation, f]) for name, f in ReadParams.model_fields.items()}
_LORA_CHECK = TypeAdapter(ReadLora)


class Unreadable(ValueError):
    """A whole chunk cannot be read; the message says why."""


def read_params(chunks: dict[str, str]) -> dict[str, Any]:
    """Form parameters from a PNG's text chunks; `source` names the tool that wrote them and
    `unreadable` lists what was there but could not be read (a chunk, a field, a LoRA), and `unmapped` the
    settings the form has no field for (A1111's "Clip skip: 2")."""
    unreadable: list[str] = list(getattr(chunks, "unreadable", []))
    for key, source, reader in _READERS:
        if key not in chunks:
            continue
        try:
            raw = reader(chunks[key])
        except Unreadable as exc:
            unreadable.append(f"{source}: the {key!r} text {exc}")
            continue
        except Exception:  # a reader fault on odd input must not fail the request
            log.warning("Could not read the %r metadata chunk", key, exc_info=True)
            unreadable.append(f"{source}: the {key!r} text could not be read")
            continue
        if raw is None:  # not this tool's format (e.g. a `prompt` chunk that is not a ComfyUI graph)
            continue
        unmapped: list[str] = raw.pop("unmapped", None) or []
        params, problems = validated(raw)
        return {
            "source": source,
            **params,
            "unreadable": unreadable + [f"{source}: {p}" for p in problems],
            "unmapped": unmapped,
        }
    return {"source": None, "unreadable": unreadable}


def validated(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The fields that pass the form's checks, and a sentence for each one that does not."""
    out: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in raw.items():
        if value is None:
            continue
        if name == "loras":
            loras = _validated_loras(value, problems)
            if loras:
                out["loras"] = loras
            continue
        check = _FIELD_CHECKS.get(name)
        if check is None:
            continue
        try:
            out[name] = check.validate_python(value)
        except ValidationError as exc:
            problems.append(f"{name}: {_shown(value)} is not usable ({exc.errors()[0]['msg']})")
    return out, problems


def _validated_loras(value: Any, problems: list[str]) -> list[dict[str, Any]]:
    items = _list(value)
    if items is None:
        problems.append("loras: not a list")
        return []
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items[:64]):
        try:
            out.append(_LORA_CHECK.validate_python(item).model_dump())
        except ValidationError as exc:
            err = exc.errors()[0]
            fields = _object(item)
            name = fields.get("lora_id") if fields is not None else None
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"loras[{i}] {_shown(name)}: {where} {err['msg']}".replace("  ", " "))
    return out


def _object(value: Any) -> dict[str, Any] | None:
    """`value` if it is a JSON object, else None (untrusted JSON: its values may be anything)."""
    return cast(dict[str, Any], value) if isinstance(value, dict) else None


def _list(value: Any) -> list[Any] | None:
    """`value` if it is a JSON list, else None."""
    return cast(list[Any], value) if isinstance(value, list) else None


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_object(text: str) -> dict[str, Any]:
    try:
        data: object = json.loads(text)
    except RecursionError:
        raise Unreadable("is nested too deeply to read") from None
    except ValueError as exc:  # bad JSON, or an integer with more digits than Python reads
        raise Unreadable(f"is not valid JSON ({str(exc)[:80]})") from None
    obj = _object(data)
    if obj is None:
        kinds: dict[type[object], str] = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}
        raise Unreadable(f"is JSON but not an object ({kinds.get(type(data), 'a number')})")
    return obj


def _read_hollywool(text: str) -> dict[str, Any]:
    data = _json_object(text)
    return {k: data.get(k) for k in (*FORM_FIELDS, "style") if k in data}


def _read_comfyui(text: str) -> dict[str, Any] | None:
    try:
        graph = _object(json.loads(text))
    except (ValueError, RecursionError):
        graph = None
    if graph is None:
        # A `prompt` chunk that is not a JSON object is not a ComfyUI graph (other tools use the name).
        if text.lstrip().startswith("{"):
            return _json_object(text)  # raises with the reason
        return None
    return parse_comfyui(graph)


_READERS: list[tuple[str, str, Callable[[str], dict[str, Any] | None]]] = [
    (HOLLYWOOL_CHUNK, "hollywool", _read_hollywool),
    ("invokeai_metadata", "invokeai", lambda text: parse_invokeai(_json_object(text))),
    ("sd-metadata", "invokeai", lambda text: parse_invokeai_legacy(_json_object(text))),
    ("prompt", "comfyui", _read_comfyui),
    ("parameters", "a1111", lambda text: parse_a1111(text)),
]


_FIELD_RE = re.compile(r'\s*([\w][\w \-/]*):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
_LORA_TAG_RE = re.compile(r"<lora:([^:>]+):([^:>]*)>")


def parse_a1111(text: str) -> dict[str, Any]:
    """Raw fields of an A1111/Forge `parameters` text (values as written; validated by the caller)."""
    lines = text.strip().split("\n")
    settings_line = lines[-1] if "Steps:" in lines[-1] else ""
    body = lines[:-1] if settings_line else lines
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    in_negative = False
    for line in body:
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:") :].strip()
        (negative_lines if in_negative else prompt_lines).append(line)
    fields: dict[str, Any] = {}
    for key, value in _FIELD_RE.findall(settings_line[:100_000]):
        value = value.strip()
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                value = value.strip('"')
        fields[key.strip()] = value
    used = {"Steps", "CFG scale", "Seed", "Model", "Denoising strength", "Size", "Sampler", "Schedule type"}
    out: dict[str, Any] = {
        # Settings the form has no field for (Clip skip, VAE, hires fix...), listed to the user.
        "unmapped": [f"{k}: {v[:80]}" for k, v in fields.items() if k not in used],
        "prompt": "\n".join(prompt_lines).strip(),
        "negative_prompt": "\n".join(negative_lines).strip() or None,
        "steps": fields.get("Steps"),
        "guidance_scale": fields.get("CFG scale"),
        "seed": fields.get("Seed"),
        "model": fields.get("Model"),
        "strength": fields.get("Denoising strength"),
    }
    size = fields.get("Size")
    if isinstance(size, str) and "x" in size:
        out["width"], _, out["height"] = size.partition("x")
    if isinstance(fields.get("Sampler"), str):
        out["scheduler"] = _scheduler(fields["Sampler"], fields.get("Schedule type"))
    loras = _LORA_TAG_RE.findall(out["prompt"])
    if loras:
        out["loras"] = [{"lora_id": name, "weight": weight.strip()} for name, weight in loras]
    return out


def parse_comfyui(graph: dict[str, Any]) -> dict[str, Any]:
    """Raw fields of a ComfyUI API-format prompt graph: the sampler node and what feeds it."""
    nodes = {str(k): n for k, v in graph.items() if (n := _object(v)) is not None and "class_type" in n}

    def inputs_of(n: dict[str, Any] | None) -> dict[str, Any]:
        return _object(n.get("inputs") if n else None) or {}

    def node(ref: Any) -> dict[str, Any] | None:
        link = _list(ref)  # [node id, output index]
        return nodes.get(str(link[0])) if link and not isinstance(link[0], list | dict) else None

    def text_of(ref: Any, depth: int = 0) -> Any:
        """The text a link leads to; a value that is no link to a known node is returned as is."""
        n = node(ref)
        if n is None:
            return ref
        if depth > 5:
            return None
        inputs = inputs_of(n)
        for key in ("text", "text_g", "string", "value", "conditioning"):
            if key in inputs:
                return text_of(inputs[key], depth + 1)
        return None

    sampler = next((n for n in nodes.values() if n["class_type"] in _SAMPLERS), None)
    out: dict[str, Any] = {}
    if sampler:
        inputs = inputs_of(sampler)
        out["prompt"] = text_of(inputs.get("positive"))
        out["negative_prompt"] = text_of(inputs.get("negative")) or None
        out["seed"] = inputs.get("seed", inputs.get("noise_seed"))
        out["steps"] = inputs.get("steps")
        out["guidance_scale"] = inputs.get("cfg")
        if isinstance(inputs.get("sampler_name"), str):
            out["scheduler"] = _scheduler(inputs["sampler_name"], inputs.get("scheduler"))
        denoise = inputs.get("denoise")
        if not (isinstance(denoise, int | float) and denoise >= 1):  # 1: text-to-image, no strength
            out["strength"] = denoise
        latent = inputs_of(node(inputs.get("latent_image")))
        if "width" in latent or "height" in latent:
            out["width"], out["height"] = latent.get("width"), latent.get("height")
    loras: list[dict[str, Any]] = []
    for n in nodes.values():
        inputs = inputs_of(n)
        if n["class_type"] in ("CheckpointLoaderSimple", "CheckpointLoader", "UNETLoader"):
            out["model"] = inputs.get("ckpt_name") or inputs.get("unet_name")
        if n["class_type"] in ("LoraLoader", "LoraLoaderModelOnly") and "lora_name" in inputs:
            name = inputs["lora_name"]
            loras.append({"lora_id": _stem(name) if isinstance(name, str) else name,
                          "weight": inputs.get("strength_model", 1.0)})  # fmt: skip
    if loras:
        out["loras"] = loras
    return out


_SAMPLERS = ("KSampler", "KSamplerAdvanced", "SamplerCustom")


def parse_invokeai(meta: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt": meta.get("positive_prompt"),
        "negative_prompt": meta.get("negative_prompt") or None,
        "seed": meta.get("seed"),
        "steps": meta.get("steps"),
        "guidance_scale": meta.get("cfg_scale"),
        "width": meta.get("width"),
        "height": meta.get("height"),
        "scheduler": _scheduler(meta.get("scheduler")),
        "strength": meta.get("strength"),
    }
    model = meta.get("model")
    model_info = _object(model)
    out["model"] = (model_info.get("name") or model_info.get("model_name")) if model_info is not None else model
    raw_loras = meta.get("loras")
    lora_items = _list(raw_loras)
    if raw_loras is not None and lora_items is None:
        out["loras"] = raw_loras  # reported as not a list
    elif lora_items:
        loras: list[Any] = []
        for item in lora_items:
            lora = _object(item)
            if lora is None:
                loras.append(item)  # reported
                continue
            ref = _object(lora.get("model") or lora.get("lora") or {})
            name = (ref.get("name") or ref.get("model_name") or ref.get("key")) if ref is not None else None
            loras.append({"lora_id": name, "weight": lora.get("weight", 1.0)})
        out["loras"] = loras
    return {k: v for k, v in out.items() if v is not None}


def parse_invokeai_legacy(meta: dict[str, Any]) -> dict[str, Any]:
    """InvokeAI 2.x `sd-metadata`: {"model_weights", "image": {"prompt": [{"prompt"}], ...}}."""
    image = _object(meta.get("image")) or {}
    prompt = image.get("prompt")
    prompts = _list(prompt)
    if prompts is not None:
        first = prompts[0] if prompts else None
        first_fields = _object(first)
        prompt = first_fields.get("prompt") if first_fields is not None else first
    negative = None
    if isinstance(prompt, str) and "[" in prompt:  # negative terms are written in brackets
        negative = ", ".join(re.findall(r"\[([^\]]+)\]", prompt)) or None
        prompt = re.sub(r"\s*\[[^\]]+\]", "", prompt).strip()
    out: dict[str, Any] = {
        "prompt": prompt,
        "negative_prompt": negative,
        "seed": image.get("seed"),
        "steps": image.get("steps"),
        "guidance_scale": image.get("cfg_scale"),
        "width": image.get("width"),
        "height": image.get("height"),
        "scheduler": _scheduler(image.get("sampler")),
        "model": meta.get("model_weights"),
    }
    return {k: v for k, v in out.items() if v is not None}


def _scheduler(name: Any, schedule: Any = None) -> Any:
    """Our scheduler for another tool's sampler name; a name that is not text is kept to be reported."""
    if not isinstance(name, str):
        return name
    return schedulers.resolve(name, schedule if isinstance(schedule, str) else None)


def _stem(name: str) -> str:
    return re.sub(r"\.(safetensors|pt|ckpt)$", "", name.replace("\\", "/").split("/")[-1])
