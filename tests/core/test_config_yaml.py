"""The user's <data dir>/config.yaml: an entry the studio cannot use is skipped with a reason (logged at
start-up and answered by GET /api/models/config-problems); a file that cannot be read at all leaves the
studio running on the shipped catalogue, with the problem said the same way."""

from __future__ import annotations

import logging

import pytest
import yaml


def _start(make_client, studio_dirs, text: str | bytes | None, caplog):
    data = studio_dirs["data_dir"]
    data.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        (data / "config.yaml").write_bytes(text)
    elif text is not None:
        (data / "config.yaml").write_text(text)
    with caplog.at_level(logging.WARNING, logger="hollywool"):
        client = make_client()
    models = client.get("/api/models")
    assert models.status_code == 200
    problems = client.get("/api/models/config-problems")
    assert problems.status_code == 200
    return client, {m["id"] for m in models.json()["models"]}, problems.json()


def _logged(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def test_entries_the_studio_cannot_use_are_skipped_with_a_reason(make_client, studio_dirs, tiny_model, caplog):
    good = str(tiny_model("sd15"))
    config = {
        "models": {
            "good": {"name": "Good", "path": good, "type": "sd"},
            "no-type": {"name": "No type", "path": "acme/some-repo"},  # a hub id is not read for its type
            "read-type": {"name": "Type read from model_index.json", "path": good},
            "odd-type": {"name": "Odd", "path": good, "type": "sd4"},
            "gone": {"name": "Gone", "path": "/no/such/folder", "type": "sd"},
            "gone-file": {"name": "Gone file", "path": "./missing.safetensors", "type": "sdxl"},
            7: {"name": "Integer key", "path": good, "type": "sd"},
            "not-a-mapping": "just a string",
            "empty": None,
        }
    }
    _client, ids, problems = _start(make_client, studio_dirs, yaml.safe_dump(config), caplog)
    assert {"good", "7", "read-type"} <= ids and "flux-schnell" in ids  # usable entries and the shipped catalogue
    skipped = {s["id"]: s["reason"] for s in problems["skipped"]}
    assert set(skipped) == {"no-type", "odd-type", "gone", "gone-file", "not-a-mapping", "empty"}
    assert "type" in skipped["no-type"] and "sd4" in skipped["odd-type"] and "sdxl" in skipped["odd-type"]
    assert "/no/such/folder does not exist" in skipped["gone"]
    assert "missing.safetensors does not exist" in skipped["gone-file"]
    assert "not a mapping" in skipped["not-a-mapping"] and "not a mapping" in skipped["empty"]
    assert not (ids & set(skipped))
    assert problems["errors"] == [] and problems["path"].endswith("config.yaml")
    logged = _logged(caplog)
    for model_id, reason in skipped.items():
        assert f"{model_id}: {reason}" in logged


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("models:\n  a: {name: A, path: x\n  b: [1, 2\n", "line 3"),  # YAML syntax error: its line is named
        (b"models:\n  a:\n    name: \xff\xfe bad\n", "UTF-8"),
        ("- just\n- a list\n", "mapping"),
        ("models: 42\n", "models"),
        ("{1: 2}\n", "models"),
    ],
)
def test_a_config_file_that_cannot_be_read_leaves_the_shipped_catalogue(
    make_client, studio_dirs, caplog, content, said
):
    _client, ids, problems = _start(make_client, studio_dirs, content, caplog)
    assert "flux-schnell" in ids
    assert problems["errors"] and said in problems["errors"][0], problems
    assert "config.yaml" in problems["errors"][0]
    assert problems["errors"][0] in _logged(caplog)


def test_the_list_form_skips_entries_without_an_id(make_client, studio_dirs, caplog):
    _client, ids, problems = _start(make_client, studio_dirs, "models: [1, {name: x}]\n", caplog)
    assert "flux-schnell" in ids and problems["errors"] == []
    assert [s["id"] for s in problems["skipped"]] == ["models[0]", "models[1]"]


def test_config_yaml_being_a_directory(make_client, studio_dirs, caplog):
    (studio_dirs["data_dir"] / "config.yaml").mkdir(parents=True)
    _client, ids, problems = _start(make_client, studio_dirs, None, caplog)
    assert "flux-schnell" in ids and "is a folder" in problems["errors"][0]


def test_no_config_file_is_no_problem(make_client, studio_dirs, caplog):
    _client, ids, problems = _start(make_client, studio_dirs, None, caplog)
    assert "flux-schnell" in ids and problems["errors"] == [] and problems["skipped"] == []
