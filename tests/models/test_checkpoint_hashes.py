"""Checkpoint hashes (A1111's `hash`/`sha256`): computed once in the background thread and kept in SQLite by
resolved path, size and mtime; an edited file is hashed again; a hub LFS blob and a Civitai download are free."""

from __future__ import annotations

import hashlib
import os

import pytest

from hollywool.models.checkpoint_hashes import CheckpointHashes
from hollywool.storage.db import Database
from hollywool.storage.file_hashes import FileHashRepository
from tests.kit.studio import wait_for


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "studio.db")
    yield database
    database.close()


def test_a_file_is_hashed_once_in_the_background_and_again_when_edited(db, tmp_path):
    ckpt = tmp_path / "model.safetensors"
    ckpt.write_bytes(os.urandom(3 << 20) + b"tail")  # several read chunks
    hashes = CheckpointHashes(FileHashRepository(db))
    assert hashes.known(ckpt) is None  # not hashed until asked
    hashes.request(ckpt)
    expected = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert wait_for(lambda: hashes.known(ckpt), timeout=30, what="the hash") == expected
    # Stored in SQLite: another instance (a restart) knows it without reading the file.
    assert CheckpointHashes(FileHashRepository(db)).known(tmp_path / "." / "model.safetensors") == expected

    ckpt.write_bytes(b"edited" + ckpt.read_bytes())
    assert hashes.known(ckpt) is None
    hashes.request(ckpt)
    edited = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert wait_for(lambda: hashes.known(ckpt), timeout=30, what="the new hash") == edited != expected


def test_a_folder_or_a_missing_file_has_no_hash(db, tmp_path):
    hashes = CheckpointHashes(FileHashRepository(db))
    hashes.request(tmp_path)
    hashes.request(tmp_path / "missing.safetensors")
    assert hashes.known(tmp_path) is None and hashes.known(tmp_path / "missing.safetensors") is None


def test_a_hub_lfs_blob_and_a_civitai_download_are_known_without_reading(db, tmp_path):
    sha = hashlib.sha256(b"not the content").hexdigest()  # a name that is not the file's real hash
    blob = tmp_path / "models--o--r" / "blobs" / sha
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"weights")
    link = tmp_path / "models--o--r" / "snapshots" / "abc" / "model.safetensors"
    link.parent.mkdir(parents=True)
    link.symlink_to(blob)
    seen: list[tuple[list[str], int]] = []

    def civitai(paths: list[str], size: int) -> str | None:
        seen.append((paths, size))
        return "AB" * 32 if str(tmp_path / "civitai.safetensors") in paths and size == 4 else None

    hashes = CheckpointHashes(FileHashRepository(db), [civitai])
    assert hashes.known(link) == sha
    (tmp_path / "civitai.safetensors").write_bytes(b"1234")
    assert hashes.known(tmp_path / "civitai.safetensors") == "ab" * 32
    (tmp_path / "other.safetensors").write_bytes(b"1234")
    assert hashes.known(tmp_path / "other.safetensors") is None and seen


def test_the_one_thread_ends_when_idle_and_a_later_request_starts_it_again(db, tmp_path, monkeypatch):
    import hollywool.models.checkpoint_hashes as module

    monkeypatch.setattr(module, "IDLE_S", 0.1)
    hashes = CheckpointHashes(FileHashRepository(db))
    for name in ("a.safetensors", "b.safetensors"):
        (tmp_path / name).write_bytes(name.encode())
        hashes.request(tmp_path / name)
        expected = hashlib.sha256(name.encode()).hexdigest()
        assert wait_for(lambda n=name: hashes.known(tmp_path / n), timeout=30, what=name) == expected
        wait_for(lambda: hashes._thread is None, timeout=30, what="the idle thread to end")


def test_a_completed_civitai_download_gives_its_recorded_sha256(db, tmp_path):
    from hollywool.integrations.civitai.records import DownloadRepository, DownloadStatus

    downloads = DownloadRepository(db)
    ckpt = tmp_path / "civitai-model.safetensors"
    ckpt.write_bytes(b"civitai weights")
    recorded = "C0FFEE" * 10 + "ABCD"  # Civitai's upper-case hex, not the file's real digest: no read happened
    download = downloads.create(
        "123", url="https://civitai.example/123", total_bytes=15, sha256=recorded, version_id=123
    )
    assert download is not None
    hashes = CheckpointHashes(FileHashRepository(db), [downloads.sha256_of_file])
    assert hashes.known(ckpt) is None  # still downloading
    downloads.update(download.id, path=str(ckpt), status=DownloadStatus.completed)
    assert hashes.known(ckpt) == recorded.lower()
