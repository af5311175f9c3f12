"""Existing model folders: a ComfyUI or A1111/Forge `models` folder, used where its files lie.

The user names folders (`HOLLYWOOL_MODEL_FOLDERS`, or the models-folder action, kept in the settings).
Every weights file under a folder's known subfolders is identified from its header alone: its role
(checkpoint, diffusion model, text encoder, VAE, LoRA), its family and its precision. Checkpoints, and
diffusion models whose text encoders and VAE (and any further parts their family declares: LTX-2's audio VAE and
text connectors, in `vae/` and `text_encoders/`) lie beside them, become catalogue entries that point at
the files; LoRAs join the LoRA library. Nothing is copied or written there, and a file whose real path
(after links) leaves the folder the user named is left out.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from hollywool.errors import InvalidInputError
from hollywool.models import families
from hollywool.models.catalog import Catalog, ModelEntry
from hollywool.models.families.split import SplitFiles
from hollywool.models.loras import LoraLibrary, detect_base
from hollywool.models.single_file import detect
from hollywool.models.split_files import (
    carries,
    has_piece,
    is_diffusion_model_only,
    needed_slots,
    read_file,
    recommended_sampling,
    split_config,
)
from hollywool.models.text_encoders import LABELS, config_width, detect_kind
from hollywool.models.weight_files import WeightFile, is_weight_file, read_weight_file
from hollywool.storage.preferences import PreferencesRepository

log = logging.getLogger("hollywool.models")

Role = Literal["checkpoint", "diffusion_model", "text_encoder", "vae", "lora"]
Layout = Literal["comfyui", "a1111"]
LORA_SOURCE = "models-folder"

# Subfolder name (lower case) -> what it holds. ComfyUI's names (and their older ones), then A1111/Forge's.
SUBFOLDERS: dict[str, Role] = {
    "checkpoints": "checkpoint",
    "diffusion_models": "diffusion_model",
    "unet": "diffusion_model",
    "text_encoders": "text_encoder",
    "clip_vision": "text_encoder",  # image encoders a pipeline takes beside its text encoders (SigLIP)
    "clip": "text_encoder",
    "vae": "vae",
    "loras": "lora",
    "stable-diffusion": "checkpoint",  # A1111 and Forge (Forge keeps FLUX diffusion models here too)
    "lora": "lora",
    "lycoris": "lora",
    "text_encoder": "text_encoder",  # Forge
}
_A1111_MARKERS = {"stable-diffusion", "lora", "lycoris"}
# Latent channels -> the families whose VAE has them, by a hint in the file name ("" matches any name).
# Families with split files say theirs (SplitFiles.vae_channels); SD's and SDXL's VAEs are told apart by name.
_NAMED_VAES: dict[int, tuple[tuple[str, str], ...]] = {4: (("xl", "sdxl"), ("", "sd"))}


@dataclass
class FoundFile:
    path: Path
    role: Role
    family: str | None  # the family id it belongs to (a LoRA: the family it fits); None when it cannot be told
    detail: str  # "FLUX.1 schnell", "T5 text encoder", "SDXL LoRA", ...
    precision: str  # bf16, fp16, fp32, fp8, Q8_0, Q4_K ...
    size_bytes: int
    model_id: str | None = None  # its catalogue id, when it became a model
    problem: str | None = None  # why it is not usable as it is
    text_encoders: list[Path] = field(default_factory=list[Path])  # paired with a diffusion model
    vae: Path | None = None
    parts: list[Path] = field(default_factory=list[Path])  # files of further parts paired with it (LTX-2's audio VAE)
    carries: tuple[str, ...] = ()  # a part file: the parts it holds ("audio_vae", "vocoder")


@dataclass
class ModelFolder:
    path: Path  # the folder as the user named it
    root: Path  # the `models` folder scanned (the named one, or its `models/` subfolder)
    layout: Layout
    files: list[FoundFile]
    from_env: bool = False


def models_root(path: Path) -> tuple[Path, Layout]:
    """The `models` folder at `path` (or in it) and its layout; InvalidInputError naming `path` otherwise."""
    if not path.is_absolute():
        raise InvalidInputError(f"path: {path} is not an absolute path", field="path")
    if not path.is_dir():
        raise InvalidInputError(f"path: {path} is not a folder", field="path")
    for root in (path, path / "models"):
        names: set[str] = {p.name.lower() for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()
        if names & _A1111_MARKERS:
            return root, "a1111"
        if names & set(SUBFOLDERS):
            return root, "comfyui"
    raise InvalidInputError(
        f"path: {path} is not a ComfyUI or A1111/Forge models folder (it has none of "
        "checkpoints/, diffusion_models/, loras/, Stable-diffusion/, Lora/ ...)",
        field="path",
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except OSError:
        return False


def _weight_files(root: Path) -> list[tuple[Path, Role]]:
    """(file, the role of its subfolder) for every weights file that stays inside `root`."""
    real_root = root.resolve()
    found: list[tuple[Path, Role]] = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower() in SUBFOLDERS):
        role = SUBFOLDERS[sub.name.lower()]
        for folder, dirs, names in os.walk(sub):  # links to folders are not followed
            dirs.sort()
            for name in sorted(names):
                path = Path(folder) / name
                if is_weight_file(path) and path.is_file() and _inside(path, real_root):
                    found.append((path, role))
    return found


# Causal video VAEs (3-D convolutions): Wan's, and Qwen-Image's, which is Wan 2.1's.
_VIDEO_VAES = {"AutoencoderKLWan", "AutoencoderKLQwenImage", "AutoencoderKLHunyuanVideo15", "AutoencoderKLLTX2Video"}


def _latent_channels(weights: WeightFile) -> tuple[int, bool] | None:
    """(latent channels, whether it is a video VAE): the decoder's input convolution, in diffusers'/LDM names
    (2-D) or Wan's original ones (`decoder.conv1`, 3-D)."""
    for key, shape in weights.shapes.items():
        if key.endswith("decoder.conv_in.weight") and len(shape) in (4, 5):
            return int(shape[1]), len(shape) == 5
        if key.endswith(("decoder.conv1.weight", "decoder.conv_in.conv.weight")) and len(shape) == 5:
            return int(shape[1]), True  # Wan's original names; HunyuanVideo 1.5's causal convolutions
    return None


def _vae_family(weights: WeightFile) -> str | None:
    for family in families.REGISTRY.all():
        markers = family.split_files.vae_markers if family.split_files else ()
        if markers and any(k.endswith(markers) for k in weights.tensors):
            return family.type
    found = _latent_channels(weights)
    if found is None:
        return None
    channels, video = found
    name = weights.path.stem.lower()
    named = [
        (hint, f.type)
        for f in families.REGISTRY.all()
        if f.split_files
        and f.split_files.vae_channels == channels
        and (f.split_files.vae_class in _VIDEO_VAES) == video
        for hint in (*f.split_files.vae_names, "")
    ] + (list(_NAMED_VAES.get(channels, ())) if not video else [])
    named.sort(key=lambda item: -len(item[0]))  # a name hint first, then any name
    return next((family for hint, family in named if hint in name), None)


def _part_file(weights: WeightFile) -> tuple[families.Family, tuple[str, ...]] | None:
    """(family, the parts it holds) for a file of further parts alone (LTX-2's audio VAE with its vocoder, its text
    connectors), which no diffusion model is in; None for any other file."""
    for family in families.REGISTRY.all():
        split = family.split_files
        held = tuple(p.component for p in split.parts if carries(p, weights)) if split else ()
        if held and family.single_file and not any(k.startswith(family.single_file.markers) for k in weights.tensors):
            return family, held
    return None


def _lora_family(weights: WeightFile) -> tuple[str | None, str]:
    base = detect_base(weights.shapes, weights.metadata)
    fits = next((f for f in families.REGISTRY.all() if base and base in f.lora_bases), None)
    return (fits.type, f"{fits.lora_bases[base]} LoRA") if fits and base else (None, "LoRA of an unknown base")


def identify(path: Path, role: Role) -> FoundFile:
    """What a file is, from its header; a file that cannot be read or told is listed with its problem."""
    size = path.stat().st_size
    try:
        weights = read_weight_file(path)
    except (OSError, ValueError) as exc:
        return FoundFile(path, role, None, "unreadable", "unknown", size, problem=f"cannot be read ({exc})")
    precision = weights.precision
    if role == "lora":
        family, detail = _lora_family(weights)
        return FoundFile(path, role, family, detail, precision, size)
    part = _part_file(weights)
    if part is not None:  # in vae/, text_encoders/ or checkpoints/ (ComfyUI's LTX loaders list that folder)
        family, held = part
        labels = [p.label for p in family.split_files.parts if p.component in held] if family.split_files else []
        role = "vae" if "audio_vae" in held else "text_encoder"
        detail = f"{family.label} {' and '.join(labels)}"
        return FoundFile(path, role, family.type, detail, precision, size, carries=held)
    if role == "text_encoder":
        kind = detect_kind(weights.shapes)
        detail = f"{LABELS.get(kind[0], kind[0])} text encoder" if kind else "not a text encoder the studio knows"
        return FoundFile(path, role, None, detail, precision, size, problem=None if kind else detail)
    if role == "vae":
        family = _vae_family(weights)
        return FoundFile(
            path, role, family, "VAE", precision, size, problem=None if family else "VAE of an unknown family"
        )
    try:
        found, _config, detail = detect(path)
    except InvalidInputError as exc:
        return FoundFile(path, role, None, "unknown", precision, size, problem=exc.message)
    role = "diffusion_model" if found.split_files and is_diffusion_model_only(weights) else "checkpoint"
    return FoundFile(path, role, found.type, detail, precision, size)


def _slot_width(config: str, component: str) -> int | None:
    try:
        text = resources.files("hollywool.catalog").joinpath(f"configs/{config}/{component}/config.json").read_text()
        return config_width(json.loads(text))
    except (OSError, ValueError):
        return None


def _shipped(config: str) -> Path | None:
    folder = resources.files("hollywool.catalog").joinpath(f"configs/{config}")
    return Path(str(folder)) if folder.is_dir() else None


def lacks_text_encoders(model: FoundFile) -> bool:
    """A checkpoint of a family assembled from split files that holds no text encoder of its own (LTX-2's: the
    transformer, VAEs and vocoder, with Gemma 3 in a file beside it)."""
    family = families.REGISTRY.get(model.family or "")
    split = family.split_files if family else None
    if split is None or not split.text_encoders:
        return False
    names = read_weight_file(model.path).tensors
    return not any(
        s.checkpoint_prefix and any(k.startswith(s.checkpoint_prefix) for k in names) for s in split.text_encoders
    )


def pair(model: FoundFile, files: list[FoundFile], vae: bool = True) -> None:
    """Give a diffusion model the text encoders and the VAE of its family found in the same folder
    (by kind, then width, a name hint, the model's own precision, the name), or say what is missing.
    `vae=False`: a checkpoint that carries its VAE, paired with text encoders only."""
    family = families.REGISTRY.get(model.family or "")
    split = family.split_files if family else None
    if family is None or split is None:
        model.problem = "a diffusion model of a family that is not assembled from split files"
        return
    encoders = {f.path: read_weight_file(f.path) for f in files if f.role == "text_encoder" and not f.problem}
    kinds = {path: detect_kind(w.shapes) for path, w in encoders.items()}
    missing: list[str] = []
    config = split_config(split, read_weight_file(model.path))
    for slot in needed_slots(split, _shipped(config)):
        width = _slot_width(config, slot.component)
        fits = [p for p, k in kinds.items() if k and k[0] == slot.kind and p not in model.text_encoders]
        fits = [p for p, k in kinds.items() if p in fits and k and k[1] == width] or fits
        fits.sort(key=lambda p: (not any(n in p.stem.lower() for n in slot.names),
                                 encoders[p].precision != model.precision, p.name))  # fmt: skip
        if fits:
            model.text_encoders.append(fits[0])
        else:
            hint = f" (such as {slot.names[0]}.safetensors)" if slot.names else ""
            missing.append(f"a {LABELS.get(slot.kind, slot.kind)} text encoder{hint}")
    same = split.same_release or _any_release  # LTX-2's and LTX-2.3's VAEs do not fit each other
    vaes = sorted(
        (
            f
            for f in files
            if f.role == "vae" and not f.carries and f.family and f.family in (family.type, split.vae_family)
        ),
        key=lambda f: (
            not same(model.path.name, f.path.name),
            not any(n in f.path.stem.lower() for n in split.vae_names),
            f.path.name,
        ),
    )
    model.vae = vaes[0].path if vaes and vae else None
    if model.vae is None and vae:
        missing.append(f"a {family.label} VAE")
    missing += _pair_parts(model, files, split)
    if missing:
        model.problem = "needs " + " and ".join(missing) + " beside it (text_encoders/, vae/)"


def _any_release(_model: str, _other: str) -> bool:
    return True


def _pair_parts(model: FoundFile, files: list[FoundFile], split: SplitFiles) -> list[str]:
    """Give the model the files of the parts its own file does not carry (the best named for each: its release, a name
    hint, its precision); what is missing, said with a published file that has it."""
    weights = read_file(model.path)
    same = split.same_release or _any_release
    missing: list[str] = []
    for part in split.parts:
        if carries(part, weights) and all(has_piece(weights, piece) for piece in part.pieces):
            continue  # a whole checkpoint's own
        fits = [f for f in files if f.family == model.family and part.component in f.carries]
        fits.sort(key=lambda f: (not same(model.path.name, f.path.name),
                                 not any(n in f.path.stem.lower() for n in part.names),
                                 f.precision != model.precision, f.path.name))  # fmt: skip
        if fits:
            if fits[0].path not in model.parts:
                model.parts.append(fits[0].path)
        else:
            missing.append(f"its {part.label} (such as {part.example})" if part.example else f"its {part.label}")
    return missing


def scan(path: Path, from_env: bool = False) -> ModelFolder:
    root, layout = models_root(path)
    files = [identify(p, role) for p, role in _weight_files(root)]
    for model in files:
        if model.role == "diffusion_model" and not model.problem:
            pair(model, files)
        elif model.role == "checkpoint" and not model.problem and lacks_text_encoders(model):
            pair(model, files, vae=False)
    return ModelFolder(path, root, layout, files, from_env)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "model"


def entry_for(found: FoundFile, model_id: str) -> ModelEntry:
    family = families.REGISTRY.get(found.family or "")
    assert family is not None
    sampling = recommended_sampling(found.path, family)
    return ModelEntry(
        id=model_id,
        name=found.path.stem,
        path=str(found.path),
        type=family.type,
        text_encoders=[str(p) for p in found.text_encoders],
        vae=str(found.vae) if found.vae else None,
        parts=[str(p) for p in found.parts],
        extra={"call": dict(sampling.call)} if sampling.call else {},
        config=None,
        files=None,
        default_steps=sampling.steps,
        default_guidance=sampling.guidance,
        category="video" if isinstance(family, families.VideoFamily) else "quality",
        size_gb=round(found.size_bytes / 1024**3, 2),
        memory_gb=round(found.size_bytes / 1024**3, 2),
        description=f"{found.detail}, {found.precision}, from {found.path.parent}",
    )


class ModelFolders:
    """The folders the user named: scanned on demand, their models in the catalogue, their LoRAs in the library."""

    def __init__(
        self, catalog: Catalog, loras: LoraLibrary, env_folders: tuple[Path, ...], prefs: PreferencesRepository
    ):
        self.catalog = catalog
        self.loras = loras
        self.env_folders = env_folders
        self.prefs = prefs  # the folders added through the API are kept in the settings (`model_folders`)
        self._lora_base = list(loras.folders)
        self._registered: list[str] = []
        self._refreshing = threading.Lock()
        self.folders: list[ModelFolder] = []

    def named(self) -> list[tuple[Path, bool]]:
        """(folder, from the environment) for each folder, once."""
        seen: dict[Path, bool] = {p: True for p in self.env_folders}
        for raw in self.prefs.get().model_folders:
            seen.setdefault(Path(raw), False)
        return list(seen.items())

    def add(self, path: str) -> ModelFolder:
        """Scan a folder (a 422 naming `path` when it is not a models folder), keep it in the settings, list it."""
        folder = Path(path).expanduser()
        scan(folder)  # refuses what is not a models folder before anything is kept
        stored = self.prefs.get().model_folders
        if str(folder) not in stored:
            self.prefs.update({"model_folders": [*stored, str(folder)]})
        return next(f for f in self.refresh() if f.path == folder)

    def remove(self, path: str) -> list[ModelFolder]:
        stored = self.prefs.get().model_folders
        if path not in stored:
            named = ", ".join(stored) or "none"
            raise InvalidInputError(f"path: {path} is not a models folder added here (added: {named})", field="path")
        self.prefs.update({"model_folders": [p for p in stored if p != path]})
        return self.refresh()

    def refresh(self) -> list[ModelFolder]:
        """Scan every folder again: the catalogue and the LoRA library then hold exactly what they have. One refresh
        at a time (the folder list and a folder's POST both refresh), and the catalogue swaps its entries at once."""
        with self._refreshing:
            return self._refresh()

    def _refresh(self) -> list[ModelFolder]:
        scanned: list[ModelFolder] = []
        for path, from_env in self.named():
            try:
                scanned.append(scan(path, from_env))
            except (InvalidInputError, OSError) as exc:
                log.warning("Models folder %s left out: %s", path, exc)
        taken = {e.id for e in self.catalog.all()} - set(self._registered)
        entries: list[ModelEntry] = []
        for folder in scanned:
            for found in folder.files:
                if found.role not in ("checkpoint", "diffusion_model") or found.family is None or found.problem:
                    continue
                model_id = base = "local-" + _slug(str(found.path.relative_to(folder.root).with_suffix("")))
                n = 2
                while model_id in taken:
                    model_id, n = f"{base}-{n}", n + 1
                entries.append(entry_for(found, model_id))
                found.model_id = model_id
                taken.add(model_id)
        self.catalog.swap(self._registered, entries)
        self._registered = [e.id for e in entries]
        lora_dirs = [
            (folder.root / sub, LORA_SOURCE)
            for folder in scanned
            for sub in sorted(
                p.name
                for p in folder.root.iterdir()
                if SUBFOLDERS.get(p.name.lower()) == "lora" and _inside(p, folder.root.resolve())
            )
        ]
        self.loras.folders = self._lora_base + lora_dirs
        self.loras.scan()
        self.folders = scanned
        return scanned
