"""A small JSON-Schema subset checker used by the remote-provider fakes to validate request bodies
the way their pydantic servers do (errors in pydantic v2's `{loc, msg, type}` shape)."""

from __future__ import annotations

_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}
_TYPE_ERRORS = {
    "string": ("string_type", "Input should be a valid string"),
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "object": ("dict_type", "Input should be a valid dictionary"),
    "array": ("list_type", "Input should be a valid list"),
}


def check_body(body: object, schema: dict, *, forbid_extra: bool = False) -> list[dict]:
    """Return pydantic-style errors for `body` against an object `schema` (empty when valid)."""
    if not isinstance(body, dict):
        return [_err([], "model_attributes_type", "Input should be a valid dictionary or object", body)]
    errors = []
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in body:
            errors.append(_err([name], "missing", "Field required", body))
    if forbid_extra:
        errors += [
            _err([k], "extra_forbidden", "Extra inputs are not permitted", v) for k, v in body.items() if k not in props
        ]
    for name, value in body.items():
        if name in props:
            errors += check_value(value, props[name], [name])
    return errors


def check_value(value: object, spec: dict, loc: list) -> list[dict]:
    if "anyOf" in spec:
        options = [check_value(value, option, loc) for option in spec["anyOf"]]
        return [] if any(not o for o in options) else options[-1]
    if "$ref" in spec or value is None and spec.get("nullable"):
        return []
    kind = spec.get("type")
    if kind in _TYPES and not _is_type(value, kind):
        code, msg = _TYPE_ERRORS[kind]
        return [_err(loc, code, msg, value)]
    if "enum" in spec and value not in spec["enum"]:
        expected = " or ".join(repr(v) for v in spec["enum"])
        return [_err(loc, "literal_error", f"Input should be {expected}", value, {"expected": expected})]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in spec and value < spec["minimum"]:
            bound = spec["minimum"]
            return [
                _err(
                    loc,
                    "greater_than_equal",
                    f"Input should be greater than or equal to {bound}",
                    value,
                    {"ge": bound},
                )
            ]
        if "maximum" in spec and value > spec["maximum"]:
            bound = spec["maximum"]
            return [
                _err(
                    loc,
                    "less_than_equal",
                    f"Input should be less than or equal to {bound}",
                    value,
                    {"le": bound},
                )
            ]
    if kind == "object" and "properties" in spec:
        return [{**e, "loc": ["body", *loc, *e["loc"][1:]]} for e in check_body(value, spec)]
    return []


def _is_type(value: object, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    return isinstance(value, _TYPES[kind])


def _err(loc: list, kind: str, msg: str, value: object, ctx: dict | None = None) -> dict:
    error = {"loc": ["body", *loc], "msg": msg, "type": kind, "input": value}
    if ctx:
        error["ctx"] = ctx
    return error


# ---- input images (fal and KREA take a public URL or a data: URI in a model's image fields) --------
IMAGE_FIELDS = {"image", "images", "startImage", "endImage", "start_image", "end_image", "input_image", "init_image"}


def is_image_field(name: str) -> bool:
    return name in IMAGE_FIELDS or name.endswith(("image_url", "image_urls"))


def check_images(body: dict) -> tuple[list[dict], list[tuple[str, bytes, str]]]:
    """Errors for image fields holding neither an http(s) URL nor a data: URI of a decodable image,
    and the images decoded from data URIs as (field, bytes, content type)."""
    import base64
    import binascii
    import io

    from PIL import Image

    errors, images = [], []
    for name, value in body.items():
        if not is_image_field(name):
            continue
        for n, item in enumerate(value if isinstance(value, list) else [value]):
            loc = [name, n] if isinstance(value, list) else [name]
            if not isinstance(item, str):
                errors.append(_err(loc, "string_type", "Input should be a valid string", item))
                continue
            if item.startswith(("http://", "https://")):
                continue
            header, sep, payload = item.partition(",")
            if not (item.startswith("data:image/") and header.endswith(";base64") and sep):
                errors.append(_err(loc, "value_error", "Unsupported URL: give an http(s) URL or a data URI", item[:40]))
                continue
            try:
                data = base64.b64decode(payload, validate=True)
                with Image.open(io.BytesIO(data)) as probe:
                    probe.load()
            except (binascii.Error, ValueError, OSError):
                errors.append(_err(loc, "value_error", "Could not load the image from the data URI", item[:40]))
                continue
            images.append((name, data, header[len("data:") : -len(";base64")]))
    return errors, images
