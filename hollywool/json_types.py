"""Types for JSON read from outside (a ComfyUI server, a provider's answer, an imported file).

`JsonValue` is what `json.loads` can return; narrowing it with `isinstance` gives typed values, so
code that reads foreign JSON checks each part before it uses it. `expect_object` and `expect_list`
raise TypeError for a part of another type, as indexing it would.
"""

from __future__ import annotations

from pydantic import JsonValue

JsonObject = dict[str, JsonValue]
JsonList = list[JsonValue]

__all__ = [
    "JsonList",
    "JsonObject",
    "JsonValue",
    "as_int",
    "as_list",
    "as_object",
    "as_str",
    "expect_list",
    "expect_object",
    "expect_str",
]


def as_object(value: JsonValue) -> JsonObject:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: JsonValue) -> JsonList:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: JsonValue) -> str | None:
    """`value` if it is a string, else None."""
    return value if isinstance(value, str) else None


def as_int(value: JsonValue) -> int | None:
    """`value` if it is an integer (not a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def expect_object(value: JsonValue) -> JsonObject:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def expect_list(value: JsonValue) -> JsonList:
    if not isinstance(value, list):
        raise TypeError(f"expected a JSON array, got {type(value).__name__}")
    return value


def expect_str(value: JsonValue) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a JSON string, got {type(value).__name__}")
    return value
