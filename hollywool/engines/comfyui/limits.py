"""Bounds on imported workflows, and the checks every workflow JSON passes before it is used.

Big real workflows have tens of thousands of nodes and are a few MB; the bounds sit well above
that. A workflow is also checked for nesting depth (deep JSON would exhaust the stack of the code
that walks, copies or serialises it) and for NaN/Infinity, which JSON cannot carry: stored, they
would come back as null or break every export.
"""

from __future__ import annotations

import json
import math
from typing import TypeAlias

from hollywool.errors import InvalidInputError, StudioError
from hollywool.json_types import JsonValue

MAX_WORKFLOW_BYTES = 20 * 1024 * 1024
MAX_NODES = 50_000
MAX_DEPTH = 128


class WorkflowTooLarge(StudioError):
    status_code = 413


def too_large(size: int, field: str = "workflow_json") -> WorkflowTooLarge:
    return WorkflowTooLarge(
        f"{field}: the workflow is {size / 1e6:.1f} MB; at most {MAX_WORKFLOW_BYTES // (1024 * 1024)} MB "
        "can be imported",
        field=field,
    )


def parse_json(raw: bytes | str, field: str = "workflow_json") -> JsonValue:
    """json.loads that answers a 422 naming `field` for invalid or too deeply nested JSON."""
    try:
        value: JsonValue = json.loads(raw)
    except RecursionError:
        raise too_deep(field) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"{field}: not valid JSON ({str(exc)[:200]})", field=field) from None
    return value


def too_deep(field: str) -> InvalidInputError:
    return InvalidInputError(
        f"{field}: the JSON is nested more than {MAX_DEPTH} levels deep; no ComfyUI workflow is", field=field
    )


# A value met while walking: (value, depth, key, parent entry); the path back to the root is rebuilt
# only for an error message. Tuples, not objects: big workflows have millions of values.
_Entry: TypeAlias = "tuple[JsonValue, int, str | int | None, _Entry | None]"


def check_json(value: JsonValue, field: str = "workflow_json") -> None:
    """422 naming `field` (and the node and input) for nesting deeper than MAX_DEPTH or a number
    that is NaN or infinite. Iterative: it must not itself run out of stack."""
    stack: list[_Entry] = [(value, 0, None, None)]
    while stack:
        entry = stack.pop()
        item, depth = entry[0], entry[1]
        if isinstance(item, float):
            if not math.isfinite(item):
                where = _where(value, _path(entry))
                raise InvalidInputError(
                    f"{field}: {where} is {item}; workflows hold finite numbers only (NaN and Infinity "
                    "are not JSON): set a number there and import again",
                    field=field,
                )
        elif isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise too_deep(field)
            stack.extend((child, depth + 1, key, entry) for key, child in item.items())
        elif isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise too_deep(field)
            stack.extend((child, depth + 1, key, entry) for key, child in enumerate(item))


def _path(entry: _Entry) -> list[str | int | None]:
    path: list[str | int | None] = []
    parent = entry[3]
    while parent is not None:
        path.append(entry[2])
        entry, parent = parent, parent[3]
    return path[::-1]


def _where(root: JsonValue, path: list[str | int | None]) -> str:
    """ "node 3 input 'cfg'" for an API graph, "node 5 (KSampler) widget value 2" for an editor
    workflow, else the path."""
    inner = root.get("prompt") if isinstance(root, dict) else None
    if path[:1] == ["prompt"] and isinstance(inner, dict):
        root, path = inner, path[1:]
    if len(path) >= 3 and path[1] == "inputs":
        return f"node {path[0]} input '{path[2]}'"
    nodes = root.get("nodes") if isinstance(root, dict) else None
    if len(path) >= 3 and path[0] == "nodes" and isinstance(path[1], int) and isinstance(nodes, list):
        node = nodes[path[1]]
        label = f"node {node.get('id')} ({node.get('type')})" if isinstance(node, dict) else f"node {path[1]}"
        if path[2] == "widgets_values" and len(path) == 4:
            return f"{label} widget value {path[3]}"
        return f"{label} {'.'.join(map(str, path[2:]))}"
    return "the value at " + ".".join(map(str, path)) if path else "the value"


def check_node_count(count: int, field: str = "workflow_json") -> None:
    if count > MAX_NODES:
        raise InvalidInputError(
            f"{field}: the workflow has {count} nodes; at most {MAX_NODES} can be imported", field=field
        )
