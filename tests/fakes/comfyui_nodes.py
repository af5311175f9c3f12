"""Node classes of the fake ComfyUI: their `/object_info` definitions (shapes copied from ComfyUI's
`nodes.py`), prompt validation with ComfyUI's exact error bodies, and a tiny evaluator that turns
a graph into solid-colour images (the colour follows the seed, the prompt text and the models).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes.server import color_of

MAX_RESOLUTION = 16384
KSAMPLER_NAMES = [
    "euler",
    "euler_cfg_pp",
    "euler_ancestral",
    "euler_ancestral_cfg_pp",
    "heun",
    "heunpp2",
    "dpm_2",
    "dpm_2_ancestral",
    "lms",
    "dpm_fast",
    "dpm_adaptive",
    "dpmpp_2s_ancestral",
    "dpmpp_2s_ancestral_cfg_pp",
    "dpmpp_sde",
    "dpmpp_sde_gpu",
    "dpmpp_2m",
    "dpmpp_2m_cfg_pp",
    "dpmpp_2m_sde",
    "dpmpp_2m_sde_gpu",
    "dpmpp_2m_sde_heun",
    "dpmpp_2m_sde_heun_gpu",
    "dpmpp_3m_sde",
    "dpmpp_3m_sde_gpu",
    "ddpm",
    "lcm",
    "ipndm",
    "ipndm_v",
    "deis",
    "res_multistep",
    "res_multistep_cfg_pp",
    "res_multistep_ancestral",
    "res_multistep_ancestral_cfg_pp",
    "gradient_estimation",
    "gradient_estimation_cfg_pp",
    "er_sde",
    "seeds_2",
    "seeds_3",
    "sa_solver",
    "sa_solver_pece",
]
SAMPLER_NAMES = KSAMPLER_NAMES + ["ddim", "uni_pc", "uni_pc_bh2"]
SCHEDULER_NAMES = [
    "normal",
    "karras",
    "exponential",
    "sgm_uniform",
    "simple",
    "ddim_uniform",
    "beta",
    "linear_quadratic",
    "kl_optimal",
]
UPSCALE_METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]
SAMPLER_CLASSES = {"KSampler", "KSamplerAdvanced"}
IMAGE_HIDDEN = {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}


@dataclass
class NodeClass:
    name: str
    display_name: str
    category: str
    required: dict
    outputs: list[str]
    output_names: list[str] | None = None
    optional: dict = field(default_factory=dict)
    hidden: dict = field(default_factory=dict)
    output_node: bool = False
    description: str = ""
    custom_validation: Callable[[dict, ServerFiles], str | None] | None = None

    def info(self) -> dict:
        inputs = {"required": self.required}
        if self.optional:
            inputs["optional"] = self.optional
        if self.hidden:
            inputs["hidden"] = self.hidden
        return {
            "input": inputs,
            "input_order": {key: list(value) for key, value in inputs.items()},
            "output": list(self.outputs),
            "output_is_list": [False] * len(self.outputs),
            "output_name": list(self.output_names or self.outputs),
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "python_module": "nodes",
            "category": self.category,
            "output_node": self.output_node,
            "deprecated": False,
            "experimental": False,
            "api_node": False,
        }


@dataclass
class ServerFiles:
    """What the server has on disk: model files per folder and files in input/."""

    models: dict[str, list[str]]
    inputs: list[str]

    def folder(self, name: str) -> list[str]:
        return sorted(self.models.get(name, []))


def _int(default, lo, hi, step=1, **extra):
    return ("INT", {"default": default, "min": lo, "max": hi, "step": step, **extra})


def _float(default, lo, hi, step=0.01, **extra):
    return ("FLOAT", {"default": default, "min": lo, "max": hi, "step": step, **extra})


def _load_image_validation(inputs: dict, files: ServerFiles) -> str | None:
    image = inputs.get("image")
    return None if image in files.inputs else f"Invalid image file: {image}"


def node_classes(files: ServerFiles) -> dict[str, NodeClass]:
    seed = _int(0, 0, 0xFFFFFFFFFFFFFFFF, control_after_generate=True)
    steps = _int(20, 1, 10000)
    cfg = _float(8.0, 0.0, 100.0, 0.1, round=0.01)
    size = _int(512, 16, MAX_RESOLUTION, 8)
    classes = [
        NodeClass(
            "CheckpointLoaderSimple",
            "Load Checkpoint",
            "loaders",
            {"ckpt_name": (files.folder("checkpoints"),)},
            ["MODEL", "CLIP", "VAE"],
        ),
        NodeClass(
            "UNETLoader",
            "Load Diffusion Model",
            "advanced/loaders",
            {
                "unet_name": (files.folder("diffusion_models"),),
                "weight_dtype": (["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"],),
            },
            ["MODEL"],
        ),
        NodeClass("VAELoader", "Load VAE", "loaders", {"vae_name": (files.folder("vae"),)}, ["VAE"]),
        NodeClass(
            "LoraLoader",
            "Load LoRA",
            "loaders",
            {
                "model": ("MODEL",),
                "clip": ("CLIP",),
                "lora_name": (files.folder("loras"),),
                "strength_model": _float(1.0, -100.0, 100.0),
                "strength_clip": _float(1.0, -100.0, 100.0),
            },
            ["MODEL", "CLIP"],
        ),
        NodeClass(
            "CLIPTextEncode",
            "CLIP Text Encode (Prompt)",
            "conditioning",
            {"text": ("STRING", {"multiline": True, "dynamicPrompts": True}), "clip": ("CLIP",)},
            ["CONDITIONING"],
        ),
        NodeClass(
            "EmptyLatentImage",
            "Empty Latent Image",
            "latent",
            {"width": size, "height": size, "batch_size": _int(1, 1, 4096)},
            ["LATENT"],
        ),
        NodeClass(
            "KSampler",
            "KSampler",
            "sampling",
            {
                "model": ("MODEL",),
                "seed": seed,
                "steps": steps,
                "cfg": cfg,
                "sampler_name": (SAMPLER_NAMES,),
                "scheduler": (SCHEDULER_NAMES,),
                "positive": ("CONDITIONING",),
                "negative": ("CONDITIONING",),
                "latent_image": ("LATENT",),
                "denoise": _float(1.0, 0.0, 1.0),
            },
            ["LATENT"],
        ),
        NodeClass(
            "KSamplerAdvanced",
            "KSampler (Advanced)",
            "sampling",
            {
                "model": ("MODEL",),
                "add_noise": (["enable", "disable"],),
                "noise_seed": seed,
                "steps": steps,
                "cfg": cfg,
                "sampler_name": (SAMPLER_NAMES,),
                "scheduler": (SCHEDULER_NAMES,),
                "positive": ("CONDITIONING",),
                "negative": ("CONDITIONING",),
                "latent_image": ("LATENT",),
                "start_at_step": _int(0, 0, 10000),
                "end_at_step": _int(10000, 0, 10000),
                "return_with_leftover_noise": (["disable", "enable"],),
            },
            ["LATENT"],
        ),
        NodeClass("VAEDecode", "VAE Decode", "latent", {"samples": ("LATENT",), "vae": ("VAE",)}, ["IMAGE"]),
        NodeClass("VAEEncode", "VAE Encode", "latent", {"pixels": ("IMAGE",), "vae": ("VAE",)}, ["LATENT"]),
        NodeClass(
            "SaveImage",
            "Save Image",
            "image",
            {"images": ("IMAGE",), "filename_prefix": ("STRING", {"default": "ComfyUI"})},
            [],
            hidden=IMAGE_HIDDEN,
            output_node=True,
            description="Saves the input images to your ComfyUI output directory.",
        ),
        NodeClass(
            "PreviewImage",
            "Preview Image",
            "image",
            {"images": ("IMAGE",)},
            [],
            hidden=IMAGE_HIDDEN,
            output_node=True,
            description="Saves the input images to your ComfyUI output directory.",
        ),
        NodeClass(
            "LoadImage",
            "Load Image",
            "image",
            {"image": (sorted(files.inputs), {"image_upload": True})},
            ["IMAGE", "MASK"],
            custom_validation=_load_image_validation,
        ),
        NodeClass(
            "EmptyImage",
            "EmptyImage",
            "image",
            {
                "width": _int(512, 1, MAX_RESOLUTION),
                "height": _int(512, 1, MAX_RESOLUTION),
                "batch_size": _int(1, 1, 4096),
                "color": _int(0, 0, 0xFFFFFF, display="color"),
            },
            ["IMAGE"],
        ),
        NodeClass("ImageInvert", "Invert Image", "image", {"image": ("IMAGE",)}, ["IMAGE"]),
        NodeClass(
            "ImageScale",
            "Upscale Image",
            "image/upscaling",
            {
                "image": ("IMAGE",),
                "upscale_method": (UPSCALE_METHODS,),
                "width": _int(512, 0, MAX_RESOLUTION),
                "height": _int(512, 0, MAX_RESOLUTION),
                "crop": (["disabled", "center"],),
            },
            ["IMAGE"],
        ),
    ]
    return {c.name: c for c in classes}


# ---- validation (execution.validate_prompt) --------------------------------------------------------


class PromptRejected(Exception):
    def __init__(self, body: dict) -> None:
        super().__init__(body["error"]["message"])
        self.body = body


def _error(kind: str, message: str, details: str = "", node_errors: dict | None = None) -> PromptRejected:
    error = {"type": kind, "message": message, "details": details, "extra_info": {}}
    return PromptRejected({"error": error, "node_errors": node_errors or {}})


def validate_prompt(prompt: dict, classes: dict[str, NodeClass], files: ServerFiles, targets=None):
    """Return (outputs to execute, node_errors) or raise PromptRejected with ComfyUI's 400 body."""
    for node_id, node in prompt.items():
        if not isinstance(node, dict) or "class_type" not in node:
            raise _error(
                "invalid_prompt",
                "Cannot execute because a node is missing the class_type property.",
                f"Node ID '#{node_id}'",
            )
        if node["class_type"] not in classes:
            raise _error(
                "invalid_prompt",
                f"Cannot execute because node {node['class_type']} does not exist.",
                f"Node ID '#{node_id}'",
            )
    outputs = [nid for nid, node in prompt.items() if classes[node["class_type"]].output_node]
    if targets is not None:
        outputs = [nid for nid in outputs if nid in targets]
    if not outputs:
        raise _error("prompt_no_outputs", "Prompt has no outputs")
    validated: dict[str, tuple[bool, list]] = {}
    good, node_errors, output_errors = [], {}, []
    for out in sorted(outputs, key=str):
        ok = _validate_node(prompt, out, classes, files, validated)
        if ok:
            good.append(out)
            continue
        output_errors.extend(validated[out][1])
        for nid, (valid, reasons) in validated.items():
            if not valid and reasons:
                entry = node_errors.setdefault(
                    nid, {"errors": reasons, "dependent_outputs": [], "class_type": prompt[nid]["class_type"]}
                )
                entry["dependent_outputs"].append(out)
    if not good:
        details = "\n".join(f"{e['message']}: {e['details']}" for e in output_errors)
        raise _error("prompt_outputs_failed_validation", "Prompt outputs failed validation", details, node_errors)
    return good, node_errors


def _validate_node(prompt, node_id, classes, files, validated) -> bool:
    if node_id in validated:
        return validated[node_id][0]
    try:
        valid, reasons = _check_inputs(prompt, node_id, classes, files, validated)
    except Exception as ex:  # ComfyUI reports any exception while validating this way
        valid = False
        reasons = [
            {
                "type": "exception_during_validation",
                "message": "Exception when validating node",
                "details": str(ex),
                "extra_info": {
                    "exception_type": type(ex).__name__,
                    "traceback": traceback.format_tb(ex.__traceback__),
                },
            }
        ]
    validated[node_id] = (valid, reasons)
    return valid


def _check_inputs(prompt, node_id, classes, files, validated) -> tuple[bool, list]:
    node = prompt[node_id]
    cls = classes[node["class_type"]]
    inputs = node.setdefault("inputs", {})
    reasons, valid = [], True
    specs = {**cls.required, **{k: v for k, v in cls.optional.items() if k in inputs}}
    for name, spec in specs.items():
        if name not in inputs:
            reasons.append(_reason("required_input_missing", "Required input is missing", name, {"input_name": name}))
            continue
        value = inputs[name]
        kind = spec[0]
        options = spec[1] if len(spec) > 1 else {}
        config = [kind, options]
        if isinstance(value, list):
            if len(value) != 2:
                reasons.append(
                    _reason(
                        "bad_linked_input",
                        "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                        name,
                        {"input_name": name, "input_config": config, "received_value": value},
                    )
                )
                continue
            origin = prompt[value[0]]
            received = classes[origin["class_type"]].outputs[value[1]]
            expected = "COMBO" if isinstance(kind, list) else kind
            if received != expected and "*" not in (received, expected):
                reasons.append(
                    _reason(
                        "return_type_mismatch",
                        "Return type mismatch between linked nodes",
                        f"{name}, received_type({received}) mismatch input_type({expected})",
                        {
                            "input_name": name,
                            "input_config": config,
                            "received_type": received,
                            "linked_node": value,
                        },
                    )
                )
                continue
            if not _validate_node(prompt, value[0], classes, files, validated):
                valid = False
            continue
        reason = _check_literal(inputs, name, value, kind, options, config, cls, files)
        if reason:
            reasons.append(reason)
    if cls.custom_validation and not reasons:
        message = cls.custom_validation(inputs, files)
        if message:
            input_name = next(iter(cls.required))
            reasons.append(
                _reason(
                    "custom_validation_failed",
                    "Custom validation failed for node",
                    f"{input_name} - {message}",
                    {"input_name": input_name},
                )
            )
    return (valid and not reasons), reasons


_CONVERT = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}


def _check_literal(inputs, name, value, kind, options, config, cls, files) -> dict | None:
    if isinstance(kind, str) and kind in _CONVERT:
        try:
            value = _CONVERT[kind](value)
        except Exception as ex:
            return _reason(
                "invalid_input_type",
                f"Failed to convert an input value to a {kind} value",
                f"{name}, {value}, {ex}",
                {
                    "input_name": name,
                    "input_config": config,
                    "received_value": value,
                    "exception_message": str(ex),
                },
            )
        inputs[name] = value
        extra = {"input_name": name, "input_config": config, "received_value": value}
        if "min" in options and value < options["min"]:
            return _reason("value_smaller_than_min", f"Value {value} smaller than min of {options['min']}", name, extra)
        if "max" in options and value > options["max"]:
            return _reason("value_bigger_than_max", f"Value {value} bigger than max of {options['max']}", name, extra)
    elif isinstance(kind, list) and value not in kind and not (cls.custom_validation and name == "image"):
        listing = f"(list of length {len(kind)})" if len(kind) > 20 else str(kind)
        return _reason(
            "value_not_in_list",
            "Value not in list",
            f"{name}: '{value}' not in {listing}",
            {
                "input_name": name,
                "input_config": [kind, options] if len(kind) <= 20 else None,
                "received_value": value,
            },
        )
    return None


def _reason(kind, message, details, extra) -> dict:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


# ---- evaluation ---------------------------------------------------------------------------------------


@dataclass
class Picture:
    """What flows on IMAGE/LATENT links: a batch of solid-colour pictures."""

    width: int
    height: int
    batch: int
    color: tuple[int, int, int]


def evaluate(class_type: str, args: dict) -> tuple:
    """Outputs of one node, given its inputs with links already resolved."""
    if class_type in ("CheckpointLoaderSimple",):
        name = args["ckpt_name"]
        return ({"model": name}, {"clip": name}, {"vae": name})
    if class_type == "UNETLoader":
        return ({"model": args["unet_name"]},)
    if class_type == "VAELoader":
        return ({"vae": args["vae_name"]},)
    if class_type == "LoraLoader":
        lora = (args["lora_name"], args["strength_model"])
        return ({**args["model"], "lora": lora}, {**args["clip"], "lora": lora})
    if class_type == "CLIPTextEncode":
        return ({"text": args["text"], "clip": args["clip"]},)
    if class_type == "EmptyLatentImage":
        return (Picture(args["width"], args["height"], args["batch_size"], (0, 0, 0)),)
    if class_type in SAMPLER_CLASSES:
        latent: Picture = args["latent_image"]
        seed = args.get("seed", args.get("noise_seed"))
        color = color_of(
            seed,
            args["positive"],
            args["negative"],
            args["model"],
            args["steps"],
            args["cfg"],
            args["sampler_name"],
            args["scheduler"],
            args.get("denoise"),
        )
        return (Picture(latent.width, latent.height, latent.batch, color),)
    if class_type in ("VAEDecode", "VAEEncode"):
        return (args.get("samples") or args.get("pixels"),)
    if class_type == "EmptyImage":
        c = args["color"]
        return (Picture(args["width"], args["height"], args["batch_size"], ((c >> 16) & 255, (c >> 8) & 255, c & 255)),)
    if class_type == "ImageInvert":
        p: Picture = args["image"]
        return (Picture(p.width, p.height, p.batch, tuple(255 - v for v in p.color)),)
    if class_type == "ImageScale":
        p = args["image"]
        return (Picture(args["width"] or p.width, args["height"] or p.height, p.batch, p.color),)
    if class_type == "LoadImage":
        p = args["_loaded"]
        return (p, Picture(p.width, p.height, 1, (0, 0, 0)))
    return ()
