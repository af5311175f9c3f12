"""Diffusion-model files in reduced precision: fp8 (`float8_e4m3fn` safetensors) and GGUF (Q8_0, Q5_K, Q4_K ...).

fp8 weights are kept in fp8 on CUDA: the file's tensors are read as stored (never upcast first) and
assigned to a model built on the meta device; every Linear or convolution whose weight is fp8 in the
file gets diffusers' layerwise-casting hook, which upcasts it to the compute dtype for its forward
pass only, so those layers take 1 byte per parameter. What the file holds in higher precision keeps
the compute dtype (the memory estimate counts the same from the header). Elsewhere (the CPU) fp8
weights are upcast as they are read. GGUF files load through diffusers' GGUF quantizer, which keeps
the quantized blocks and dequantizes each layer as it runs, on any device.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hollywool.errors import InvalidInputError
from hollywool.models.state_dict import read_state_dict
from hollywool.models.weight_files import SCALE_ONLY_SUFFIXES, WeightFile, is_scaled_fp8_names

if TYPE_CHECKING:  # the families import this module's neighbours (text_encoders) as they register
    from hollywool.models.families.split import Converter


def keeps_fp8(device: str) -> bool:
    """Whether fp8 weights stay fp8 on this device (upcast per layer as they run) or are upcast at load."""
    return device.startswith("cuda")


def is_scaled_fp8(names: Any) -> bool:
    """ComfyUI's "scaled" fp8 files (a `scale_weight` or `weight_scale` per layer): their weights are fp8 values
    times a per-layer scale, so they cannot stay plain fp8; they are upcast with the scale applied."""
    return is_scaled_fp8_names(names)


def unscale_fp8(state: dict[str, Any], dtype: Any) -> dict[str, Any]:
    """A scaled-fp8 state dict in `dtype`: each weight times its scale (as ComfyUI computes it)."""
    out: dict[str, Any] = {}
    for name, tensor in state.items():
        if name == "scaled_fp8" or name.endswith(SCALE_ONLY_SUFFIXES):
            continue
        scale = None
        if name.endswith(".weight"):
            scale = state.get(name.removesuffix("weight") + "scale_weight", state.get(name + "_scale"))
        tensor = tensor.to(dtype) if tensor.is_floating_point() else tensor
        out[name] = tensor * scale.to(dtype) if scale is not None else tensor
    return out


def keep_fp8_layers(model: Any, compute_dtype: Any) -> None:
    """Layers whose weight is fp8 stay fp8 and compute in `compute_dtype` (a layerwise-casting hook each);
    any other fp8 tensor (a norm's scale, an embedding, a module the model keeps in full precision) is
    upcast to `compute_dtype` once."""
    import torch
    from diffusers.hooks.layerwise_casting import apply_layerwise_casting_hook

    fp8 = torch.float8_e4m3fn
    castable = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)
    # transformers' T5 casts its input to `wo`'s weight dtype before calling it: such modules must not be fp8.
    full_precision = set(getattr(model, "_keep_in_fp32_modules", None) or ())
    upcast: dict[int, torch.nn.Parameter] = {}  # tied weights (T5's shared embedding) stay one tensor
    for name, module in model.named_modules():
        weight = getattr(module, "weight", None)
        keep = (
            isinstance(module, castable)
            and isinstance(weight, torch.Tensor)
            and weight.dtype == fp8
            and not full_precision & set(name.split("."))
        )
        if keep:
            apply_layerwise_casting_hook(module, fp8, compute_dtype, non_blocking=False)
            continue
        for param_name, param in list(module.named_parameters(recurse=False)):
            if param.dtype == fp8:
                if id(param) not in upcast:
                    upcast[id(param)] = torch.nn.Parameter(param.to(compute_dtype), requires_grad=False)
                setattr(module, param_name, upcast[id(param)])


def load_diffusion_model(
    weights: WeightFile,
    model_class: str,
    config_dir: Path,
    subfolder: str,
    dtype: Any,
    *,
    keep_fp8: bool,
    convert: Converter | None = None,
    prefix: str | tuple[str, ...] = "",
    exclude: tuple[str, ...] = (),
) -> Any:
    """The diffusers model of a diffusion-model file (plain, fp8 or GGUF), configured from `config_dir/subfolder`.

    `convert` maps the file's original keys to diffusers' when diffusers' own conversion does not fit;
    `prefix`: read only the tensors under it (the diffusion model inside a whole checkpoint), less those under
    `exclude` (other parts of the checkpoint inside the same prefix)."""
    cls = model_class_of(model_class, config_dir, subfolder)
    try:
        config = cls.load_config(config_dir, subfolder=subfolder)
        if weights.is_gguf:
            return _gguf_model(cls, weights, config_dir, subfolder, dtype, convert, config)
        scaled = weights.scaled_fp8
        kept = keep_fp8 and weights.has_fp8(prefix)
        select: Callable[[str], bool] | None = None
        if prefix or exclude:
            select = lambda name: name.startswith(prefix) and not name.startswith(exclude)  # noqa: E731
        # fp8 kept (or scaled): read as stored; otherwise every float tensor becomes `dtype` as it is read.
        state = read_state_dict(weights.path, None if kept or scaled else dtype, select)
        if scaled:
            state = unscale_fp8(state, dtype)
        state = convert(state, config) if convert else _diffusers_names(model_class, state, config)
        return _assign(cls, config, state, dtype, weights.path.name, keep_fp8=kept)
    except (KeyError, ValueError, RuntimeError) as exc:  # a file of another architecture or size
        raise InvalidInputError(
            f"{weights.path.name} does not fit the {model_class} configured in {config_dir / subfolder}: {exc}"
        ) from exc


def load_from_files(
    sources: list[WeightFile], config_dir: Path, subfolder: str, dtype: Any, convert: Converter, prefix: tuple[str, ...]
) -> Any:
    """A model (of the class the config folder names) gathered from the tensors under `prefix` in several files:
    LTX-2.3's connector blocks in its transformer-only file, their Gemma projection in a file beside it. Each file's
    tensors are converted on their own and the first file's win; quantized (GGUF) ones are dequantized to `dtype`, fp8
    ones upcast. One file loads as `load_diffusion_model` loads it."""
    if len(sources) == 1:
        return load_diffusion_model(
            sources[0], "", config_dir, subfolder, dtype, keep_fp8=False, convert=convert, prefix=prefix
        )
    cls = model_class_of("", config_dir, subfolder)
    names = " + ".join(w.path.name for w in sources)
    try:
        config = cls.load_config(config_dir, subfolder=subfolder)
        state: dict[str, Any] = {}
        for weights in sources:
            for key, tensor in convert(_plain_tensors(weights, prefix, dtype), config).items():
                state.setdefault(key, tensor)
        return _assign(cls, config, state, dtype, names, keep_fp8=False)
    except (KeyError, ValueError, RuntimeError) as exc:
        raise InvalidInputError(
            f"{names} do not fit the {subfolder} configured in {config_dir / subfolder}: {exc}"
        ) from exc


def _plain_tensors(weights: WeightFile, prefix: tuple[str, ...], dtype: Any) -> dict[str, Any]:
    """The file's tensors under `prefix` as plain tensors of `dtype`."""
    if weights.is_gguf:
        import importlib

        from diffusers.models import model_loading_utils

        gguf: Any = importlib.import_module("diffusers.quantizers.gguf.utils")  # untyped
        blocks: dict[str, Any] = model_loading_utils.load_gguf_checkpoint(str(weights.path))  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return {k: gguf.dequantize_gguf_tensor(v).to(dtype) for k, v in blocks.items() if k.startswith(prefix)}
    select: Callable[[str], bool] = lambda name: name.startswith(prefix)  # noqa: E731
    if weights.scaled_fp8:
        return unscale_fp8(read_state_dict(weights.path, None, select), dtype)
    return read_state_dict(weights.path, dtype, select)


def model_class_of(model_class: str, config_dir: Path, subfolder: str) -> Any:
    """A diffusers model class by name; one diffusers keeps with its pipeline (LTX-2's `LTX2TextConnectors`), or any
    when no name is given, is found through the config folder's model_index.json, as `from_pretrained` finds it."""
    import importlib
    import json

    import diffusers

    cls = getattr(diffusers, model_class, None) if model_class else None
    if cls is not None:
        return cls
    try:
        library, name = json.loads((config_dir / "model_index.json").read_text())[subfolder]
        module = diffusers if library == "diffusers" else importlib.import_module(f"diffusers.pipelines.{library}")
        return getattr(module, model_class or name)
    except (OSError, ValueError, KeyError, TypeError, ImportError, AttributeError):
        raise InvalidInputError(f"{config_dir} names no diffusers class for {subfolder}") from None


def _gguf_model(
    cls: Any, weights: WeightFile, config_dir: Path, subfolder: str, dtype: Any, convert: Converter | None, config: Any
) -> Any:
    import importlib

    from diffusers.quantizers.quantization_config import GGUFQuantizationConfig

    source: Any = str(weights.path)
    if convert is not None:
        from diffusers.models import model_loading_utils

        blocks: dict[str, Any] = model_loading_utils.load_gguf_checkpoint(str(weights.path))  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        source = convert(blocks, config)  # renames, splits rows: the blocks stay quantized
        single_file: Any = importlib.import_module("diffusers.loaders.single_file_model")
        if cls.__name__ not in single_file.SINGLE_FILE_LOADABLE_CLASSES:  # HunyuanVideo 1.5's (diffusers 0.42.1)
            return _gguf_without_single_file(cls, source, config, dtype)
    return cls.from_single_file(
        source,
        config=str(config_dir),
        subfolder=subfolder,
        local_files_only=True,
        torch_dtype=dtype,
        quantization_config=GGUFQuantizationConfig(compute_dtype=dtype),
    )


def _gguf_without_single_file(cls: Any, state: dict[str, Any], config: Any, dtype: Any) -> Any:
    """A diffusers-layout GGUF state dict into a model of a class diffusers has no single-file loader for: the
    steps of `from_single_file` (GGUF linears on an empty model, then the blocks assigned as they are)."""
    import importlib

    import torch
    from accelerate import init_empty_weights  # pyright: ignore[reportMissingTypeStubs]  # no stubs
    from diffusers.quantizers.quantization_config import GGUFQuantizationConfig

    loading: Any = importlib.import_module("diffusers.models.model_loading_utils")
    auto: Any = importlib.import_module("diffusers.quantizers.auto")
    quantizer: Any = auto.DiffusersAutoQuantizer.from_config(GGUFQuantizationConfig(compute_dtype=dtype))
    with init_empty_weights():
        model = cls.from_config(config)
    quantizer.preprocess_model(model=model, device_map=None, state_dict=state, keep_in_fp32_modules=[])
    missing = sorted(set(model.state_dict()) - set(state))
    if missing:
        raise KeyError(
            f"the file lacks {', '.join(missing[:3])}" + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        )
    loading.load_model_dict_into_meta(
        model, state, dtype=dtype, device_map={"": torch.device("cpu")}, hf_quantizer=quantizer
    )
    quantizer.postprocess_model(model)
    model.hf_quantizer = quantizer
    return model.eval()


def _diffusers_names(model_class: str, state: dict[str, Any], config: Any) -> dict[str, Any]:
    """diffusers' own single-file conversion of an original-layout state dict (as `from_single_file` does)."""
    from diffusers.loaders import single_file_model

    classes: Any = single_file_model.SINGLE_FILE_LOADABLE_CLASSES  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]  # untyped
    converted: dict[str, Any] = classes[model_class]["checkpoint_mapping_fn"](checkpoint=state, config=config)
    return converted


def _assign(cls: Any, config: Any, state: dict[str, Any], dtype: Any, file_name: str, *, keep_fp8: bool) -> Any:
    """A model built without weights whose parameters become the state dict's tensors (no copy of the file)."""
    import torch
    from accelerate import init_empty_weights  # pyright: ignore[reportMissingTypeStubs]  # no stubs

    with init_empty_weights():  # parameters on the meta device; buffers (computed, not stored) real
        model = cls.from_config(config)
    wanted = model.state_dict()
    missing = sorted(k for k in wanted if k not in state)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise KeyError(f"{file_name} lacks {shown}")
    fp8 = torch.float8_e4m3fn
    full_precision = set(getattr(cls, "_keep_in_fp32_modules", None) or ())  # as diffusers' loader keeps them

    def target(key: str, tensor: Any) -> Any:
        if not tensor.is_floating_point() or (keep_fp8 and tensor.dtype == fp8):
            return tensor
        return tensor.to(torch.float32 if full_precision & set(key.split(".")) else dtype)

    tensors = {k: target(k, v) for k, v in state.items() if k in wanted}
    for key, tensor in tensors.items():
        if tuple(tensor.shape) != tuple(wanted[key].shape):
            raise ValueError(f"{key} has shape {tuple(tensor.shape)}, the config wants {tuple(wanted[key].shape)}")
    model.load_state_dict(tensors, strict=False, assign=True)
    if keep_fp8:
        keep_fp8_layers(model, dtype)
    return model.eval()
