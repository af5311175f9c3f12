"""What the video engine needs to know about a family, as data.

The diffusers video pipelines share one call shape, so a family is the facts that differ: which
pipeline class, the frame-count form (4k+1, 8k+1, 6k+1...), the size multiple and maxima, the default
frame rate, which reference images it uses, and how its final latents become frames (and audio).
Defaults describe the released models; `facts_from_folder` reads the real values from a local model's
configs (a distilled or tiny model may compress time differently), and a catalogue entry's `extra`
may override any of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from hollywool.models.families.base import Family, LatentRGB, Medium, Task


@dataclass(frozen=True)
class Decoded:
    frames: Any  # whatever the VAE/postprocessor gives; media.video.normalize_frames handles every shape
    audio: Any = None  # float (channels, samples) in [-1, 1], or None
    sample_rate: int | None = None


@dataclass(frozen=True)
class Rules:
    """The limits one model enforces; every invalid request is answered with the nearest valid values."""

    frame_step: int  # valid frame counts are frame_step * k + 1 (1 means any count)
    max_frames: int
    default_frames: int
    size_multiple: int
    max_width: int
    max_height: int
    fps: float
    default_size: tuple[int, int] = (768, 512)
    fixed_size: tuple[int, int] | None = None  # learned positions: only this width x height works

    @property
    def frame_form(self) -> str:
        return "any count" if self.frame_step == 1 else f"{self.frame_step}k+1"

    def valid_frames(self) -> list[int]:
        if self.frame_step == 1:
            return list(range(1, self.max_frames + 1))
        return list(range(1, self.max_frames + 1, self.frame_step))

    def nearest_frames(self, n: int) -> list[int]:
        valid = [v for v in self.valid_frames() if v > 1] or [1]
        best = min(abs(v - n) for v in valid)
        return [v for v in valid if abs(v - n) == best]

    def snap_frames(self, n: float) -> int:
        return self.nearest_frames(round(n))[-1]


@dataclass(frozen=True)
class LatentPreview:
    """How the latents a step callback receives become one frame's latent channels for a live preview.

    `layout` names the axes of the (unpacked) latents: diffusers' video pipelines disagree on whether
    frames or channels come first. `unpack` turns packed token latents back into that layout. `rgb` is a
    community-fitted channels-by-3 projection; without one (or when a model's channel count differs, as
    in tiny test models) the preview falls back to a normalised mean of three channel groups.
    """

    layout: Literal["BCFHW", "BFCHW"] = "BCFHW"
    unpack: Callable[[Any, Any, dict[str, Any]], Any] | None = None  # (pipe, latents, meta) -> unpacked
    rgb: LatentRGB | None = None


@dataclass(frozen=True, kw_only=True)
class VideoFamily(Family):
    rules: Rules
    text_to_video: bool = True
    i2v_pipeline: str | None = None  # class for image-to-video (None: the model cannot start from images)
    max_references: int = 0  # reference images the model uses
    references_doc: str = ""  # which reference images are used, and how (shown in the API docs)
    prompt: bool = True
    negative_prompt: bool = True
    audio: bool = False
    # Extra keyword arguments of the pipeline call, from the job's resolved params and its images.
    call_args: Callable[[Any, Rules, list[Any]], dict[str, Any]] = lambda _p, _r, _i: {}
    # Keyword arguments read from the loaded pipeline (e.g. the text length its transformer was built for).
    pipe_args: Callable[[Any], dict[str, Any]] = lambda _pipe: {}
    # Final latents of a run: output_type="latent" result -> {"video": tensor, "audio": tensor | None}.
    latents_of: Callable[[Any], dict[str, Any]] = lambda out: {"video": out.frames, "audio": None}
    # Saved latents -> frames (and audio); `low_memory` asks for the family's smallest decode.
    decode: Callable[[Any, dict[str, Any], dict[str, Any], bool], Decoded]
    # Facts read from a local model folder's configs (frame step, size multiple, fixed size, maxima).
    facts_from_folder: Callable[[dict[str, dict[str, Any]]], dict[str, Any]] = lambda _cfg: {}
    config_files: tuple[str, ...] = ("vae", "transformer")
    preview: LatentPreview = LatentPreview()

    @property
    def medium(self) -> Medium:
        return "video"

    @property
    def tasks(self) -> dict[Task, str]:
        tasks: dict[Task, str] = {"text-to-video": self.pipeline} if self.text_to_video else {}
        if self.i2v_pipeline:
            tasks["image-to-video"] = self.i2v_pipeline
        return tasks

    def rules_for(self, path: str, extra: dict[str, Any] | None = None) -> Rules:
        """This family's rules for one model: defaults, then its folder's configs, then catalogue extras."""
        facts: dict[str, Any] = {}
        folder = Path(path).expanduser()
        if folder.is_dir():
            configs: dict[str, dict[str, Any]] = {}
            for name in self.config_files:
                cfg = folder / name / "config.json"
                if cfg.is_file():
                    try:
                        configs[name] = json.loads(cfg.read_text())
                    except (OSError, ValueError):
                        continue
            facts.update(self.facts_from_folder(configs))
        known = set(Rules.__dataclass_fields__)
        facts.update({k: v for k, v in (extra or {}).items() if k in known})
        if "fixed_size" in facts and facts["fixed_size"] is not None:
            facts["fixed_size"] = tuple(facts["fixed_size"])
        rules = replace(self.rules, **facts)
        if rules.default_frames > rules.max_frames or (rules.default_frames - 1) % rules.frame_step:
            rules = replace(rules, default_frames=rules.snap_frames(min(rules.default_frames, rules.max_frames)))
        return rules


def postprocess(pipe: Any, video: Any) -> Any:
    """VAE output [B, C, F, H, W] in [-1, 1] -> numpy [B, F, H, W, C] in [0, 1], as the pipelines do."""
    return pipe.video_processor.postprocess_video(video=video, output_type="np")
