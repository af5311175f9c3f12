"""ComfyUI's two workflow formats, and the editor format converted to the API format.

API format: `{node_id: {"class_type", "inputs", "_meta"?}}`, a link being `[origin_id, output_slot]`.
Editor format: `{"nodes": [...], "links": [...], ...}` as the ComfyUI editor saves it. The
conversion follows the rules in comfyui-protocol.md §4, which were checked against the real
frontend's `graphToPrompt`: widget values in declared order with the editor's extra values
skipped, links resolved through reroutes, bypassed nodes and subgraphs, primitive nodes written
into their targets, muted and frontend-only nodes dropped.

Workflows are foreign JSON (`JsonValue`): every part is checked before it is used. In the editor
converter a part of the wrong type raises TypeError (`expect_object`, `expect_list`), which
`editor_to_api` reports as a malformed workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeGuard

from hollywool.engines.comfyui.limits import MAX_NODES
from hollywool.errors import InvalidInputError
from hollywool.json_types import JsonList, JsonObject, JsonValue, as_object, expect_list, expect_object

Format = Literal["api", "editor"]
# An API graph as `check_api_graph` leaves it: every node an object with a string `class_type` and an
# `inputs` object (read them with `node_class` and `node_inputs`), links `[origin node id, slot]`.
ApiGraph = dict[str, JsonObject]
# The server's node definitions (/object_info): {class name: definition}.
NodeCatalogue = dict[str, JsonObject]

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


# -- nodes of a checked API graph ----------------------------------------------------------------
def node_class(node: JsonObject) -> str:
    """The class_type of a node of a checked API graph."""
    class_type = node.get("class_type")
    if not isinstance(class_type, str):
        raise TypeError("an API graph node without class_type (the graph was not checked)")
    return class_type


def node_inputs(node: JsonObject) -> JsonObject:
    """The inputs of a node of a checked API graph ({} when it has none)."""
    inputs = node.get("inputs", {})
    if not isinstance(inputs, dict):
        raise TypeError("an API graph node whose inputs are not an object (the graph was not checked)")
    return inputs


# -- recognising a format ----------------------------------------------------------------------
def expect_workflow(data: JsonValue) -> JsonObject:
    """`data` if it is a JSON object; else WorkflowError saying what it is instead."""
    if not isinstance(data, dict):
        raise WorkflowError([f"not a workflow: expected a JSON object, got {_json_type(data)}"])
    return data


def detect_format(data: JsonValue) -> Format:
    """Say which format `data` is in, or raise WorkflowError saying why it is neither."""
    data = expect_workflow(data)
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


def unwrap_api(data: JsonObject) -> JsonObject:
    """Accept the body of a POST /prompt (`{"prompt": graph, ...}`) as an API graph too."""
    inner = data.get("prompt")
    if isinstance(inner, dict) and inner and all(isinstance(v, dict) and "class_type" in v for v in inner.values()):
        return inner
    return data


def is_link(value: JsonValue) -> TypeGuard[JsonList]:
    """`[origin node id, output slot]`."""
    if not isinstance(value, list) or len(value) != 2:
        return False
    slot = value[1]
    return isinstance(slot, int) and not isinstance(slot, bool)


def as_link(value: JsonValue) -> tuple[str, int] | None:
    """(origin node id, output slot) of a link; None for a literal value."""
    if not is_link(value):
        return None
    slot = value[1]
    assert isinstance(slot, int)  # is_link checked it
    return str(value[0]), slot


def check_api_graph(graph: Mapping[str, JsonValue]) -> ApiGraph:
    """Normalise an API graph (string node ids in links) and reject what the server could not run:
    nodes without class_type, links to missing nodes, malformed links and cycles."""
    problems: list[str] = []
    clean: ApiGraph = {}
    node_ids = {str(k) for k in graph}  # once: a set per link made big imports quadratic
    for raw_id, node in graph.items():
        node_id = str(raw_id)
        class_type = node.get("class_type") if isinstance(node, dict) else None
        if not isinstance(node, dict) or not isinstance(class_type, str):
            problems.append(f"node {node_id}: missing class_type")
            continue
        inputs = node.get("inputs", {})
        if not isinstance(inputs, dict):
            problems.append(f"node {node_id} ({class_type}): 'inputs' must be an object")
            continue
        meta = node.get("_meta")
        if "_meta" in node and not (isinstance(meta, dict) and isinstance(meta.get("title", ""), str)):
            node = {k: v for k, v in node.items() if k != "_meta"}  # the server ignores _meta; the studio reads it
        new_inputs: JsonObject = {}
        for name, value in inputs.items():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int | str) and is_link(value):
                origin = str(value[0])
                value = [origin, value[1]]
                if origin not in node_ids:
                    problems.append(
                        f"node {node_id} ({class_type}): input '{name}' links to node {origin}, which does not exist"
                    )
            new_inputs[name] = value
        clean[node_id] = {**node, "inputs": new_inputs}
    if problems:
        raise WorkflowError(problems)
    cycle = find_cycle(clean)
    if cycle:
        path = " -> ".join(f"{n} ({node_class(clean[n])})" for n in cycle)
        raise WorkflowError([f"cycle between nodes: {path}; node {cycle[0]} depends on itself"])
    return clean


def find_cycle(graph: ApiGraph) -> list[str] | None:
    """A list of node ids forming a cycle (first == last), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(graph, WHITE)
    deps: dict[str, list[str]] = {}
    for n, node in graph.items():
        links = (as_link(v) for v in node_inputs(node).values())
        deps[n] = [link[0] for link in links if link is not None and link[0] in graph]
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
def input_spec(info: JsonObject, name: str) -> tuple[JsonValue, JsonObject] | None:
    """(type, options) of input `name` of a node definition, or None if not declared."""
    declared = as_object(info.get("input"))
    for group in ("required", "optional"):
        spec = as_object(declared.get(group)).get(name)
        if spec is not None:
            type_ = spec[0] if isinstance(spec, list) and spec else spec
            second = spec[1] if isinstance(spec, list) and len(spec) > 1 else None
            return type_, second if isinstance(second, dict) else {}
    return None


def declared_inputs(info: JsonObject) -> list[str]:
    """Input names in the order the editor builds widgets: input_order.required, then optional."""
    order = as_object(info.get("input_order"))
    names: list[str] = []
    for group in ("required", "optional"):
        listed = order.get(group)
        if isinstance(listed, list) and listed:
            names.extend(n for n in listed if isinstance(n, str))
        else:
            names.extend(as_object(as_object(info.get("input")).get(group)))
    return list(dict.fromkeys(names))


def combo_choices(type_: JsonValue, opts: JsonObject) -> JsonList | None:
    if isinstance(type_, list):
        return type_
    if type_ == "COMBO":
        options = opts.get("options") or []
        choices: JsonList = list(options) if isinstance(options, list | dict | str) else []
        return choices
    return None


def value_type(type_: JsonValue) -> str:
    """INT, FLOAT, STRING, BOOLEAN, COMBO, or the socket type (MODEL, IMAGE, ...)."""
    return "COMBO" if isinstance(type_, list) else str(type_)


@dataclass
class _Widget:
    name: str
    extras: int  # values the editor stores after this one that are not sent (control_after_generate...)


def widget_layout(info: JsonObject, *, with_force_input: bool = False) -> tuple[list[_Widget], int]:
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
    origin_id: JsonValue  # a node id, or SUBGRAPH_INPUT_NODE
    origin_slot: int
    target_id: JsonValue  # a node id, or SUBGRAPH_OUTPUT_NODE
    target_slot: int
    type: JsonValue


@dataclass
class _Scope:
    """One level of graph: the top level, or the inside of a subgraph instance."""

    nodes: dict[str, JsonObject]
    links: dict[int, _Link]
    prefix: str = ""
    parent: _Scope | None = None
    instance: JsonObject | None = None
    definition: JsonObject | None = None
    outputs: dict[int, int] = field(default_factory=lambda: dict[int, int]())  # subgraph output slot -> inner link


class _Drop:
    """The input is removed (its origin is muted or missing)."""


class _Keep:
    """The input keeps its widget value (an unlinked subgraph input)."""


DROP, KEEP = _Drop(), _Keep()


@dataclass
class _Value:
    value: JsonValue


# What an editor link resolves to: a link of the API graph, a value written in, or one of the above.
_Resolved = JsonList | _Value | _Drop | _Keep


@dataclass
class _Converter:
    object_info: NodeCatalogue
    subgraphs: dict[str, JsonObject] = field(default_factory=lambda: dict[str, JsonObject]())
    problems: list[str] = field(default_factory=lambda: list[str]())
    out: ApiGraph = field(default_factory=lambda: ApiGraph())
    # Built once per class / subgraph instance: big workflows repeat both thousands of times.
    _layouts: dict[tuple[str, bool], tuple[list[_Widget], int]] = field(
        default_factory=lambda: dict[tuple[str, bool], tuple[list[_Widget], int]]()
    )
    _scopes: dict[str, _Scope] = field(default_factory=lambda: dict[str, _Scope]())
    current: str | None = None  # the node being converted, for messages
    visited: int = 0

    def _layout(self, type_: str, info: JsonObject, with_force_input: bool = False) -> tuple[list[_Widget], int]:
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
            if isinstance(type_, str) and type_ in self.subgraphs:
                self.convert(self._inner_scope(scope, node, type_), depth + 1)
                continue
            self._convert_node(scope, node)

    def _inner_scope(self, scope: _Scope, instance: JsonObject, type_: str) -> _Scope:
        prefix = f"{scope.prefix}{instance['id']}:"
        if prefix not in self._scopes:
            definition = self.subgraphs[type_]
            links = _parse_links(definition.get("links", []))
            nodes = [expect_object(n) for n in expect_list(definition.get("nodes", []))]
            self._scopes[prefix] = _Scope(
                nodes={str(n["id"]): n for n in nodes},
                links=links,
                prefix=prefix,
                parent=scope,
                instance=instance,
                definition=definition,
                outputs=_subgraph_outputs(links),
            )
        return self._scopes[prefix]

    def _convert_node(self, scope: _Scope, node: JsonObject) -> None:
        node_id = f"{scope.prefix}{node['id']}"
        type_ = node.get("type")
        info = self.object_info.get(type_) if isinstance(type_, str) else None
        if info is None or not isinstance(type_, str):
            self.problems.append(f"node {node_id}: type {type_!r} is not known to the server (a missing custom node?)")
            return
        inputs = self._widget_values(node_id, node, type_, info)
        if inputs is None:
            return
        for raw_slot in expect_list(node.get("inputs") or []):
            slot = expect_object(raw_slot)
            if slot.get("link") is None:
                continue
            name = expect_object(slot.get("widget") or {}).get("name") or slot.get("name")
            if not isinstance(name, str):
                raise TypeError(f"an input of node {node_id} has no name")
            resolved = self._resolve(scope, slot["link"], slot.get("type"), f"node {node_id} input '{name}'")
            if isinstance(resolved, _Keep):
                continue
            if isinstance(resolved, _Drop):
                inputs.pop(name, None)
            elif isinstance(resolved, _Value):
                inputs[name] = resolved.value
            else:
                inputs[name] = resolved
        title = node.get("title") or info.get("display_name") or type_
        self.out[node_id] = {"class_type": type_, "inputs": inputs, "_meta": {"title": title}}

    def _widget_values(self, node_id: str, node: JsonObject, type_: str, info: JsonObject) -> JsonObject | None:
        raw = node.get("widgets_values")
        if isinstance(raw, dict):  # some custom nodes save widgets by name
            widgets, _ = self._layout(type_, info)
            return {w.name: _api_value(raw[w.name]) for w in widgets if w.name in raw}
        values = expect_list(raw if raw is not None else [])
        for with_force_input in (False, True):  # old saves also stored forceInput values
            widgets, uploads = self._layout(type_, info, with_force_input)
            expected = sum(1 + w.extras for w in widgets) + uploads
            # A missing trailing upload widget or control value is tolerated: older editors omitted them.
            if len(values) in (expected, expected - uploads) or (
                len(values) == len(widgets) and all(w.extras == 0 for w in widgets)
            ):
                out: JsonObject = {}
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
            f"node {node_id} ({type_}): {len(values)} widget values saved but the server's "
            f"definition has {expected} ({', '.join(w.name for w in widgets) or 'none'}); "
            "the node may come from another version of its custom node pack"
        )
        return None

    def _resolve(self, scope: _Scope, link_id: JsonValue, wanted: JsonValue, where: str, depth: int = 0) -> _Resolved:
        if depth > 256:
            self.problems.append(f"{where}: links loop through reroutes or bypassed nodes")
            return DROP
        link = scope.links.get(link_id) if isinstance(link_id, int) else None
        if link is None:
            self.problems.append(f"{where}: refers to link {link_id}, which does not exist")
            return DROP
        if link.origin_id == SUBGRAPH_INPUT_NODE and scope.parent is not None and scope.instance is not None:
            slots = expect_list(scope.instance.get("inputs") or [])
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
            reroute_inputs = expect_list(origin.get("inputs") or [])
            feeding = expect_object(reroute_inputs[0]).get("link") if reroute_inputs else None
            return DROP if feeding is None else self._resolve(scope, feeding, wanted, where, depth + 1)
        if type_ == "PrimitiveNode":
            values = expect_list(origin.get("widgets_values") or [])
            return _Value(_api_value(values[0])) if values else DROP
        if mode == MODE_NEVER or type_ in FRONTEND_ONLY:
            return DROP
        if mode == MODE_BYPASS:
            slot = _bypass_input(origin, link.origin_slot, link.type or wanted)
            if slot is None or slot.get("link") is None:
                return DROP
            return self._resolve(scope, slot["link"], wanted, where, depth + 1)
        if isinstance(type_, str) and type_ in self.subgraphs:
            inner = self._inner_scope(scope, origin, type_)
            inner_link = inner.outputs.get(link.origin_slot)
            return DROP if inner_link is None else self._resolve(inner, inner_link, wanted, where, depth + 1)
        return [f"{scope.prefix}{origin['id']}", link.origin_slot]


def _subgraph_outputs(links: dict[int, _Link]) -> dict[int, int]:
    outputs: dict[int, int] = {}
    for link in links.values():
        if link.target_id == SUBGRAPH_OUTPUT_NODE:
            outputs.setdefault(link.target_slot, link.id)
    return outputs


def _subgraph_instance_slot(scope: _Scope, index: int, slots: JsonList) -> JsonObject | None:
    definition_inputs = expect_list((scope.definition or {}).get("inputs") or [])
    if index < len(definition_inputs):
        name = expect_object(definition_inputs[index]).get("name")
        for slot in slots:
            if expect_object(slot).get("name") == name:
                return expect_object(slot)
    return expect_object(slots[index]) if index < len(slots) else None


def _bypass_input(node: JsonObject, slot: int, wanted: JsonValue) -> JsonObject | None:
    inputs = expect_list(node.get("inputs") or [])
    if slot < len(inputs):
        first = expect_object(inputs[slot])
        if first.get("type") == wanted or wanted in (None, "*"):
            return first
    for candidate in inputs:
        if expect_object(candidate).get("type") == wanted:
            return expect_object(candidate)
    for candidate in inputs:
        if expect_object(candidate).get("type") == "*" or wanted == "*":
            return expect_object(candidate)
    return None


def _api_value(value: JsonValue) -> JsonValue:
    return {"__value__": value} if isinstance(value, list) else value


def _link_number(value: JsonValue, item: JsonValue) -> int:
    if not isinstance(value, int):
        raise WorkflowError([f"not a graph: malformed link {item!r}"])
    return value


def _parse_links(raw: JsonValue) -> dict[int, _Link]:
    links: dict[int, _Link] = {}
    if not raw:
        return links
    if not isinstance(raw, list):
        raise WorkflowError([f"not a graph: malformed links {str(raw)[:80]}"])
    for item in raw:
        if isinstance(item, dict):
            fields = [item.get(k) for k in ("id", "origin_id")] + [item.get("origin_slot", 0)]
            fields += [item.get("target_id"), item.get("target_slot", 0), item.get("type")]
        elif isinstance(item, list) and len(item) >= 5:
            fields = [*item[:5], item[5] if len(item) > 5 else None]
        else:
            raise WorkflowError([f"not a graph: malformed link {item!r}"])
        link_id, origin_id, origin_slot, target_id, target_slot, type_ = fields
        link = _Link(
            _link_number(link_id, item),
            origin_id,
            _link_number(origin_slot, item),
            target_id,
            _link_number(target_slot, item),
            type_,
        )
        links[link.id] = link
    return links


def editor_to_api(workflow: JsonObject, object_info: NodeCatalogue) -> ApiGraph:
    """Convert an editor-format workflow with the server's node definitions; raise WorkflowError
    listing everything that could not be converted."""
    detect_format(workflow)
    nodes: dict[str, JsonObject] = {}
    for node in expect_list(workflow["nodes"]):
        if not isinstance(node, dict) or "id" not in node or "type" not in node:
            raise WorkflowError([f"not a graph: node without id or type: {str(node)[:80]}"])
        nodes[str(node["id"])] = node
    converter = _Converter(object_info=object_info)
    try:
        definitions = expect_object(workflow.get("definitions") or {})
        for raw in expect_list(definitions.get("subgraphs", [])):
            definition = expect_object(raw)
            subgraph_id = definition.get("id")
            if isinstance(subgraph_id, str):
                converter.subgraphs[subgraph_id] = definition
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


def _json_type(value: JsonValue) -> str:
    names: dict[type, str] = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return names.get(type(value), "null" if value is None else type(value).__name__)
