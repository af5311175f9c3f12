"""MP4 writing and reading with PyAV: every frame shape the families produce, with and without audio."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from hollywool.media.video import normalize_frames, probe, read_audio, read_frames, write_mp4


@pytest.mark.parametrize(
    "frames",
    [
        [Image.new("RGB", (32, 16), (200, 10, 10))] * 5,  # PIL list (CogVideoX, Mochi, SVD)
        [[Image.new("RGB", (32, 16), (200, 10, 10))] * 5],  # batched PIL list
        np.full((1, 5, 16, 32, 3), 0.8, dtype=np.float32),  # Wan: numpy (B, F, H, W, C) in [0, 1]
        torch.full((5, 3, 16, 32), 0.6),  # torch (F, C, H, W) in [-1, 1]
    ],
    ids=["pil", "pil-batched", "numpy", "torch"],
)
def test_frames_of_every_shape_normalise_to_uint8_rgb(frames):
    out = normalize_frames(frames)
    assert len(out) == 5
    assert all(f.shape == (16, 32, 3) and f.dtype == np.uint8 for f in out)


def test_mp4_round_trip_with_audio(tmp_path):
    frames = [np.full((32, 48, 3), i * 20, dtype=np.uint8) for i in range(9)]
    t = np.linspace(0, 1, 16000, dtype=np.float32)
    audio = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 220 * t)]) * 0.5
    info = write_mp4(tmp_path / "a.mp4", frames, 24, audio=audio, sample_rate=16000)
    assert (info.frame_count, info.fps, info.width, info.height) == (9, 24.0, 48, 32)
    assert info.video_codec == "h264" and info.has_audio and info.audio_codec == "aac"
    decoded = list(read_frames(tmp_path / "a.mp4"))
    assert len(decoded) == 9
    assert abs(int(decoded[5].mean()) - 100) <= 3  # frame order and content survive encoding
    samples, rate = read_audio(tmp_path / "a.mp4")
    assert rate == 16000 and samples.shape[0] == 2 and samples.shape[1] >= 15000
    assert np.abs(samples).max() > 0.3  # the tone is there, not silence


def test_odd_sizes_are_padded_and_audio_is_optional(tmp_path):
    frames = [np.zeros((15, 17, 3), dtype=np.uint8)] * 3
    info = write_mp4(tmp_path / "b.mp4", frames, 8)
    assert (info.width, info.height, info.frame_count, info.has_audio) == (18, 16, 3, False)
    assert probe(tmp_path / "b.mp4").frame_count == 3
    assert read_audio(tmp_path / "b.mp4") is None


def test_no_frames_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        write_mp4(tmp_path / "c.mp4", [], 8)


def test_frames_can_stream_from_a_generator(tmp_path):
    produced = []

    def frames():
        for i in range(6):
            produced.append(i)
            yield np.full((16, 16, 3), i * 40, dtype=np.uint8)

    info = write_mp4(tmp_path / "g.mp4", frames(), 12)
    assert info.frame_count == 6 and produced == list(range(6))
    with pytest.raises(ValueError):
        write_mp4(tmp_path / "e.mp4", iter(()), 12)
