"""Importing big workflows stays linear in their size, and the size is bounded."""

from __future__ import annotations

import json

import pytest

from tests.comfyui.big_workflows import big_api, big_editor, copies_for


def post_json(client, body: dict):
    data = json.dumps(body)
    return client.post("/api/comfyui/workflows", content=data, headers={"content-type": "application/json"})


@pytest.mark.timeout(60)
def test_a_16000_node_workflow_imports_in_both_formats(studio):
    # Before the link check was indexed (a set of every node id built per link), these two
    # imports took minutes of CPU between them; now a few seconds.
    copies = copies_for(16_000)
    for fmt, workflow in (("api", big_api(copies)), ("editor", big_editor(copies))):
        r = post_json(studio, {"name": f"big {fmt}", "workflow_json": workflow})
        assert r.status_code == 201, r.text[:500]
        saved = r.json()
        assert saved["node_count"] == 7 * copies and saved["source_format"] == fmt
        assert len([p for p in saved["parameters"] if p["category"] == "seed"]) == copies
        assert saved["workflow_json"]["13"]["inputs"]["positive"] == ["17", 0]  # copy 1, renumbered
    listed = studio.get("/api/comfyui/workflows").json()
    assert [w["node_count"] for w in listed] == [7 * copies, 7 * copies]
