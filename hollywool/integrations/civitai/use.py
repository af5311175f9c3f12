"""Make verified Civitai downloads usable: checkpoints become local models, LoRAs offer their
trigger words.

* A checkpoint is registered in the model catalogue as `civitai-<version id>`, a single-file model
  whose architecture is read from the file's keys (Civitai's base model is the fallback). A user
  entry with that id in `config.yaml` adjusts it field by field (a `config:` folder, default steps).
* A LoRA is found by the LoRA library's scan of the Civitai folder; its trigger words are Civitai's
  trained words when the file carries none itself, and its base is Civitai's base model when no family
  claims its keys (a FLUX.2 LoRA in FLUX.1's block names would otherwise pass for FLUX.1).
Both happen at start-up for files already downloaded and at once for each new one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from hollywool.integrations.civitai.mapping import catalog_type_for, lora_base_for
from hollywool.integrations.civitai.records import Download

if TYPE_CHECKING:
    from hollywool.integrations.civitai.service import CivitaiService
    from hollywool.models.manager import ModelManager

log = logging.getLogger("hollywool.civitai")

LORA_TYPES = ("LORA", "LoCon", "DoRA")


def model_id_for(download: Download) -> str:
    return f"civitai-{download.version_id}"


def architecture(path: Path, base_model: str | None) -> str | None:
    """The catalogue model type of a checkpoint: from its keys, else from Civitai's base model."""
    try:
        from hollywool.models.single_file import detect_architecture

        return detect_architecture(path)[0]
    except Exception as exc:  # not a safetensors file, or an architecture the engine cannot tell
        log.info("%s: architecture not detected from keys (%s); using Civitai's base model", path.name, exc)
        return catalog_type_for(base_model)


def _user_overrides(user_config: Path | None, model_id: str) -> dict[str, Any]:
    if not user_config or not user_config.exists():
        return {}
    try:
        models = (yaml.safe_load(user_config.read_text()) or {}).get("models") or {}
    except (yaml.YAMLError, AttributeError):
        return {}
    if isinstance(models, list):
        models = {str(m.get("id")): m for m in models if isinstance(m, dict)}
    fields = models.get(model_id)
    return {k: v for k, v in fields.items() if k != "id"} if isinstance(fields, dict) else {}


def _file_sampling(path: Path, base_model: str | None):  # noqa: ANN202 - a Sampling or None (imported when used)
    from hollywool.models.split_files import file_sampling

    return file_sampling(path, base_model or "") if path.is_file() else None


def catalog_entry(download: Download, user_config: Path | None = None):  # noqa: ANN201 - a ModelEntry or None
    from hollywool.models.catalog import ModelEntry

    if download.model_type != "Checkpoint" or not download.path:
        return None
    path = Path(download.path)
    from hollywool.models import families

    model_type = architecture(path, download.base_model)
    family = families.family(model_type) if model_type else None
    # The base model goes with the entry: it names a variant the file's name may not (FLUX.2 [klein] Base).
    civitai = {"model_id": download.model_id, "version_id": download.version_id, "base_model": download.base_model}
    extra: dict[str, Any] = {"civitai": civitai}
    # The family's sensible first settings; the user may change them in config.yaml.
    if isinstance(family, families.ImageFamily):
        steps, guidance, side = family.default_steps, family.default_guidance, family.default_size
        sampling = _file_sampling(path, download.base_model)  # FLUX.2 [klein] Base's own
        if sampling:
            steps, guidance = sampling.steps, sampling.guidance
        sizes: dict[str, Any] = dict(default_width=side, default_height=side)
        category = "quality"
    elif isinstance(family, families.VideoFamily):
        variant = family.civitai_variants.get(download.base_model or "")
        # The family's (or its variant's: Wan 2.2 TI2V-5B) recommended sampling, unless the file is of a variant
        # with its own (LTX-2's distilled checkpoints: 8 steps on their sigmas, no guidance).
        chosen = family.for_model(str(path), {"variant": variant} if variant else None)
        width, height = chosen.rules.default_size
        steps, guidance, category = chosen.default_steps, chosen.default_guidance, "video"
        sampling = _file_sampling(path, download.base_model)
        if sampling:
            steps, guidance = sampling.steps, sampling.guidance
            if sampling.call:
                extra["call"] = dict(sampling.call)
        sizes = dict(default_width=width, default_height=height)
        if variant:  # a form its files alone do not name (Wan 2.2 TI2V-5B)
            extra["variant"] = variant
    else:
        return None
    model_id = model_id_for(download)
    fields: dict[str, Any] = dict(
        id=model_id,
        name=f"{download.model_name} ({download.version_name})" if download.version_name else download.model_name,
        path=str(path),
        type=model_type,
        default_steps=steps,
        default_guidance=guidance,
        **sizes,
        category=category,
        size_gb=round(path.stat().st_size / 1e9, 2) if path.exists() else 0.0,
        tags=["civitai", *([download.base_model] if download.base_model else [])],
        description=f"Downloaded from Civitai (model {download.model_id}, version {download.version_id}).",
        extra=extra,
    )
    fields.update(_user_overrides(user_config, model_id))
    return ModelEntry(**fields)


def attach_to_models(civitai: CivitaiService, models: ModelManager) -> None:
    """Register downloads with the model manager's catalogue and LoRA library, now and from now on."""
    words: dict[str, list[str]] = {}
    bases: dict[str, str] = {}

    def known_words(path: Path) -> list[str]:
        return words.get(str(Path(path).resolve()), [])

    def known_base(path: Path) -> str | None:
        return bases.get(str(Path(path).resolve()))

    def completed(download: Download) -> None:
        if download.model_type in LORA_TYPES and download.path:
            key = str(Path(download.path).resolve())
            words[key] = list(download.trained_words)
            base = lora_base_for(download.base_model)
            if base:
                bases[key] = base
            models.loras.scan()
            return
        entry = catalog_entry(download, models.catalog.user_config)
        if entry is not None:
            models.catalog.register(entry)

    def removed(download: Download) -> None:
        models.catalog.unregister(model_id_for(download))
        if download.path:
            words.pop(str(Path(download.path).resolve()), None)
            bases.pop(str(Path(download.path).resolve()), None)
        if download.model_type in LORA_TYPES:
            models.loras.scan()

    models.loras.known_words = known_words
    models.loras.known_base = known_base
    civitai.on_download(completed, removed)
