"""Bounds on imported workflows, and the checks every workflow JSON passes before it is used.

Big real workflows have tens of thousands of nodes and are a few MB; the bounds sit well above
that. A workflow is also checked for nesting depth (deep JSON would exhaust the stack of the code
that walks, copies or serialises it) and for NaN/Infinity, which JSON cannot carry: stored, they
would come back as null or break every export.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hollywool.errors import InvalidInputError, StudioError

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


def parse_json(raw: bytes | str, field: str = "workflow_json") -> Any:
    """json.loads that answers a 422 naming `field` for invalid or too deeply nested JSON."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise too_deep(field) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"{field}: not valid JSON ({str(exc)[:200]})", field=field) from None


def too_deep(field: str) -> InvalidInputError:
    return InvalidInputError(
        f"{field}: the JSON is nested more than {MAX_DEPTH} levels deep; no ComfyUI workflow is", field=field
    )


def check_json(value: Any, field: str = "workflow_json") -> None:
    """422 naming `field` (and the node and input) for nesting deeper than MAX_DEPTH or a number
    that is NaN or infinite. Iterative: it must not itself run out of stack."""
    # (value, depth, key, parent entry): the path is rebuilt only for the error message.
    stack: list[tuple[Any, int, Any, Any]] = [(value, 0, None, None)]
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
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise too_deep(field)
            children = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((child, depth + 1, key, entry) for key, child in children)


def _path(entry: tuple) -> list[Any]:
    path = []
    while entry[3] is not None:
        path.append(entry[2])
        entry = entry[3]
    return path[::-1]


def _where(root: Any, path: list[Any]) -> str:
    """ "node 3 input 'cfg'" for an API graph, "node 5 (KSampler) widget value 2" for an editor
    workflow, else the path."""
    if path[:1] == ["prompt"] and isinstance(root, dict) and isinstance(root.get("prompt"), dict):
        root, path = root["prompt"], path[1:]
    if len(path) >= 3 and path[1] == "inputs":
        return f"node {path[0]} input '{path[2]}'"
    if len(path) >= 3 and path[0] == "nodes" and isinstance(path[1], int):
        node = root["nodes"][path[1]]
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
