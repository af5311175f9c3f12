"""The editable parameters of an API graph: what the simple form shows.

Prompts are told apart by following the sampler's `positive` and `negative` links back to the
text encoders (never by node title). Everything else is recognised by input name (a table, not a
chain of ifs), and typed with the server's node definitions when they are known. The user may pin
any other literal input as a parameter.
"""

from __future__ import annotations

from collections import deque

from pydantic import BaseModel, Field

from hollywool.engines.comfyui.workflow_formats import (
    ApiGraph,
    NodeCatalogue,
    as_link,
    combo_choices,
    input_spec,
    is_link,
    node_class,
    node_inputs,
    value_type,
)
from hollywool.json_types import JsonObject, JsonValue, as_list, as_object


class Pin(BaseModel):
    node_id: str
    input_name: str
    label: str | None = None


class Parameter(BaseModel):
    """One form field. The first eight fields are the seed's shape; the rest help the form."""

    node_id: str
    node_class: str
    input_name: str
    input_type: str = Field(description="INT, FLOAT, STRING, BOOLEAN, COMBO or IMAGE (an image to upload)")
    current_value: JsonValue = None
    constraints: JsonObject = Field(
        default_factory=dict,
        description="min, max, step, choices, multiline; `slider`: the usual range {min, max, step} a form's "
        "slider covers (steps 1-150, cfg 0-30, sizes 64-4096 by 8), inside min and max",
    )
    display_name: str
    category: str = Field(description="prompt, image, model, lora, size, seed, sampling, pinned")
    key: str = Field(description='"<node_id>.<input_name>", the key of a value in POST /api/comfyui/jobs')
    role: str | None = Field(None, description="positive or negative, for prompts")
    node_title: str | None = None
    pinned: bool = False


# input name -> (category, label); applies to literal inputs of any node.
_BY_NAME: dict[str, tuple[str, str]] = {
    "seed": ("seed", "Seed"),
    "noise_seed": ("seed", "Seed"),
    "steps": ("sampling", "Steps"),
    "cfg": ("sampling", "CFG"),
    "sampler_name": ("sampling", "Sampler"),
    "scheduler": ("sampling", "Scheduler"),
    "denoise": ("sampling", "Denoise"),
    "guidance": ("sampling", "Guidance"),
    "ckpt_name": ("model", "Checkpoint"),
    "unet_name": ("model", "UNet"),
    "vae_name": ("model", "VAE"),
    "clip_name": ("model", "Text encoder"),
    "clip_name1": ("model", "Text encoder 1"),
    "clip_name2": ("model", "Text encoder 2"),
    "lora_name": ("lora", "LoRA"),
    "strength_model": ("lora", "LoRA strength"),
    "strength_clip": ("lora", "LoRA CLIP strength"),
}
_LORA_CLASSES = ("LoraLoader", "LoraLoaderModelOnly")
# Inputs of empty-latent / video-latent nodes.
_LATENT_INPUTS: dict[str, str] = {
    "width": "Width",
    "height": "Height",
    "batch_size": "Batch size",
    "length": "Frame count",
    "frames": "Frame count",
    "num_frames": "Frame count",
    "video_frames": "Frame count",
}
# The range a form's slider covers, per input name: what people use, inside ComfyUI's own limits
# (steps go to 10000 there, sizes to 16384). Values outside it are still typed into the number box.
_SLIDER_RANGES: dict[str, tuple[float, float, float]] = {
    "steps": (1, 150, 1),
    "cfg": (0, 30, 0.5),
    "guidance": (0, 30, 0.5),
    "denoise": (0, 1, 0.01),
    "width": (64, 4096, 8),
    "height": (64, 4096, 8),
    "batch_size": (1, 64, 1),
    "strength_model": (-2, 2, 0.05),
    "strength_clip": (-2, 2, 0.05),
}


def slider_range(name: str, constraints: JsonObject) -> JsonObject | None:
    """`{"min", "max", "step"}` for the input's slider, within its hard `min`/`max`; None: no slider."""
    usual = _SLIDER_RANGES.get(name)
    if usual is None:
        return None
    lo, hi, step = usual
    hard_min, hard_max = constraints.get("min"), constraints.get("max")
    if isinstance(hard_min, int | float):
        lo = max(lo, hard_min)
    if isinstance(hard_max, int | float):
        hi = min(hi, hard_max)
    return {"min": lo, "max": hi, "step": step} if lo < hi else None


_FLOAT_INPUTS = {"cfg", "denoise", "guidance", "strength", "strength_model", "strength_clip"}
_IMAGE_LOADERS = {"LoadImage": "image", "LoadImageMask": "image"}
_TEXT_INPUTS = ("text", "text_g", "text_l", "clip_l", "t5xxl", "prompt")
_CATEGORY_ORDER = ["prompt", "image", "model", "lora", "size", "seed", "sampling", "pinned"]


def _is_latent_node(class_type: str) -> bool:
    return ("Latent" in class_type and class_type.startswith("Empty")) or class_type.endswith("ImageToVideo")


def _title(node: JsonObject) -> str | None:
    title = as_object(node.get("_meta")).get("title")
    return title if isinstance(title, str) else None


def _text_inputs(node: JsonObject, info: JsonObject | None) -> list[str]:
    names: list[str] = []
    for name, value in node_inputs(node).items():
        if not isinstance(value, str):
            continue
        spec = input_spec(info, name) if info else None
        multiline = spec is not None and value_type(spec[0]) == "STRING" and spec[1].get("multiline")
        if multiline or (name in _TEXT_INPUTS and (spec is None or value_type(spec[0]) == "STRING")):
            names.append(name)
    return names


def _output_name(info: JsonObject | None, slot: int) -> str | None:
    names = as_list((info or {}).get("output_name") or (info or {}).get("output"))
    return str(names[slot]).lower() if slot < len(names) else None


def _output_type(info: JsonObject | None, slot: int) -> str | None:
    outputs = as_list((info or {}).get("output"))
    return str(outputs[slot]) if slot < len(outputs) else None


def trace_prompts(graph: ApiGraph, object_info: NodeCatalogue | None) -> dict[str, str]:
    """{text node id: "positive" | "negative"}, found by following conditioning links from samplers."""
    info = object_info or {}
    starts: list[tuple[str, tuple[str, int]]] = []
    for node in graph.values():
        inputs = node_inputs(node)
        for role in ("positive", "negative"):
            link = as_link(inputs.get(role))
            if link is not None:
                starts.append((role, link))
        conditioning = as_link(inputs.get("conditioning"))
        if node_class(node).endswith("Guider") and conditioning is not None:
            starts.append(("positive", conditioning))
    roles: dict[str, str] = {}
    for role, start in sorted(starts, key=lambda s: s[0] != "positive"):  # positive wins a shared encoder
        seen: set[tuple[str, int]] = set()
        todo = deque([start])
        while todo:
            node_id, slot = todo.popleft()
            if (node_id, slot) in seen or node_id not in graph:
                continue
            seen.add((node_id, slot))
            node = graph[node_id]
            node_info = info.get(node_class(node))
            if _text_inputs(node, node_info):
                roles.setdefault(node_id, role)
                continue
            inputs = node_inputs(node)
            # A node that passes both conditionings through (ControlNetApplyAdvanced): follow the matching one.
            out_name = _output_name(node_info, slot) or ("positive" if slot == 0 else "negative")
            passed = as_link(inputs.get(out_name))
            if is_link(inputs.get("positive")) and is_link(inputs.get("negative")) and out_name in inputs:
                if passed is not None:
                    todo.append(passed)
                continue
            for name, value in inputs.items():
                link = as_link(value)
                if link is None or name in ("clip", "model", "vae"):
                    continue
                origin = graph.get(link[0])
                if origin is None:
                    continue
                out_type = _output_type(info.get(node_class(origin)), link[1])
                if out_type in (None, "CONDITIONING"):
                    todo.append(link)
    return roles


def _describe(
    node_id: str,
    node: JsonObject,
    name: str,
    value: JsonValue,
    info: JsonObject | None,
    *,
    category: str,
    label: str,
    role: str | None = None,
    pinned: bool = False,
) -> Parameter:
    constraints: JsonObject = {}
    spec = input_spec(info, name) if info else None
    if spec is not None:
        type_, opts = spec
        kind = value_type(type_)
        choices = combo_choices(type_, opts)
        if choices is not None:
            kind = "COMBO"
            constraints["choices"] = choices
        for key in ("min", "max", "step", "default", "multiline"):
            if key in opts:
                constraints[key] = opts[key]
    else:
        kind = "FLOAT" if name in _FLOAT_INPUTS and isinstance(value, int | float) else _guess_type(value)
    class_type = node_class(node)
    if class_type in _IMAGE_LOADERS and name == _IMAGE_LOADERS[class_type]:
        kind = "IMAGE"
    if kind in ("INT", "FLOAT") and (slider := slider_range(name, constraints)) is not None:
        constraints["slider"] = slider
    return Parameter(
        node_id=node_id,
        node_class=class_type,
        input_name=name,
        input_type=kind,
        current_value=value,
        constraints=constraints,
        display_name=label,
        category=category,
        key=f"{node_id}.{name}",
        role=role,
        node_title=_title(node),
        pinned=pinned,
    )


def _guess_type(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INT"
    if isinstance(value, float):
        return "FLOAT"
    return "STRING"


def find_parameters(
    graph: ApiGraph,
    object_info: NodeCatalogue | None = None,
    pins: list[Pin] | None = None,
) -> list[Parameter]:
    """The form for `graph`: recognised parameters first (by category), then the user's pins."""
    info = object_info or {}
    roles = trace_prompts(graph, object_info)
    found: dict[str, Parameter] = {}
    order: dict[str, int] = {}
    for node_id, node in graph.items():
        class_type = node_class(node)
        node_info = info.get(class_type)
        for position, (name, value) in enumerate(node_inputs(node).items()):
            if is_link(value):
                continue
            key = f"{node_id}.{name}"
            order[key] = position
            if node_id in roles and name in _text_inputs(node, node_info):
                role = roles[node_id]
                label = f"{role.capitalize()} prompt" + ("" if name == "text" else f" ({name})")
                found[key] = _describe(node_id, node, name, value, node_info, category="prompt", label=label, role=role)
            elif class_type in _IMAGE_LOADERS and name == _IMAGE_LOADERS[class_type]:
                found[key] = _describe(node_id, node, name, value, node_info, category="image", label="Image")
            elif _is_latent_node(class_type) and name in _LATENT_INPUTS:
                label = _LATENT_INPUTS[name]
                found[key] = _describe(node_id, node, name, value, node_info, category="size", label=label)
            elif name in _BY_NAME and (not name.startswith("strength") or class_type in _LORA_CLASSES):
                category, label = _BY_NAME[name]
                found[key] = _describe(node_id, node, name, value, node_info, category=category, label=label)
            elif name == "strength" and class_type in _LORA_CLASSES:
                found[key] = _describe(node_id, node, name, value, node_info, category="lora", label="LoRA strength")
    params = sorted(
        found.values(),
        key=lambda p: (_CATEGORY_ORDER.index(p.category), p.role != "positive", _node_order(p.node_id), order[p.key]),
    )
    _disambiguate(params)
    for pin in pins or []:
        node = graph.get(pin.node_id)
        if node is None or pin.input_name not in node_inputs(node):
            continue
        key = f"{pin.node_id}.{pin.input_name}"
        value = node_inputs(node)[pin.input_name]
        existing = next((p for p in params if p.key == key), None)
        if existing is not None:
            existing.pinned = True
            if pin.label:
                existing.display_name = pin.label
            continue
        if is_link(value):
            continue
        label = pin.label or f"{_title(node) or node_class(node)}: {pin.input_name}"
        params.append(
            _describe(
                pin.node_id,
                node,
                pin.input_name,
                value,
                info.get(node_class(node)),
                category="pinned",
                label=label,
                pinned=True,
            )  # fmt: skip
        )
    return params


def _node_order(node_id: str) -> tuple[tuple[int, ...], str]:
    return tuple(int(p) if p.isdigit() else 0 for p in node_id.split(":")), node_id


def _disambiguate(params: list[Parameter]) -> None:
    by_label: dict[str, list[Parameter]] = {}
    for p in params:
        by_label.setdefault(p.display_name, []).append(p)
    for same in by_label.values():
        if len(same) > 1:
            for p in same:
                p.display_name = f"{p.display_name} ({p.node_title or p.node_class} #{p.node_id})"


def seed_keys(params: list[Parameter]) -> list[str]:
    return [p.key for p in params if p.category == "seed"]
