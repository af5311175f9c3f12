"""Big generated workflows (for the import test and bench/comfyui_import.py): `copies` side-by-side
copies of the txt2img fixture, in API and in editor format, with node and link ids renumbered."""

from __future__ import annotations

import copy
import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
NODES_PER_COPY = 7


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def copies_for(nodes: int) -> int:
    return -(-nodes // NODES_PER_COPY)


def big_api(copies: int) -> dict:
    base = _load("txt2img_api.json")
    out: dict = {}
    for k in range(copies):
        for node_id, node in base.items():
            node = copy.deepcopy(node)
            for name, value in node["inputs"].items():
                if isinstance(value, list):
                    node["inputs"][name] = [str(int(value[0]) + 10 * k), value[1]]
            if node["class_type"] == "KSampler":
                node["inputs"]["seed"] = k
            out[str(int(node_id) + 10 * k)] = node
    return out


def big_editor(copies: int) -> dict:
    base = _load("txt2img_editor.json")
    link_count = len(base["links"])
    nodes, links = [], []
    for k in range(copies):
        node_shift, link_shift = 10 * k, link_count * k
        for node in base["nodes"]:
            node = copy.deepcopy(node)
            node["id"] += node_shift
            for slot in node.get("inputs") or []:
                if slot.get("link") is not None:
                    slot["link"] += link_shift
            for slot in node.get("outputs") or []:
                slot["links"] = [link + link_shift for link in slot.get("links") or []]
            nodes.append(node)
        for link in base["links"]:
            link_id, origin, origin_slot, target, target_slot, type_ = link
            links.append([link_id + link_shift, origin + node_shift, origin_slot, target + node_shift, target_slot])
            links[-1].append(type_)
    return {
        **{k: v for k, v in base.items() if k not in ("nodes", "links")},
        "last_node_id": 10 * copies,
        "last_link_id": link_count * copies,
        "nodes": nodes,
        "links": links,
    }
