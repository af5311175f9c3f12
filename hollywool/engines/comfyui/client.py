"""A small client for one ComfyUI server: its HTTP API and its websocket (see comfyui-protocol.md).

Every network failure becomes `ComfyUnreachable` (the server is down or restarting; a timeout is
`ComfyTimeout`, an answer that is not ComfyUI's, such as a web page, an error status or JSON of
another shape, is `ComfyBadAnswer`), and every refusal of a submitted graph becomes `ComfyRejected`
with the server's own error body, so callers tell "try again later" apart from "this graph is wrong".
Their messages name the server's URL and say what to do.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import quote, urlsplit

import httpx
from websockets.sync.client import ClientConnection, connect

from hollywool.errors import StudioError, UnavailableError
from hollywool.json_types import JsonList, JsonObject, JsonValue, as_object

DEFAULT_TIMEOUT_S = 30.0
# A server that is not there should say so in seconds, whatever the read timeout.
CONNECT_TIMEOUT_S = 3.0
WHAT_TO_DO = "Start ComfyUI, or set its URL in Settings (or HOLLYWOOL_COMFYUI_URL)."

# Binary websocket frames: 4-byte big-endian event type, then the payload.
_PREVIEW_IMAGE = 1
_PREVIEW_IMAGE_WITH_METADATA = 4
_IMAGE_FORMATS = {1: "image/jpeg", 2: "image/png"}


class ComfyUnreachable(UnavailableError):
    """The server did not answer (down, restarting, wrong URL): 503."""


class ComfyTimeout(ComfyUnreachable):
    """The server did not answer in time: 504."""

    status_code = 504


class ComfyBadAnswer(ComfyUnreachable):
    """Something answered, but not as ComfyUI does (a web page, an error status, JSON of another
    shape): 502. Still a kind of "unreachable": a job waits for the real server to come back."""

    status_code = 502


class ComfyRejected(StudioError):
    """The server refused a prompt (HTTP 400): `body` is its error object with `node_errors`."""

    status_code = 422

    def __init__(self, message: str, body: JsonObject):
        super().__init__(message, detail=body)
        self.body = body


@dataclass(frozen=True)
class Preview:
    image: bytes
    mime: str
    node_id: str | None = None
    prompt_id: str | None = None


def parse_binary_frame(data: bytes) -> Preview | None:
    """Decode a binary websocket frame; None for kinds that are not previews (e.g. text)."""
    if len(data) < 8:
        return None
    event = int.from_bytes(data[:4], "big")
    if event == _PREVIEW_IMAGE:
        fmt = int.from_bytes(data[4:8], "big")
        return Preview(image=data[8:], mime=_IMAGE_FORMATS.get(fmt, "image/jpeg"))
    if event == _PREVIEW_IMAGE_WITH_METADATA:
        size = int.from_bytes(data[4:8], "big")
        try:
            meta: JsonValue = json.loads(data[8 : 8 + size])
        except ValueError:
            return None
        if not isinstance(meta, dict):
            return None
        return Preview(
            image=data[8 + size :],
            mime=_str_or_none(meta.get("image_type")) or "image/jpeg",
            node_id=_str_or_none(meta.get("node_id")),
            prompt_id=_str_or_none(meta.get("prompt_id")),
        )
    return None


def describe_rejection(body: JsonValue) -> str:
    """One readable line per problem of a /prompt 400 body."""
    body = as_object(body)
    raw_error = body.get("error") or {}
    error: JsonObject = raw_error if isinstance(raw_error, dict) else {"message": str(raw_error)}
    parts = [str(error.get("message") or "the server refused the workflow")]
    if error.get("details") and not body.get("node_errors"):
        parts[0] += f" ({error['details']})"
    for node_id, info in as_object(body.get("node_errors")).items():
        errors = info.get("errors") if isinstance(info, dict) else None
        if not isinstance(info, dict) or not isinstance(errors, list):
            continue
        for err in errors:
            if not isinstance(err, dict):
                continue
            detail = f": {err['details']}" if err.get("details") else ""
            parts.append(f"node {node_id} ({info.get('class_type', '?')}): {err.get('message', '')}{detail}")
    return "; ".join(parts)


class ComfyClient:
    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_S):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url, timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_S))
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ComfyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            phase = "accept the connection" if isinstance(exc, httpx.ConnectTimeout) else f"answer {method} {path}"
            raise ComfyTimeout(
                f"The ComfyUI server at {self.base_url} did not {phase} in time. Check that it is running and "
                f"not stuck. {WHAT_TO_DO}"
            ) from exc
        except httpx.HTTPError as exc:
            raise ComfyUnreachable(
                f"The ComfyUI server at {self.base_url} is unreachable ({_short(exc)}). {WHAT_TO_DO}"
            ) from exc

    def bad_answer(self, method: str, path: str, what: str) -> ComfyBadAnswer:
        return ComfyBadAnswer(
            f"The server at {self.base_url} answered {method} {path} with {what}, not as ComfyUI does: is "
            f"ComfyUI what runs at this URL? {WHAT_TO_DO}"
        )

    def _json(self, method: str, path: str, *, required: bool = False, **kwargs: Any) -> JsonValue:
        """The answer's JSON; ComfyBadAnswer for an error status, a non-JSON body or (`required`) an
        empty one."""
        response = self._request(method, path, **kwargs)
        if response.status_code >= 400:
            raise self.bad_answer(method, path, f"HTTP status {response.status_code}")
        if not response.content:
            if required:
                raise self.bad_answer(method, path, "an empty body")
            return None
        try:
            body: JsonValue = response.json()
        except (ValueError, RecursionError):
            kind = "an HTML page" if "html" in response.headers.get("content-type", "") else "a body that is not JSON"
            raise self.bad_answer(method, path, kind) from None
        return body

    def _object(self, method: str, path: str, **kwargs: Any) -> JsonObject:
        """The answer's JSON object; ComfyBadAnswer as `_json`, and for JSON of another type."""
        body = self._json(method, path, required=True, **kwargs)
        if not isinstance(body, dict):
            raise self.bad_answer(method, path, f"JSON of an unexpected shape (a {type(body).__name__})")
        return body

    # -- information -----------------------------------------------------------------------------
    def system_stats(self) -> JsonObject:
        return self._object("GET", "/system_stats")

    def object_info(self) -> dict[str, JsonObject]:
        """The node catalogue; classes whose definition is malformed are left out."""
        info = self._object("GET", "/object_info")
        return {str(name): spec for name, spec in info.items() if _well_formed_class(spec)}

    def queue(self) -> dict[str, list[JsonList]]:
        """`queue_running` and `queue_pending`: the server's items, each a list (number, prompt id, ...)."""
        body = self._object("GET", "/queue")
        lists = {key: body.get(key) for key in ("queue_running", "queue_pending")}
        return {
            key: [item for item in items if isinstance(item, list)] if isinstance(items, list) else []
            for key, items in lists.items()
        }

    def history(self, prompt_id: str) -> JsonObject | None:
        """The history entry of `prompt_id`, or None while it is pending, running or unknown."""
        body = self._object("GET", f"/history/{quote(prompt_id, safe='')}")
        entry = body.get(prompt_id)
        return entry if isinstance(entry, dict) else None

    def locate(self, prompt_id: str) -> tuple[str, JsonObject | None]:
        """Where a prompt is: ("done", history entry), ("running"|"pending", None) or ("unknown", None)."""
        entry = self.history(prompt_id)
        if entry:
            return "done", entry
        queue = self.queue()
        if any(queue_item_id(item) == prompt_id for item in queue.get("queue_running", [])):
            return "running", None
        if any(queue_item_id(item) == prompt_id for item in queue.get("queue_pending", [])):
            return "pending", None
        entry = self.history(prompt_id)  # it may have finished between the two reads
        return ("done", entry) if entry else ("unknown", None)

    # -- actions ---------------------------------------------------------------------------------
    def submit(
        self,
        graph: Mapping[str, object],
        *,
        client_id: str,
        prompt_id: str,
        extra_data: Mapping[str, object] | None = None,
    ) -> JsonObject:
        body: dict[str, object] = {"prompt": graph, "client_id": client_id, "prompt_id": prompt_id}
        if extra_data:
            body["extra_data"] = extra_data
        response = self._request("POST", "/prompt", json=body)
        if response.status_code == 400:
            try:
                answer_400: JsonValue = response.json()
            except (ValueError, RecursionError):
                answer_400 = {"error": {"message": response.text[:300]}}
            error: JsonObject = (
                answer_400 if isinstance(answer_400, dict) else {"error": {"message": str(answer_400)[:300]}}
            )
            raise ComfyRejected(describe_rejection(error), error)
        if response.status_code >= 400:
            raise self.bad_answer("POST", "/prompt", f"HTTP status {response.status_code}")
        try:
            answer: JsonValue = response.json()
        except (ValueError, RecursionError):
            raise self.bad_answer("POST", "/prompt", "a body that is not JSON") from None
        return answer if isinstance(answer, dict) else {}

    def delete_from_queue(self, prompt_ids: list[str]) -> None:
        self._json("POST", "/queue", json={"delete": prompt_ids})

    def clear_queue(self) -> None:
        self._json("POST", "/queue", json={"clear": True})

    def interrupt(self, prompt_id: str | None = None) -> None:
        self._json("POST", "/interrupt", json={"prompt_id": prompt_id} if prompt_id else {})

    def view(self, filename: str, subfolder: str = "", type_: str = "output") -> bytes:
        response = self._request("GET", "/view", params={"filename": filename, "subfolder": subfolder, "type": type_})
        if response.status_code != 200:
            raise StudioError(
                f"The ComfyUI server at {self.base_url} could not send output {subfolder}/{filename} "
                f"(HTTP status {response.status_code})"
            )
        return response.content

    def upload_image(self, name: str, data: bytes, *, overwrite: bool = False) -> JsonObject:
        files = {"image": (name, data, "application/octet-stream")}
        form = {"type": "input", "overwrite": "true" if overwrite else "false"}
        return self._object("POST", "/upload/image", files=files, data=form)

    # -- websocket -------------------------------------------------------------------------------
    def ws_url(self, client_id: str) -> str:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}{parts.path}/ws?clientId={quote(client_id, safe='')}"

    def open_socket(self, client_id: str) -> ClientConnection:
        try:
            ws = connect(self.ws_url(client_id), open_timeout=self.timeout, max_size=None, proxy=None, legacy=True)
        except (OSError, TimeoutError, Exception) as exc:  # websockets raises several unrelated types
            raise ComfyUnreachable(f"ComfyUI websocket at {self.base_url} is unreachable ({_short(exc)})") from exc
        # Ask for previews that name their node and prompt (older servers ignore it). A socket
        # closing here is noticed by the first recv.
        with contextlib.suppress(Exception):
            ws.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
        return ws


def _well_formed_class(spec: JsonValue) -> TypeGuard[JsonObject]:
    """A node definition the studio can read: the parts it uses have the types it expects."""
    if not isinstance(spec, dict):
        return False
    inputs, order = spec.get("input") or {}, spec.get("input_order") or {}
    if not isinstance(inputs, dict) or not isinstance(order, dict):
        return False
    if not all(isinstance(group, dict) for group in inputs.values()):
        return False
    if not all(isinstance(names, list) and all(isinstance(n, str) for n in names) for names in order.values()):
        return False
    return all(isinstance(spec.get(key) or [], list) for key in ("output", "output_name"))


def queue_item_id(item: JsonValue) -> str | None:
    """The prompt id of a queue item `[number, prompt_id, graph, extra, outputs]`."""
    value = item[1] if isinstance(item, list) and len(item) > 1 else None
    return value if isinstance(value, str) else None


def _str_or_none(value: JsonValue) -> str | None:
    return value if isinstance(value, str) else None


def _short(exc: BaseException) -> str:
    return str(exc) or exc.__class__.__name__
