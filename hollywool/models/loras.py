"""LoRAs: found in the LoRA and Civitai folders, identified from their keys, applied per job.

Identification reads only the safetensors header (names, shapes, metadata), so scanning is cheap and
needs no torch. A LoRA's base architecture decides which model types it fits; a mismatch is refused
at submit time with a message naming both.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hollywool.errors import InvalidInputError, StudioError
from hollywool.models import families, lora_formats
from hollywool.models.families.base import lora_architecture
from hollywool.models.safetensors_header import read_header

# Width of the text embedding that the UNet's cross-attention reads, for real-size models.
_CROSS_ATTENTION_WIDTH = {768: "sd1", 1024: "sd2", 2048: "sdxl"}
_LORA_KEY = re.compile(r"(lora_(A|B|up|down)\b|\.lora\.(up|down)|hada_w|lokr_w|\.alpha$)")


@dataclass
class LoraInfo:
    id: str
    name: str
    path: str
    base: str | None  # sd1, sd2, sdxl, sd3, flux, flux2, chroma, ...; None when it cannot be told
    format: str  # diffusers, peft, kohya, comfyui, other (models/lora_formats.py)
    size_bytes: int
    source: str  # loras, civitai
    model_types: list[str]
    trigger_words: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def base_label(base: str) -> str:
    """What a person calls a LoRA base ("sd1" -> "SD 1.x"), as the family that takes it says."""
    for family in families.REGISTRY.all():
        if base in family.lora_bases:
            return family.lora_bases[base]
    found = families.family(base)  # a family that takes no LoRAs yet, named by Civitai (LTX-2)
    return found.label if found else base


def detect_base(shapes: dict[str, list[int]], metadata: dict[str, str]) -> str | None:
    """The base architecture a LoRA was trained on, from metadata first, then key names and shapes."""
    meta = lora_architecture(metadata)
    for marker, base in (("flux-2", "flux2"), ("flux.2", "flux2"), ("flux2", "flux2"), ("chroma", "chroma")):
        if marker in meta:
            return base
    for marker, base in (("flux", "flux"), ("sd3", "sd3"), ("xl", "sdxl"), ("sd_v2", "sd2"), ("sd_v1", "sd1")):
        if marker in meta:
            return base
    keys = list(shapes)
    joined = "\n".join(keys)
    if "to_qkv_mlp_proj" in joined or "ff.linear_in" in joined:  # FLUX.2's fused single-block and MLP names
        return "flux2"
    if "single_transformer_blocks" in joined or "single_blocks" in joined or "double_blocks" in joined:
        return "flux"
    if (
        "transformer_blocks" in joined
        and ("transformer." in joined or "joint_blocks" in joined)
        and "unet" not in joined
    ):
        return "sd3"
    if "lora_te2_" in joined or "text_encoder_2." in joined:
        return "sdxl"
    for key, shape in shapes.items():  # cross-attention input width, real-size models only
        if re.search(r"attn2[._]to_k[._]lora(_A|_down|\.down)", key) and len(shape) == 2:
            base = _CROSS_ATTENTION_WIDTH.get(shape[1])
            if base:
                return base
    # Block layout: SD 1.x/2.x have attention in the first down block, SDXL only from the second.
    if re.search(r"down_blocks[._]0[._]attentions|input_blocks[._]1[._]1[._]", joined):
        return "sd1"
    if re.search(r"down_blocks[._][12][._]attentions|input_blocks[._]4[._]1[._]", joined):
        return "sdxl"
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "lora"


class LoraLibrary:
    def __init__(self, folders: list[tuple[Path, str]]):
        self.folders = folders
        self._lock = threading.Lock()
        self._items: dict[str, LoraInfo] | None = None
        self._registered: dict[str, LoraInfo] = {}  # files found elsewhere (a GPU worker's job brings them)
        # Trigger words known from elsewhere (Civitai's trained words) for files that carry none.
        self.known_words: Callable[[Path], list[str]] = lambda _path: []
        # The base a file's source says (Civitai's base model), asked when no family claims its keys.
        self.known_base: Callable[[Path], str | None] = lambda _path: None

    def scan(self) -> list[LoraInfo]:
        found: dict[str, LoraInfo] = {}
        for folder, source in self.folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*.safetensors")):
                if source == "models-folder" and not path.resolve().is_relative_to(folder.resolve()):
                    continue  # a link out of a models folder the user named (model_folders.py)
                info = self._identify(path, folder, source)
                if info is None:
                    continue
                if info.id in found:  # same name in two folders: qualify with the folder
                    info.id = _slug(f"{path.parent.name}-{info.id}")
                found.setdefault(info.id, info)
        with self._lock:
            self._items = found
        return list(found.values())

    def _identify(self, path: Path, root: Path, source: str) -> LoraInfo | None:
        try:
            shapes, metadata = read_header(path)
        except (OSError, ValueError):
            return None
        if not shapes or not any(_LORA_KEY.search(k) for k in shapes):
            return None  # a checkpoint or an embedding, not a LoRA
        diffusers_folder = path.name == "pytorch_lora_weights.safetensors"
        name = path.parent.name if diffusers_folder else path.stem
        # A family's own markers first; then the source's word, which beats the generic guesses of detect_base.
        base = lora_formats.marked_base(shapes, metadata) or self.known_base(path) or detect_base(shapes, metadata)
        words = [w.strip() for w in metadata.get("ss_trigger_words", "").split(",") if w.strip()]
        words = words or self.known_words(path)
        return LoraInfo(
            id=_slug(name),
            name=metadata.get("ss_output_name") or name,
            path=str(path),
            base=base,
            format=lora_formats.layout(list(shapes)),
            size_bytes=path.stat().st_size,
            source=source,
            model_types=[
                f.type
                for f in families.REGISTRY.all()
                if (f.medium == "image" or f.lora_bases) and (base is None or base in f.lora_bases)
            ],
            trigger_words=words,
        )

    def identify(self, path: Path, source: str) -> LoraInfo | None:
        """A LoRA file outside the LoRA folders (a preset's file in the hub cache), or None when it is none."""
        return self._identify(path, path.parent, source)

    def register(self, info: LoraInfo) -> None:
        """Known under its id from now on, whatever the folders hold."""
        with self._lock:
            self._registered[info.id] = info

    def all(self, model_type: str | None = None) -> list[LoraInfo]:
        with self._lock:
            items = self._items
            registered = dict(self._registered)
        if items is None:
            items = {i.id: i for i in self.scan()}
        items = {**items, **registered}
        return [i for i in items.values() if model_type is None or model_type in i.model_types]

    def get(self, lora_id: str, field: str = "loras") -> LoraInfo:
        for info in self.all():
            if info.id == lora_id:
                return info
        self.scan()  # a file added since the last scan
        for info in self.all():
            if info.id == lora_id:
                return info
        known = ", ".join(sorted(i.id for i in self.all())) or "none (put .safetensors files in the LoRA folder)"
        raise InvalidInputError(f"{field}: unknown LoRA {lora_id!r}; known LoRAs: {known}", field=field)

    def check_compatible(self, lora_id: str, model_type: str, model_id: str, field: str) -> LoraInfo:
        info = self.get(lora_id, field)
        family = families.family(model_type)
        if family is None:
            raise InvalidInputError(f"{field}: {model_id!r} takes no LoRAs", field=field)
        if info.base is not None and info.base not in family.lora_bases:
            base = base_label(info.base)
            raise InvalidInputError(
                f"{field}: LoRA {lora_id!r} was made for {base} models and cannot be used with "
                f"{model_id!r}, a {family.label} model. Pick a {family.label} LoRA or a {base} model.",
                field=field,
            )
        return info


class AppliedLoras:
    """Loads a job's LoRAs into a pipeline for the duration of a `with` block, then removes them."""

    def __init__(
        self,
        pipe: Any,
        loras: list[tuple[LoraInfo, float]],
        model_id: str,
        family: families.Family | None = None,
        second_expert: frozenset[int] = frozenset(),  # positions in `loras` that go into `transformer_2`
    ):
        self.pipe = pipe
        self.loras = loras
        self.model_id = model_id
        self.family = family
        self.second_expert = second_expert

    def __enter__(self) -> AppliedLoras:
        if not self.loras:
            return self
        names: list[str] = []
        weights: list[float] = []
        try:
            for n, (info, weight) in enumerate(self.loras):
                adapter = f"hw{n}_{re.sub(r'[^A-Za-z0-9_]', '_', info.id)}"
                extra = {"load_into_transformer_2": True} if n in self.second_expert else {}
                lora_formats.load(self.pipe, info.path, adapter, self.family, **extra)
                names.append(adapter)
                weights.append(weight)
            self.pipe.set_adapters(names, adapter_weights=weights)
        except Exception as exc:
            self._remove()
            lora = self.loras[len(names)][0].id if len(names) < len(self.loras) else "?"
            raise StudioError(f"LoRA {lora!r} does not fit model {self.model_id!r}: {exc}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        if self.loras:
            self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(Exception):  # nothing was loaded
            self.pipe.unload_lora_weights()
