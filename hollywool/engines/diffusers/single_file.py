"""Single-file checkpoints (A1111 / Civitai `.safetensors`): which architecture, and offline loading.

The architecture is read from the checkpoint's key names (header only, no weights loaded). Loading
uses the concrete pipeline class's `from_single_file` with a local `config=` folder: the entry's own
`config` when given, else the folder shipped with the package for that architecture, materialised
once under `<data dir>/configs/` with CLIP tokenizer files derived from the shipped BPE vocabulary.
"""

from __future__ import annotations

import gzip
import json
import shutil
from importlib import resources
from pathlib import Path

from hollywool.engines.diffusers.families import FAMILIES
from hollywool.engines.diffusers.safetensors_header import read_header
from hollywool.errors import InvalidInputError, StudioError

# (key prefix that only this architecture has, catalogue model type), most specific first.
_ARCH_MARKERS = (
    ("double_blocks.", "flux"),
    ("model.diffusion_model.double_blocks.", "flux"),
    ("model.diffusion_model.joint_blocks.", "sd3"),
    ("joint_blocks.", "sd3"),
    ("conditioner.embedders.1.", "sdxl"),
    ("cond_stage_model.transformer.", "sd"),
    ("cond_stage_model.model.", "sd"),  # SD 2.x (OpenCLIP-H)
)
_SD2_MARKER = "cond_stage_model.model."
# The first cross-attention's key projection: (320, 768) in SD 1.x, (320, 1024) in SD 2.x (OpenCLIP-H).
_SD_CROSS_ATTN_K = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"
SD2 = "SD 2.x"


def detect_architecture(path: Path) -> tuple[str, str]:
    """(model type, detail) of a checkpoint: ("sdxl", "SDXL"), ("sd", "SD 2.x"), ..."""
    try:
        shapes, _ = read_header(path)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{path.name}: cannot read checkpoint ({exc})") from None
    for prefix, model_type in _ARCH_MARKERS:
        if any(k.startswith(prefix) for k in shapes):
            sd2 = prefix == _SD2_MARKER or (model_type == "sd" and _context_dim(shapes) == 1024)
            return model_type, SD2 if sd2 else FAMILIES[model_type].label
    raise InvalidInputError(f"{path.name}: not a Stable Diffusion, SDXL, SD3 or FLUX checkpoint")


def _context_dim(shapes: dict) -> int | None:
    shape = shapes.get(_SD_CROSS_ATTN_K)
    return int(shape[-1]) if shape and len(shape) == 2 else None


def config_arch(model_type: str, detail: str) -> str | None:
    """The shipped config folder for a detected checkpoint: sd15, sd2 (768 v-prediction), sdxl."""
    return "sd2" if detail == SD2 else FAMILIES[model_type].single_file_config


def _bpe_vocab() -> tuple[dict[str, int], list[str]]:
    """CLIP's vocab.json and merges, built the way OpenAI's SimpleTokenizer builds them."""
    from hollywool.engines.diffusers.bpe import bytes_to_unicode

    raw = resources.files("hollywool.catalog").joinpath("configs/clip/bpe_simple_vocab_16e6.txt.gz").read_bytes()
    merges = gzip.decompress(raw).decode("utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
    symbols = list(bytes_to_unicode().values())
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m.split(" ")) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {token: i for i, token in enumerate(vocab)}, merges


def shipped_config(arch: str, configs_root: Path) -> Path:
    """The shipped config folder for `arch` (sd15, sd2, sdxl), complete with tokenizer files."""
    target = configs_root / arch
    if (target / ".complete").exists():
        return target
    source = resources.files("hollywool.catalog").joinpath(f"configs/{arch}")
    if not source.is_dir():
        raise StudioError(f"no shipped config folder for {arch!r}")
    staging = configs_root / f".{arch}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    with resources.as_file(source) as src:
        shutil.copytree(src, staging)
    vocab, merges = _bpe_vocab()
    for tokenizer_dir in staging.glob("tokenizer*"):
        (tokenizer_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        (tokenizer_dir / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    (staging / ".complete").write_text("1")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def load_single_file(path: Path, model_type: str, config: str | None, configs_root: Path, dtype):  # noqa: ANN001, ANN201
    import diffusers

    found, detail = detect_architecture(path)
    family = FAMILIES[model_type]
    if found != model_type:
        raise InvalidInputError(
            f"{path.name} is a {detail} checkpoint but its catalogue entry says type {model_type!r}; "
            f"set `type: {found}`"
        )
    arch = config_arch(found, detail)
    if config:
        config_dir = Path(config).expanduser()
    elif arch:
        config_dir = shipped_config(arch, configs_root)
    else:
        raise InvalidInputError(
            f"{path.name}: loading a {detail} single file offline needs a diffusers config folder; "
            "set `config:` in its catalogue entry to a folder of that model (JSON and tokenizer files)"
        )
    pipeline_cls = getattr(diffusers, family.pipeline)
    return pipeline_cls.from_single_file(str(path), config=str(config_dir), local_files_only=True, dtype=dtype)
