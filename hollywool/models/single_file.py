"""Single-file checkpoints (A1111 / Civitai `.safetensors`): which architecture, and offline loading.

The architecture is read from the checkpoint's key names (header only, no weights loaded). Loading
uses the concrete pipeline class's `from_single_file` with a local `config=` folder: the entry's own
`config` when given, else the folder shipped with the package for that architecture, materialised
once under `<data dir>/configs/` (shipped_configs.py).
The weighted components are loaded first from a state dict read in the run dtype (state_dict.py), so
loading holds the model once rather than the model plus the mapped file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from hollywool.errors import InvalidInputError
from hollywool.models import families
from hollywool.models.families.base import SingleFile
from hollywool.models.shipped_configs import shipped_config
from hollywool.models.state_dict import read_state_dict
from hollywool.models.weight_files import read_weight_file


def _layouts() -> list[tuple[str, families.Family, SingleFile]]:
    """(marker, family, layout) for every family with single files, longest (most specific) marker first."""
    found = [(m, f, f.single_file) for f in families.REGISTRY.all() if f.single_file for m in f.single_file.markers]
    return sorted(found, key=lambda item: -len(item[0]))


def detect(path: Path) -> tuple[families.Family, str | None, str]:
    """(family, shipped config folder or None, detail label) of a checkpoint, from its key names."""
    try:
        shapes = read_weight_file(path).shapes
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{path.name}: cannot read checkpoint ({exc})") from None
    for marker, family, layout in _layouts():
        if any(k.startswith(marker) for k in shapes):
            named = layout.family_of(shapes) if layout.family_of else None
            if named is None:  # the keys cannot tell: the file name may (family_by_name)
                named = next((t for word, t in layout.family_by_name if word in path.name.lower()), None)
            other = families.REGISTRY.get(named or "")
            family = other or family
            variant = layout.variant(shapes) if layout.variant and other is None else None  # the layout's own variants
            config, detail = variant or (layout.config, family.label)
            return family, config, detail
    known = ", ".join(f.label for f in families.REGISTRY.all() if f.single_file)
    raise InvalidInputError(f"{path.name}: not a checkpoint of a known family ({known})")


def detect_architecture(path: Path) -> tuple[str, str]:
    """(model type, detail) of a checkpoint: ("sdxl", "SDXL"), ("sd", "SD 2.x"), ..."""
    family, _config, detail = detect(path)
    return family.type, detail


def config_folder(path: Path, model_type: str, config: str | None, configs_root: Path) -> tuple[families.Family, Path]:
    """The checkpoint's family and the diffusers config folder that loads it offline."""
    family, arch, detail = detect(path)
    if family.type != model_type:
        raise InvalidInputError(
            f"{path.name} is a {detail} checkpoint but its catalogue entry says type {model_type!r}; "
            f"set `type: {family.type}`"
        )
    if config:
        return family, Path(config).expanduser()
    if arch:
        return family, shipped_config(arch, configs_root)
    raise InvalidInputError(
        f"{path.name}: loading a {detail} single file offline needs a diffusers config folder; "
        "set `config:` in its catalogue entry to a folder of that model (JSON and tokenizer files)"
    )


def load_single_file(
    path: Path,
    model_type: str,
    config: str | None,
    configs_root: Path,
    dtype: Any,
    **components: Any,
) -> Any:
    """The pipeline of a whole checkpoint; `components` (a VAE from its own file) replace the checkpoint's."""
    import diffusers

    family, config_dir = config_folder(path, model_type, config, configs_root)
    pipeline_cls = getattr(diffusers, family.pipeline)
    modules = _load_modules(path, config_dir, dtype, set(components)) | components
    # Given every module, from_single_file only maps the file (pages never touched) to build the rest.
    return pipeline_cls.from_single_file(
        str(path), config=str(config_dir), local_files_only=True, dtype=dtype, **modules
    )


def _load_modules(path: Path, config_dir: Path, dtype: Any, skip: set[str]) -> dict[str, Any]:
    """The checkpoint's weighted components (UNet, VAE, text encoders), converted by diffusers' own loader.

    The state dict is read already in `dtype` (see state_dict.py), so the modules' parameters are its
    tensors and the peak is the loaded model plus one tensor, not the model plus the whole file.
    """
    import importlib

    import torch
    from diffusers import pipelines
    from diffusers.loaders.single_file import (  # what from_single_file itself calls per component
        SINGLE_FILE_OPTIONAL_COMPONENTS,
        load_single_file_sub_model,  # pyright: ignore[reportUnknownVariableType]  # untyped in diffusers
    )

    index: dict[str, Any] = json.loads((config_dir / "model_index.json").read_text())
    checkpoint = read_state_dict(path, dtype)
    modules: dict[str, Any] = {}
    for name, spec in sorted(index.items()):
        if not isinstance(spec, list) or name in SINGLE_FILE_OPTIONAL_COMPONENTS or name in skip:
            continue
        library, class_name = cast(list[str | None], spec)
        if library is None or class_name is None:
            continue
        in_pipelines = hasattr(pipelines, library)
        owner = getattr(pipelines, library) if in_pipelines else importlib.import_module(library)
        if not issubclass(getattr(owner, class_name), torch.nn.Module):
            continue  # tokenizers and schedulers come from the config folder
        modules[name] = load_single_file_sub_model(
            library_name=library,
            class_name=class_name,
            name=name,
            checkpoint=checkpoint,
            pipelines=pipelines,
            is_pipeline_module=in_pipelines,
            cached_model_config_path=str(config_dir),
            local_files_only=True,
            torch_dtype=dtype,
        )
    return modules
