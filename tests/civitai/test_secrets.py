"""The secrets file: owner-only, rewritten atomically, values never shown."""

from __future__ import annotations

import stat

from hollywool.storage.secrets import SecretStore


def test_secrets_round_trip_with_owner_only_file(tmp_path):
    store = SecretStore.in_data_dir(tmp_path / "data")
    assert store.get("civitai") is None and not store.has("civitai")
    store.set("civitai", "tok-1")
    store.set("fal", "key-2")
    assert store.get("civitai") == "tok-1" and store.names() == ["civitai", "fal"]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert SecretStore(store.path).get("fal") == "key-2"  # persisted
    assert store.delete("civitai") and not store.delete("civitai")
    assert store.names() == ["fal"]
    assert [p.name for p in store.path.parent.iterdir()] == ["secrets.json"]  # no temporary left over


def test_a_damaged_secrets_file_reads_as_empty(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text("{not json")
    store = SecretStore(path)
    assert store.get("civitai") is None
    store.set("civitai", "t")
    assert store.get("civitai") == "t"
