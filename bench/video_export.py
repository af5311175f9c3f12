"""Video export benchmark: H.264 encode speed of 49 frames at 512x512, with and without AAC audio.

.venv/bin/python bench/video_export.py [--frames 49] [--size 512] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hollywool.media.video import write_mp4  # noqa: E402


def synthetic_frames(count: int, size: int) -> list[np.ndarray]:
    """A moving colour gradient with some texture: closer to generated video than pure noise."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    rng = np.random.default_rng(0)
    grain = rng.normal(0, 6, (size, size, 1)).astype(np.float32)
    frames = []
    for i in range(count):
        phase = i / count * 2 * np.pi
        rgb = np.stack([np.sin(x * 6 + phase), np.cos(y * 5 - phase), np.sin((x + y) * 4 + phase)], axis=-1)
        frames.append(np.clip((rgb + 1) * 127.5 + grain, 0, 255).astype(np.uint8))
    return frames


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=49)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    frames = synthetic_frames(args.frames, args.size)
    audio = (np.sin(np.linspace(0, 2 * np.pi * 440 * 2, 2 * 44100)) * 0.3).astype(np.float32)[None].repeat(2, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for label, kwargs in (("video only", {}), ("with AAC audio", {"audio": audio, "sample_rate": 44100})):
            times = []
            for r in range(args.repeat):
                t = time.perf_counter()
                write_mp4(Path(tmp) / f"{r}.mp4", frames, 24, **kwargs)
                times.append(time.perf_counter() - t)
            med = statistics.median(times)
            print(
                f"encode {args.frames} frames {args.size}x{args.size} ({label}): "
                f"{args.frames / med:.1f} frames/s (median {med:.3f} s of {args.repeat})"
            )


if __name__ == "__main__":
    main()
