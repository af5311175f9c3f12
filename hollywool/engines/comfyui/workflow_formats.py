"""ComfyUI's two workflow formats, and the editor format converted to the API format.

API format: `{node_id: {"class_type", "inputs", "_meta"?}}`, a link being `[origin_id, output_slot]`.
Editor format: `{"nodes": [...], "links": [...], ...}` as the ComfyUI editor saves it. The
conversion follows the rules in comfyui-protocol.md §4, which were checked against the real
frontend's `graphToPrompt`: widget values in declared order with the editor's extra values
skipped, links resolved through reroutes, bypassed nodes and subgraphs, primitive nodes written
into their targets, muted and frontend-only nodes dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hollywool.engines.comfyui.limits import MAX_NODES
from hollywool.errors import InvalidInputError

Format = Literal["api", "editor"]

# Node modes in the editor.
MODE_NEVER = 2  # "muted": not sent
MODE_BYPASS = 4  # not sent; links pass through it

FRONTEND_ONLY = {"Reroute", "PrimitiveNode", "Note", "MarkdownNote"}
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
UPLOAD_FLAGS = ("image_upload", "video_upload", "animated_image_upload")
SEED_NAMES = ("seed", "noise_seed")

SUBGRAPH_INPUT_NODE = -10
SUBGRAPH_OUTPUT_NODE = -20


class WorkflowError(InvalidInputError):
    """A workflow that cannot be read or converted; `detail` lists every problem found."""

    def __init__(self, problems: list[str], *, field: str = "workflow_json"):
        message = problems[0] if len(problems) == 1 else f"{len(problems)} problems: " + "; ".join(problems)
        super().__init__(message, field=field, detail=[{"message": p} for p in problems])
        self.problems = problems


# -- recognising a format ----------------------------------------------------------------------
def detect_format(data: Any) -> Format:
    """Say which format `data` is in, or raise WorkflowError saying why it is neither."""
    if not isinstance(data, dict):
        raise WorkflowError([f"not a workflow: expected a JSON object, got {_json_type(data)}"])
    if "nodes" in data or "links" in data:
        if not isinstance(data.get("nodes"), list) or not isinstance(data.get("links", []), list):
            raise WorkflowError(["not a graph: an editor workflow needs 'nodes' and 'links' lists"])
        return "editor"
    if not data:
        raise WorkflowError(["not a graph: the JSON object is empty"])
    nodes = [v for v in data.values() if isinstance(v, dict)]
    if len(nodes) != len(data):
        raise WorkflowError(
            [
                "neither format: not an API-format graph ({node_id: {class_type, inputs}}) "
                "nor an editor workflow ({nodes, links, ...})"
            ]
        )
    if not any("class_type" in n for n in nodes):
        raise WorkflowError(["not a graph: no node has a class_type (neither the API nor the editor format)"])
    return "api"


def unwrap_api(data: dict[str, Any]) -> dict[str, Any]:
    """Accept the body of a POST /prompt (`{"prompt": graph, ...}`) as an API graph too."""
    inner = data.get("prompt")
    if isinstance(inner, dict) and inner and all(isinstance(v, dict) and "class_type" in v for v in inner.values()):
        return inner
    return data


def is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int) and not isinstance(value[1], bool)


def check_api_graph(graph: dict[str, Any]) -> dict[str, Any]:
    """Normalise an API graph (string node ids in links) and reject what the server could not run:
    nodes without class_type, links to missing nodes, malformed links and cycles."""
    problems: list[str] = []
    clean: dict[str, Any] = {}
    node_ids = {str(k) for k in graph}  # once: a set per link made big imports quadratic
    for node_id, node in graph.items():
        node_id = str(node_id)
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            problems.append(f"node {node_id}: missing class_type")
            continue
        inputs = node.get("inputs", {})
        if not isinstance(inputs, dict):
            problems.append(f"node {node_id} ({node['class_type']}): 'inputs' must be an object")
            continue
        meta = node.get("_meta")
        if "_meta" in node and not (isinstance(meta, dict) and isinstance(meta.get("title", ""), str)):
            node = {k: v for k, v in node.items() if k != "_meta"}  # the server ignores _meta; the studio reads it
        new_inputs = {}
        for name, value in inputs.items():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int | str) and is_link(value):
                value = [str(value[0]), value[1]]
                if value[0] not in node_ids:
                    problems.append(
                        f"node {node_id} ({node['class_type']}): input '{name}' links to node {value[0]}, "
                        "which does not exist"
                    )
            new_inputs[name] = value
        clean[node_id] = {**node, "inputs": new_inputs}
    if problems:
        raise WorkflowError(problems)
    cycle = find_cycle(clean)
    if cycle:
        path = " -> ".join(f"{n} ({clean[n]['class_type']})" for n in cycle)
        raise WorkflowError([f"cycle between nodes: {path}; node {cycle[0]} depends on itself"])
    return clean


def find_cycle(graph: dict[str, Any]) -> list[str] | None:
    """A list of node ids forming a cycle (first == last), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(graph, WHITE)
    deps = {n: [v[0] for v in node["inputs"].values() if is_link(v) and v[0] in graph] for n, node in graph.items()}
    for start in graph:
        if color[start] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path = [start]
        color[start] = GREY
        while stack:
            node, i = stack[-1]
            if i < len(deps[node]):
                stack[-1] = (node, i + 1)
                nxt = deps[node][i]
                if color[nxt] == GREY:
                    return path[path.index(nxt) :] + [nxt]
                if color[nxt] == WHITE:
                    color[nxt] = GREY
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                color[node] = BLACK
                stack.pop()
                path.pop()
    return None


# -- node definitions (from /object_info) ------------------------------------------------------
def input_spec(info: dict[str, Any], name: str) -> tuple[Any, dict[str, Any]] | None:
    """(type, options) of input `name` of a node definition, or None if not declared."""
    for group in ("required", "optional"):
        spec = (info.get("input") or {}).get(group, {}).get(name)
        if spec is not None:
            type_ = spec[0] if isinstance(spec, list | tuple) and spec else spec
            opts = spec[1] if isinstance(spec, list | tuple) and len(spec) > 1 and isinstance(spec[1], dict) else {}
            return type_, opts
    return None


def declared_inputs(info: dict[str, Any]) -> list[str]:
    """Input names in the order the editor builds widgets: input_order.required, then optional."""
    order = info.get("input_order") or {}
    names: list[str] = []
    for group in ("required", "optional"):
        listed = order.get(group) or list((info.get("input") or {}).get(group, {}))
        names.extend(listed)
    return list(dict.fromkeys(names))


def combo_choices(type_: Any, opts: dict[str, Any]) -> list[Any] | None:
    if isinstance(type_, list):
        return type_
    if type_ == "COMBO":
        return list(opts.get("options") or [])
    return None


def value_type(type_: Any) -> str:
    """INT, FLOAT, STRING, BOOLEAN, COMBO, or the socket type (MODEL, IMAGE, ...)."""
    return "COMBO" if isinstance(type_, list) else str(type_)


@dataclass
class _Widget:
    name: str
    extras: int  # values the editor stores after this one that are not sent (control_after_generate...)


def widget_layout(info: dict[str, Any], *, with_force_input: bool = False) -> tuple[list[_Widget], int]:
    """The editor's widgets for a node definition, and the count of trailing upload widgets."""
    widgets: list[_Widget] = []
    uploads = 0
    for name in declared_inputs(info):
        spec = input_spec(info, name)
        if spec is None:
            continue
        type_, opts = spec
        kind = value_type(type_)
        if kind not in WIDGET_TYPES or (opts.get("forceInput") and not with_force_input):
            continue
        control = opts.get("control_after_generate")
        extras = 0
        if kind == "INT" and (control or (control is None and name in SEED_NAMES)):
            extras = 1
        elif kind == "COMBO" and control:
            extras = 2
        audio_upload = opts.get("audio_upload") and name == "audio"
        if kind == "COMBO" and (any(opts.get(f) for f in UPLOAD_FLAGS) or audio_upload):
            uploads += 1
        widgets.append(_Widget(name, extras))
    return widgets, uploads


# -- editor format -> API format ---------------------------------------------------------------
@dataclass
class _Link:
    id: int
    origin_id: int | str
    origin_slot: int
    target_id: int | str
    target_slot: int
    type: str


@dataclass
class _Scope:
    """One level of graph: the top level, or the inside of a subgraph instance."""

    nodes: dict[str, dict[str, Any]]
    links: dict[int, _Link]
    prefix: str = ""
    parent: _Scope | None = None
    instance: dict[str, Any] | None = None
    definition: dict[str, Any] | None = None
    outputs: dict[int, int] = field(default_factory=dict)  # subgraph output slot -> the inner link feeding it


class _Drop:
    """The input is removed (its origin is muted or missing)."""


class _Keep:
    """The input keeps its widget value (an unlinked subgraph input)."""


DROP, KEEP = _Drop(), _Keep()


@dataclass
class _Value:
    value: Any


@dataclass
class _Converter:
    object_info: dict[str, Any]
    subgraphs: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    out: dict[str, Any] = field(default_factory=dict)
    # Built once per class / subgraph instance: big workflows repeat both thousands of times.
    _layouts: dict[tuple[str, bool], tuple[list[_Widget], int]] = field(default_factory=dict)
    _scopes: dict[str, _Scope] = field(default_factory=dict)
    current: str | None = None  # the node being converted, for messages
    visited: int = 0

    def _layout(self, type_: str, info: dict[str, Any], with_force_input: bool = False) -> tuple[list[_Widget], int]:
        key = (type_, with_force_input)
        if key not in self._layouts:
            self._layouts[key] = widget_layout(info, with_force_input=with_force_input)
        return self._layouts[key]

    def convert(self, scope: _Scope, depth: int = 0) -> None:
        if depth > 16:
            self.problems.append("subgraphs nested more than 16 deep")
            return
        for node in scope.nodes.values():
            self.current = f"{scope.prefix}{node.get('id')}"
            self.visited += 1
            if self.visited > MAX_NODES:
                self.problems.append(f"more than {MAX_NODES} nodes once subgraphs are expanded")
                raise WorkflowError(self.problems)
            type_ = node.get("type")
            mode = node.get("mode", 0)
            if type_ in FRONTEND_ONLY or mode in (MODE_NEVER, MODE_BYPASS):
                continue
            if isinstance(type_, str) and type_.startswith(("workflow>", "workflow/")):
                self.problems.append(
                    f"node {node['id']}: group nodes ({type_}) are not supported; "
                    "convert the group to a subgraph or ungroup it in ComfyUI and export again"
                )
                continue
            if type_ in self.subgraphs:
                self.convert(self._inner_scope(scope, node), depth + 1)
                continue
            self._convert_node(scope, node)

    def _inner_scope(self, scope: _Scope, instance: dict[str, Any]) -> _Scope:
        prefix = f"{scope.prefix}{instance['id']}:"
        if prefix not in self._scopes:
            definition = self.subgraphs[instance["type"]]
            links = _parse_links(definition.get("links", []))
            self._scopes[prefix] = _Scope(
                nodes={str(n["id"]): n for n in definition.get("nodes", [])},
                links=links,
                prefix=prefix,
                parent=scope,
                instance=instance,
                definition=definition,
                outputs=_subgraph_outputs(links),
            )
        return self._scopes[prefix]

    def _convert_node(self, scope: _Scope, node: dict[str, Any]) -> None:
        node_id = f"{scope.prefix}{node['id']}"
        type_ = node.get("type")
        info = self.object_info.get(type_) if isinstance(type_, str) else None
        if info is None:
            self.problems.append(f"node {node_id}: type {type_!r} is not known to the server (a missing custom node?)")
            return
        inputs = self._widget_values(node_id, node, info)
        if inputs is None:
            return
        for slot in node.get("inputs") or []:
            if slot.get("link") is None:
                continue
            name = (slot.get("widget") or {}).get("name") or slot.get("name")
            resolved = self._resolve(scope, slot["link"], slot.get("type"), f"node {node_id} input '{name}'")
            if resolved is KEEP:
                continue
            if resolved is DROP:
                inputs.pop(name, None)
            elif isinstance(resolved, _Value):
                inputs[name] = resolved.value
            else:
                inputs[name] = resolved
        title = node.get("title") or info.get("display_name") or type_
        self.out[node_id] = {"class_type": type_, "inputs": inputs, "_meta": {"title": title}}

    def _widget_values(self, node_id: str, node: dict[str, Any], info: dict[str, Any]) -> dict[str, Any] | None:
        values = node.get("widgets_values")
        if values is None:
            values = []
        if isinstance(values, dict):  # some custom nodes save widgets by name
            widgets, _ = self._layout(node["type"], info)
            return {w.name: _api_value(values[w.name]) for w in widgets if w.name in values}
        for with_force_input in (False, True):  # old saves also stored forceInput values
            widgets, uploads = self._layout(node["type"], info, with_force_input)
            expected = sum(1 + w.extras for w in widgets) + uploads
            # A missing trailing upload widget or control value is tolerated: older editors omitted them.
            if len(values) in (expected, expected - uploads) or (
                len(values) == len(widgets) and all(w.extras == 0 for w in widgets)
            ):
                out: dict[str, Any] = {}
                i = 0
                for w in widgets:
                    if i >= len(values):
                        break
                    out[w.name] = _api_value(values[i])
                    i += 1 + w.extras
                if with_force_input:
                    for name in list(out):
                        spec = input_spec(info, name)
                        if spec and spec[1].get("forceInput"):
                            del out[name]
                return out
        widgets, uploads = widget_layout(info)
        expected = sum(1 + w.extras for w in widgets) + uploads
        self.problems.append(
            f"node {node_id} ({node.get('type')}): {len(values)} widget values saved but the server's "
            f"definition has {expected} ({', '.join(w.name for w in widgets) or 'none'}); "
            "the node may come from another version of its custom node pack"
        )
        return None

    def _resolve(self, scope: _Scope, link_id: int, wanted: Any, where: str, depth: int = 0) -> Any:
        if depth > 256:
            self.problems.append(f"{where}: links loop through reroutes or bypassed nodes")
            return DROP
        link = scope.links.get(link_id)
        if link is None:
            self.problems.append(f"{where}: refers to link {link_id}, which does not exist")
            return DROP
        if link.origin_id == SUBGRAPH_INPUT_NODE and scope.parent is not None:
            slots = scope.instance.get("inputs") or []
            outer = _subgraph_instance_slot(scope, link.origin_slot, slots)
            if outer is None or outer.get("link") is None:
                return KEEP
            return self._resolve(scope.parent, outer["link"], wanted, where, depth + 1)
        origin = scope.nodes.get(str(link.origin_id))
        if origin is None:
            self.problems.append(f"{where}: links to node {scope.prefix}{link.origin_id}, which does not exist")
            return DROP
        type_ = origin.get("type")
        mode = origin.get("mode", 0)
        if type_ == "Reroute":
            feeding = (origin.get("inputs") or [{}])[0].get("link")
            return DROP if feeding is None else self._resolve(scope, feeding, wanted, where, depth + 1)
        if type_ == "PrimitiveNode":
            values = origin.get("widgets_values") or []
            return _Value(_api_value(values[0])) if values else DROP
        if mode == MODE_NEVER or type_ in FRONTEND_ONLY:
            return DROP
        if mode == MODE_BYPASS:
            slot = _bypass_input(origin, link.origin_slot, link.type or wanted)
            if slot is None or slot.get("link") is None:
                return DROP
            return self._resolve(scope, slot["link"], wanted, where, depth + 1)
        if type_ in self.subgraphs:
            inner = self._inner_scope(scope, origin)
            inner_link = inner.outputs.get(link.origin_slot)
            return DROP if inner_link is None else self._resolve(inner, inner_link, wanted, where, depth + 1)
        return [f"{scope.prefix}{origin['id']}", link.origin_slot]


def _subgraph_outputs(links: dict[int, _Link]) -> dict[int, int]:
    outputs: dict[int, int] = {}
    for link in links.values():
        if link.target_id == SUBGRAPH_OUTPUT_NODE:
            outputs.setdefault(link.target_slot, link.id)
    return outputs


def _subgraph_instance_slot(scope: _Scope, index: int, slots: list[dict[str, Any]]) -> dict[str, Any] | None:
    definition_inputs = (scope.definition or {}).get("inputs") or []
    if index < len(definition_inputs):
        name = definition_inputs[index].get("name")
        for slot in slots:
            if slot.get("name") == name:
                return slot
    return slots[index] if index < len(slots) else None


def _bypass_input(node: dict[str, Any], slot: int, wanted: Any) -> dict[str, Any] | None:
    inputs = node.get("inputs") or []
    if slot < len(inputs) and (inputs[slot].get("type") == wanted or wanted in (None, "*")):
        return inputs[slot]
    for candidate in inputs:
        if candidate.get("type") == wanted:
            return candidate
    for candidate in inputs:
        if candidate.get("type") == "*" or wanted == "*":
            return candidate
    return None


def _api_value(value: Any) -> Any:
    return {"__value__": value} if isinstance(value, list) else value


def _parse_links(raw: list[Any]) -> dict[int, _Link]:
    links: dict[int, _Link] = {}
    for item in raw or []:
        if isinstance(item, dict):
            link = _Link(
                item.get("id"),
                item.get("origin_id"),
                item.get("origin_slot", 0),
                item.get("target_id"),
                item.get("target_slot", 0),
                item.get("type"),
            )
        elif isinstance(item, list) and len(item) >= 5:
            link = _Link(item[0], item[1], item[2], item[3], item[4], item[5] if len(item) > 5 else None)
        else:
            raise WorkflowError([f"not a graph: malformed link {item!r}"])
        links[link.id] = link
    return links


def editor_to_api(workflow: dict[str, Any], object_info: dict[str, Any]) -> dict[str, Any]:
    """Convert an editor-format workflow with the server's node definitions; raise WorkflowError
    listing everything that could not be converted."""
    detect_format(workflow)
    nodes: dict[str, dict[str, Any]] = {}
    for node in workflow["nodes"]:
        if not isinstance(node, dict) or "id" not in node or "type" not in node:
            raise WorkflowError([f"not a graph: node without id or type: {str(node)[:80]}"])
        nodes[str(node["id"])] = node
    converter = _Converter(object_info=object_info)
    try:
        definitions = workflow.get("definitions") or {}
        converter.subgraphs = {d["id"]: d for d in definitions.get("subgraphs", []) if "id" in d}
        converter.convert(_Scope(nodes=nodes, links=_parse_links(workflow.get("links", []))))
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        if isinstance(exc, WorkflowError):
            raise
        # Parts of the editor format of other types than the editor writes (a list for an object...).
        near = f" at node {converter.current}" if converter.current else ""
        raise WorkflowError(
            [f"not a graph: the editor workflow is malformed{near}; save it again in ComfyUI"]
        ) from None
    if converter.problems:
        raise WorkflowError(converter.problems)
    return check_api_graph(converter.out)


def _json_type(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
