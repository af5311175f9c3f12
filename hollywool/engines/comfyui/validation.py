"""Checks before a graph is queued: against the server's node definitions, and of the user's values.

Everything wrong is collected and reported at once (a 422 with every problem), so a user fixes a
workflow in one pass instead of one error per submit.
"""

from __future__ import annotations

import copy
import math

from pydantic import BaseModel

from hollywool.engines.comfyui.parameters import Parameter
from hollywool.engines.comfyui.workflow_formats import (
    ApiGraph,
    NodeCatalogue,
    as_link,
    combo_choices,
    declared_inputs,
    input_spec,
    is_link,
    node_class,
    node_inputs,
    value_type,
)
from hollywool.errors import InvalidInputError
from hollywool.json_types import JsonObject, JsonValue, as_list, as_object

# (type, options) of an input of a node definition; see `input_spec`.
InputSpec = tuple[JsonValue, JsonObject]

_MODEL_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft", ".onnx")


class Problem(BaseModel):
    type: str  # missing_node, missing_model, missing_input, value_not_in_list, out_of_range, wrong_type, ...
    message: str
    node_id: str | None = None
    node_class: str | None = None
    input_name: str | None = None
    value: JsonValue = None


class GraphProblems(InvalidInputError):
    """A 422 listing every problem; `detail` is the list of problems as JSON."""

    def __init__(self, problems: list[Problem], *, prefix: str = "the workflow cannot run on this server"):
        first = problems[0]
        summary = _summary(problems)
        super().__init__(
            f"{prefix}: {summary}" if summary else f"{prefix}: {first.message}",
            field=f"parameters.{first.node_id}.{first.input_name}" if first.input_name else None,
            detail=[p.model_dump() for p in problems],
        )
        self.problems = problems


def _summary(problems: list[Problem]) -> str:
    parts: list[str] = []
    missing_nodes = sorted({p.node_class or "" for p in problems if p.type == "missing_node"})
    if missing_nodes:
        parts.append(f"missing custom nodes: {', '.join(missing_nodes)}")
    missing_models = sorted({str(p.value) for p in problems if p.type == "missing_model"})
    if missing_models:
        parts.append(f"missing models: {', '.join(missing_models)}")
    others = [p.message for p in problems if p.type not in ("missing_node", "missing_model")]
    parts.extend(others)
    return "; ".join(parts)


def _is_model_input(class_type: str, name: str, value: JsonValue) -> bool:
    return isinstance(value, str) and (
        value.lower().endswith(_MODEL_EXTENSIONS) or (name.endswith("_name") and "Loader" in class_type)
    )


def check_graph(graph: ApiGraph, object_info: NodeCatalogue) -> list[Problem]:
    """Every reason the server would refuse `graph`, found with its `/object_info`."""
    problems: list[Problem] = []
    has_output = False
    for node_id, node in graph.items():
        class_type = node_class(node)
        info = object_info.get(class_type)
        if info is None:
            problems.append(
                Problem(
                    type="missing_node",
                    node_id=node_id,
                    node_class=class_type,
                    message=f"node {node_id}: {class_type} is not installed on the server (missing custom nodes)",
                )
            )
            continue
        has_output = has_output or bool(info.get("output_node"))
        inputs = node_inputs(node)
        required = set(as_object(as_object(info.get("input")).get("required")))
        for name in declared_inputs(info):
            spec = input_spec(info, name)
            if spec is None:
                continue
            if name not in inputs:
                if name in required:
                    problems.append(
                        Problem(
                            type="missing_input",
                            node_id=node_id,
                            node_class=class_type,
                            input_name=name,
                            message=f"node {node_id} ({class_type}): required input '{name}' is missing",
                        )
                    )
                continue
            value = inputs[name]
            link = as_link(value)
            if link is not None:
                problems.extend(_check_link(graph, object_info, node_id, class_type, name, spec[0], link))
            else:
                problem = check_value(spec, value)
                if problem:
                    kind, text = problem
                    if kind == "value_not_in_list" and _is_model_input(class_type, name, value):
                        kind, text = "missing_model", f"model file '{value}' is not on the server"
                    problems.append(
                        Problem(
                            type=kind,
                            node_id=node_id,
                            node_class=class_type,
                            input_name=name,
                            value=value,
                            message=f"node {node_id} ({class_type}) input '{name}': {text}",
                        )
                    )
    if graph and not has_output and not any(p.type == "missing_node" for p in problems):
        problems.append(Problem(type="no_outputs", message="the workflow has no output node (e.g. Save Image)"))
    return problems


def _check_link(
    graph: ApiGraph,
    object_info: NodeCatalogue,
    node_id: str,
    class_type: str,
    name: str,
    wanted: JsonValue,
    link: tuple[str, int],
) -> list[Problem]:
    origin = graph.get(link[0])
    if origin is None:
        text = f"node {node_id} ({class_type}) input '{name}' links to node {link[0]}, which does not exist"
        return [Problem(type="bad_link", node_id=node_id, node_class=class_type, input_name=name, message=text)]
    origin_info = object_info.get(node_class(origin))
    if origin_info is None:
        return []
    outputs = as_list(origin_info.get("output"))
    if link[1] >= len(outputs) or link[1] < 0:
        text = (
            f"node {node_id} ({class_type}) input '{name}' links to output {link[1]} of node {link[0]}, "
            f"which has {len(outputs)}"
        )
        return [Problem(type="bad_link", node_id=node_id, node_class=class_type, input_name=name, message=text)]
    got = outputs[link[1]]
    wanted_types = {wanted} if isinstance(wanted, str) else {"COMBO"}
    if isinstance(wanted, str) and "," in wanted:
        wanted_types = set(wanted.split(","))
    got_types = {got} if isinstance(got, str) else {"COMBO"}
    if isinstance(got, str) and "," in got:
        got_types = set(got.split(","))
    if "*" in wanted_types or "*" in got_types or wanted_types & got_types:
        return []
    if isinstance(wanted, list) and got in ("COMBO", "STRING", "*"):
        return []
    text = f"node {node_id} ({class_type}) input '{name}' expects {value_type(wanted)} but node {link[0]} gives {got}"
    return [Problem(type="type_mismatch", node_id=node_id, node_class=class_type, input_name=name, message=text)]


def check_value(spec: InputSpec, value: JsonValue, *, strict: bool = False) -> tuple[str, str] | None:
    """(problem type, text) when `value` does not fit the input spec; None when it does.

    Not strict (a graph from a file): values the server coerces silently are accepted ("16" for an
    INT). Strict (values a user typed into the form): the type must match.
    """
    type_, opts = spec
    if isinstance(value, dict) and "__value__" in value:
        return None
    choices = combo_choices(type_, opts)
    if choices is not None:
        if not isinstance(value, str | int | float) or isinstance(value, bool) and strict:
            return "wrong_type", f"expected one of the choices, got {type(value).__name__}"
        if choices and value not in choices:
            shown = ", ".join(map(str, choices[:10])) + (", ..." if len(choices) > 10 else "")
            return "value_not_in_list", f"'{value}' is not one of: {shown}"
        if not choices:
            return "value_not_in_list", f"'{value}' is not available on the server (the list is empty)"
        return None
    kind = value_type(type_)
    if kind in ("INT", "FLOAT"):
        number = _number(value, kind, strict)
        if number is None:
            return "wrong_type", f"expected {'an integer' if kind == 'INT' else 'a number'}, got {value!r}"
        minimum, maximum = opts.get("min"), opts.get("max")
        if isinstance(minimum, int | float) and number < minimum:
            return "out_of_range", f"{value} is smaller than the minimum {minimum}"
        if isinstance(maximum, int | float) and number > maximum:
            return "out_of_range", f"{value} is bigger than the maximum {maximum}"
        return None
    if kind == "STRING" and not isinstance(value, str) and (strict or isinstance(value, list | dict)):
        return "wrong_type", f"expected text, got {type(value).__name__}"
    if kind == "BOOLEAN" and not isinstance(value, bool) and strict:
        return "wrong_type", f"expected true or false, got {value!r}"
    return None


def _number(value: JsonValue, kind: str, strict: bool) -> float | None:
    if isinstance(value, bool):
        return None if strict else float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or (kind == "INT" and strict and not value.is_integer()):
            return None
        return value
    if isinstance(value, str) and not strict:
        try:
            return int(value) if kind == "INT" else float(value)
        except ValueError:
            return None
    return None


def apply_values(
    graph: ApiGraph,
    parameters: list[Parameter],
    values: JsonObject,
    object_info: NodeCatalogue | None = None,
) -> ApiGraph:
    """A copy of `graph` with the form's values written in; a 422 naming every bad parameter."""
    by_key = {p.key: p for p in parameters}
    out = copy.deepcopy(graph)
    problems: list[Problem] = []
    for key, value in values.items():
        node_id, _, name = key.rpartition(".")
        node = out.get(node_id)
        param = by_key.get(key)
        if node is None or name not in node_inputs(node) or is_link(node_inputs(node).get(name)):
            text = (
                f"parameter '{key}': the workflow has no node {node_id}"
                if node is None
                else f"parameter '{key}': node {node_id} ({node_class(node)}) has no editable input '{name}'"
            )
            problems.append(Problem(type="unknown_parameter", node_id=node_id or None, input_name=name, message=text))
            continue
        spec = _param_spec(param, node, name, object_info)
        problem = check_value(spec, value, strict=True) if spec is not None else None
        if problem is None and param is not None and param.input_type == "IMAGE" and not isinstance(value, str):
            problem = ("wrong_type", "expected the name of an uploaded image")
        if problem:
            kind, text = problem
            if kind == "value_not_in_list" and param is not None and param.input_type == "IMAGE":
                problem = None  # an image uploaded since the catalogue was read; the server checks it
            else:
                problems.append(
                    Problem(
                        type=kind,
                        node_id=node_id,
                        node_class=node_class(node),
                        input_name=name,
                        value=value,
                        message=f"parameter '{key}' ({param.display_name if param else name}): {text}",
                    )
                )
                continue
        if spec is not None and value_type(spec[0]) == "INT" and isinstance(value, float):
            value = int(value)
        node_inputs(node)[name] = value
    if problems:
        raise GraphProblems(problems, prefix="invalid parameter values")
    return out


def _param_spec(
    param: Parameter | None, node: JsonObject, name: str, object_info: NodeCatalogue | None
) -> InputSpec | None:
    info = (object_info or {}).get(node_class(node))
    spec = input_spec(info, name) if info else None
    if spec is not None:
        return spec
    if param is None:
        return None
    if param.input_type == "COMBO":
        choices = param.constraints.get("choices")
        return (choices, {}) if choices else ("STRING", {})
    if param.input_type in ("INT", "FLOAT", "STRING", "BOOLEAN"):
        return param.input_type, {k: v for k, v in param.constraints.items() if k in ("min", "max")}
    return None
