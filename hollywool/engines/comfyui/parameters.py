"""The editable parameters of an API graph: what the simple form shows.

Prompts are told apart by following the sampler's `positive` and `negative` links back to the
text encoders (never by node title). Everything else is recognised by input name (a table, not a
chain of ifs), and typed with the server's node definitions when they are known. The user may pin
any other literal input as a parameter.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from pydantic import BaseModel, Field

from hollywool.engines.comfyui.workflow_formats import combo_choices, input_spec, is_link, value_type


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
    current_value: Any = None
    constraints: dict[str, Any] = Field(default_factory=dict, description="min, max, step, choices, multiline")
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
_FLOAT_INPUTS = {"cfg", "denoise", "guidance", "strength", "strength_model", "strength_clip"}
_IMAGE_LOADERS = {"LoadImage": "image", "LoadImageMask": "image"}
_TEXT_INPUTS = ("text", "text_g", "text_l", "clip_l", "t5xxl", "prompt")
_CATEGORY_ORDER = ["prompt", "image", "model", "lora", "size", "seed", "sampling", "pinned"]


def _is_latent_node(class_type: str) -> bool:
    return ("Latent" in class_type and class_type.startswith("Empty")) or class_type.endswith("ImageToVideo")


def _title(node: dict[str, Any]) -> str | None:
    return (node.get("_meta") or {}).get("title")


def _text_inputs(node: dict[str, Any], info: dict[str, Any] | None) -> list[str]:
    names = []
    for name, value in node.get("inputs", {}).items():
        if not isinstance(value, str):
            continue
        spec = input_spec(info, name) if info else None
        multiline = spec is not None and value_type(spec[0]) == "STRING" and spec[1].get("multiline")
        if multiline or (name in _TEXT_INPUTS and (spec is None or value_type(spec[0]) == "STRING")):
            names.append(name)
    return names


def _output_name(info: dict[str, Any] | None, slot: int) -> str | None:
    names = (info or {}).get("output_name") or (info or {}).get("output") or []
    return str(names[slot]).lower() if slot < len(names) else None


def _output_type(info: dict[str, Any] | None, slot: int) -> str | None:
    outputs = (info or {}).get("output") or []
    return str(outputs[slot]) if slot < len(outputs) else None


def trace_prompts(graph: dict[str, Any], object_info: dict[str, Any] | None) -> dict[str, str]:
    """{text node id: "positive" | "negative"}, found by following conditioning links from samplers."""
    info = object_info or {}
    starts: list[tuple[str, list]] = []
    for node in graph.values():
        inputs = node.get("inputs", {})
        for role in ("positive", "negative"):
            if is_link(inputs.get(role)):
                starts.append((role, inputs[role]))
        if node["class_type"].endswith("Guider") and is_link(inputs.get("conditioning")):
            starts.append(("positive", inputs["conditioning"]))
    roles: dict[str, str] = {}
    for role, link in sorted(starts, key=lambda s: s[0] != "positive"):  # positive wins a shared encoder
        seen: set[tuple[str, int]] = set()
        todo = deque([(str(link[0]), link[1])])
        while todo:
            node_id, slot = todo.popleft()
            if (node_id, slot) in seen or node_id not in graph:
                continue
            seen.add((node_id, slot))
            node = graph[node_id]
            node_info = info.get(node["class_type"])
            if _text_inputs(node, node_info):
                roles.setdefault(node_id, role)
                continue
            inputs = node.get("inputs", {})
            # A node that passes both conditionings through (ControlNetApplyAdvanced): follow the matching one.
            out_name = _output_name(node_info, slot) or ("positive" if slot == 0 else "negative")
            if is_link(inputs.get("positive")) and is_link(inputs.get("negative")) and out_name in inputs:
                todo.append((str(inputs[out_name][0]), inputs[out_name][1]))
                continue
            for name, value in inputs.items():
                if not is_link(value) or name in ("clip", "model", "vae"):
                    continue
                origin = graph.get(str(value[0]))
                if origin is None:
                    continue
                out_type = _output_type(info.get(origin["class_type"]), value[1])
                if out_type in (None, "CONDITIONING"):
                    todo.append((str(value[0]), value[1]))
    return roles


def _describe(
    node_id: str,
    node: dict[str, Any],
    name: str,
    value: Any,
    info: dict[str, Any] | None,
    *,
    category: str,
    label: str,
    role: str | None = None,
    pinned: bool = False,
) -> Parameter:
    constraints: dict[str, Any] = {}
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
    if node["class_type"] in _IMAGE_LOADERS and name == _IMAGE_LOADERS[node["class_type"]]:
        kind = "IMAGE"
    return Parameter(
        node_id=node_id,
        node_class=node["class_type"],
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


def _guess_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INT"
    if isinstance(value, float):
        return "FLOAT"
    return "STRING"


def find_parameters(
    graph: dict[str, Any],
    object_info: dict[str, Any] | None = None,
    pins: list[Pin] | None = None,
) -> list[Parameter]:
    """The form for `graph`: recognised parameters first (by category), then the user's pins."""
    info = object_info or {}
    roles = trace_prompts(graph, object_info)
    found: dict[str, Parameter] = {}
    order: dict[str, int] = {}
    for node_id, node in graph.items():
        class_type = node["class_type"]
        node_info = info.get(class_type)
        for position, (name, value) in enumerate(node.get("inputs", {}).items()):
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
        if node is None or pin.input_name not in node.get("inputs", {}):
            continue
        key = f"{pin.node_id}.{pin.input_name}"
        value = node["inputs"][pin.input_name]
        existing = next((p for p in params if p.key == key), None)
        if existing is not None:
            existing.pinned = True
            if pin.label:
                existing.display_name = pin.label
            continue
        if is_link(value):
            continue
        label = pin.label or f"{_title(node) or node['class_type']}: {pin.input_name}"
        params.append(
            _describe(
                pin.node_id,
                node,
                pin.input_name,
                value,
                info.get(node["class_type"]),
                category="pinned",
                label=label,
                pinned=True,
            )  # fmt: skip
        )
    return params


def _node_order(node_id: str) -> tuple:
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
