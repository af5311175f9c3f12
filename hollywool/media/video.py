"""MP4 files written and read in process with PyAV: H.264 video, optional AAC audio.

Every video family hands frames over in its own shape (PIL lists, numpy in [0, 1], torch tensors);
`normalize_frames` turns them all into uint8 HxWx3 arrays before encoding.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class VideoInfo:
    frame_count: int
    fps: float
    width: int
    height: int
    duration: float
    has_audio: bool
    audio_sample_rate: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        lo = float(array.min()) if array.size else 0.0
        if lo < 0:  # [-1, 1] tensors
            array = (array + 1) / 2
        return (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
    return np.clip(array, 0, 255).astype(np.uint8)


def normalize_frames(frames: Any) -> list[np.ndarray]:
    """Frames as a list of uint8 HxWx3 arrays, from PIL lists, numpy or torch, batched or not."""
    if hasattr(frames, "detach"):  # torch tensor: (F, C, H, W) or (F, H, W, C), maybe batched
        frames = frames.detach().float().cpu().numpy()
    if isinstance(frames, np.ndarray):
        arr = frames
        if arr.ndim == 5:  # (B, F, ...) -> first batch item
            arr = arr[0]
        if arr.ndim == 4 and arr.shape[1] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4):
            arr = arr.transpose(0, 2, 3, 1)  # (F, C, H, W) -> (F, H, W, C)
        arr = _to_uint8(arr)
        return [_rgb(frame) for frame in arr]
    frames = list(frames)
    if frames and isinstance(frames[0], (list, tuple)):  # [[PIL, ...]] batched
        frames = list(frames[0])
    out = []
    for frame in frames:
        if isinstance(frame, Image.Image):
            out.append(np.asarray(frame.convert("RGB")))
        else:
            out.extend(normalize_frames(np.asarray(frame)[None]))
    return out


def _rgb(frame: np.ndarray) -> np.ndarray:
    if frame.shape[-1] == 1:
        return np.repeat(frame, 3, axis=-1)
    return frame[..., :3]


def _even(frame: np.ndarray) -> np.ndarray:
    """yuv420p needs even sizes: pad the last row/column by repeating it."""
    h, w = frame.shape[:2]
    if h % 2 or w % 2:
        frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return frame


def write_mp4(
    path: Path,
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    audio: np.ndarray | None = None,
    sample_rate: int | None = None,
    crf: int = 18,
) -> VideoInfo:
    """Encode frames (uint8 HxWx3) as H.264; `audio` is float (channels, samples) in [-1, 1].

    `frames` may be a generator: frames are encoded as they come, never all held in memory.
    """
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("no frames to encode")
    height, width = _even(first).shape[:2]
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium", "movflags": "+faststart"}
        audio_stream = None
        if audio is not None and sample_rate:
            audio_stream = container.add_stream("aac", rate=int(sample_rate))
            audio_stream.layout = "stereo" if audio.shape[0] >= 2 else "mono"
        for frame in itertools.chain([first], frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(_even(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio_stream is not None:
            _encode_audio(container, audio_stream, audio, int(sample_rate))
    return probe(path)


def _encode_audio(container, stream, audio: np.ndarray, sample_rate: int) -> None:  # noqa: ANN001
    channels = 2 if audio.shape[0] >= 2 else 1
    samples = np.clip(audio[:channels].astype(np.float32), -1, 1)
    frame_size = stream.codec_context.frame_size or 1024
    for start in range(0, samples.shape[1], frame_size):
        chunk = np.ascontiguousarray(samples[:, start : start + frame_size])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo" if channels == 2 else "mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def probe(path: Path) -> VideoInfo:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        count = video.frames or sum(1 for _ in container.decode(video=0))
        fps = float(video.average_rate or video.guessed_rate or 0)
        return VideoInfo(
            frame_count=count,
            fps=fps,
            width=video.codec_context.width,
            height=video.codec_context.height,
            duration=count / fps if fps else 0.0,
            has_audio=audio is not None,
            audio_sample_rate=audio.rate if audio else None,
            video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio else None,
        )


def read_frames(path: Path) -> Iterator[np.ndarray]:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def read_audio(path: Path) -> tuple[np.ndarray, int] | None:
    """The whole audio track as float (channels, samples), or None when there is none."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray() for frame in container.decode(audio=0)]
        if not chunks:
            return None
        data = np.concatenate(chunks, axis=1).astype(np.float32)
        return data, stream.rate
