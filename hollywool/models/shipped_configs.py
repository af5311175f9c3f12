"""The studio's copies of the config folders shipped in the package (hollywool/catalog/configs/<name>/).

A single or split file loads offline with a diffusers config folder; the shipped ones carry JSON but no
vocabularies, so each is copied once under `<data dir>/configs/<name>/` and completed there: CLIP's vocabulary
derived from the shipped BPE file, others copied from a ComfyUI install or from a text-encoder file, or by hand.

The copy is stamped with a digest of the shipped folder. When an upgrade changes the shipped folder (a Qwen3
tokenizer_config gaining its added tokens and chat template), the copy is rebuilt from it and keeps the vocabulary
files filled in since: a stale JSON merged with a new vocabulary would give other token ids without an error.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from hollywool.errors import StudioError

MARKER = ".complete"  # holds the digest of the shipped folder the copy was made from


def shipped_config(name: str, configs_root: Path) -> Path:
    """The studio's copy of the shipped config folder `name` (sd15, sdxl, flux1, zimage ...), made or refreshed."""
    target = configs_root / name
    source = resources.files("hollywool.catalog").joinpath(f"configs/{name}")
    if not source.is_dir():
        raise StudioError(f"no shipped config folder for {name!r}")
    with resources.as_file(source) as src:
        digest = folder_digest(src)
        marker = target / MARKER
        if marker.is_file() and marker.read_text() == digest:
            return target
        staging = configs_root / f".{name}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(src, staging)
    if target.is_dir():
        _carry_vocabularies(target, staging)
    _write_clip_vocabularies(staging)
    (staging / MARKER).write_text(digest)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def folder_digest(folder: Path) -> str:
    """sha256 over the folder's relative file paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _carry_vocabularies(old: Path, staging: Path) -> None:
    """Keep the tokenizer files of an earlier copy: files the shipped folder lacks are copied over, and the earlier
    tokenizer_config.json is merged under the new shipped one (its keys win, as when ComfyUI's files are filled)."""
    for folder in sorted(p for p in old.iterdir() if p.is_dir() and p.name.startswith(("tokenizer", "processor"))):
        dest = staging / folder.name
        if not dest.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            if path.name == "tokenizer_config.json" and (dest / path.name).is_file():
                try:
                    earlier: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                except ValueError:
                    continue
                shipped: dict[str, Any] = json.loads((dest / path.name).read_text(encoding="utf-8"))
                (dest / path.name).write_text(json.dumps({**earlier, **shipped}, indent=2, ensure_ascii=False))
            elif not (dest / path.name).exists():
                shutil.copy2(path, dest / path.name)


def _write_clip_vocabularies(folder: Path) -> None:
    clip = [d for d in folder.glob("tokenizer*") if "CLIPTokenizer" in (d / "tokenizer_config.json").read_text()]
    if not clip:
        return  # a T5 or Qwen tokenizer is not derived from CLIP's vocabulary
    vocab, merges = _bpe_vocab()
    for tokenizer_dir in clip:
        (tokenizer_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        (tokenizer_dir / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")


def _bpe_vocab() -> tuple[dict[str, int], list[str]]:
    """CLIP's vocab.json and merges, built the way OpenAI's SimpleTokenizer builds them."""
    from hollywool.models.bpe import bytes_to_unicode

    raw = resources.files("hollywool.catalog").joinpath("configs/clip/bpe_simple_vocab_16e6.txt.gz").read_bytes()
    merges = gzip.decompress(raw).decode("utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
    symbols = list(bytes_to_unicode().values())
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m.split(" ")) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {token: i for i, token in enumerate(vocab)}, merges
