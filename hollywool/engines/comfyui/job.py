"""The "comfyui" job kind: run one API graph on the ComfyUI server, through the studio's queue.

Crash safety rests on one rule: the prompt id is chosen here and saved in the job's checkpoint
*before* the graph is submitted. A job that starts with a prompt id in its checkpoint therefore
re-attaches to it (history, then queue) and submits again only when the server never had it or
lost it (a server restart forgets its queue).

The server going away is not an error by itself: before submitting, the job waits for it as long
as it takes (and says so); after submitting, it waits `lost_timeout_s` for the server to return,
then looks the prompt up and carries on.
"""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from pydantic import BaseModel, Field
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from hollywool.engines.comfyui.client import (
    ComfyClient,
    ComfyRejected,
    ComfyUnreachable,
    parse_binary_frame,
    queue_item_id,
)
from hollywool.engines.comfyui.parameters import trace_prompts
from hollywool.engines.comfyui.workflow_formats import ApiGraph, node_inputs
from hollywool.errors import StudioError
from hollywool.jobs.context import JobCancelled, JobContext
from hollywool.json_types import JsonObject, JsonValue, as_list, as_object

if TYPE_CHECKING:
    from hollywool.storage.assets import Asset
from hollywool.media.png_meta import HOLLYWOOL_CHUNK, read_text_chunks

log = logging.getLogger("hollywool.comfyui")

KIND = "comfyui"

_VIDEO_MIME = {
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
    "mkv": "video/x-matroska",
    "gif": "image/gif",
    "webp": "image/webp",
    "png": "image/png",
}
_IMAGE_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
# What the studio keeps of a run's outputs (images and videos); anything else is skipped and noted.
MEDIA_EXTENSIONS = frozenset({*_IMAGE_MIME, "gif", "mp4", "webm", "mov", "mkv"})
_SQLITE_INT_MAX = 2**63 - 1


class ComfyJobParams(BaseModel):
    """What a comfyui job runs: the final API graph (values already written in)."""

    workflow_id: str | None = None
    workflow_name: str | None = None
    graph: dict[str, Any]
    values: dict[str, Any] = Field(default_factory=dict, description="the parameter values given, by key")
    batch_index: int = 0
    batch_count: int = 1


@dataclass(frozen=True)
class ComfyConfig:
    http_timeout_s: float = 30.0
    status_timeout_s: float = 3.0
    # A submitted prompt whose server stays unreachable this long fails the job.
    lost_timeout_s: float = 300.0
    # Pause between attempts to reach a server that is down.
    retry_interval_s: float = 1.0
    # While the websocket is quiet, /history is asked this often (an event missed on re-attach).
    history_poll_s: float = 2.0


class _Lost(Exception):
    """The websocket closed under us: the server is going away."""


@dataclass(frozen=True)
class _OutputFile:
    """A file a run wrote, as /view names it."""

    filename: str
    subfolder: str
    type: str

    @property
    def key(self) -> str:
        return f"{self.type}/{self.subfolder}/{self.filename}"


# What the gallery files a run's assets under: prompt, negative_prompt, seed, model.
AssetFacts = dict[str, str | int]


class ComfyRun:
    """One execution of a comfyui job (a fresh object per attempt)."""

    def __init__(
        self,
        ctx: JobContext,
        params: ComfyJobParams,
        client: ComfyClient,
        config: ComfyConfig,
        editor_workflow: JsonObject | None,
    ):
        self.ctx = ctx
        self.p = params
        self.client = client
        self.config = config
        self.editor_workflow = editor_workflow
        self.graph: ApiGraph = params.graph
        self.client_id: str = ctx.checkpoint.get("client_id") or f"hollywool-{ctx.job_id}"
        self.prompt_id: str = ctx.checkpoint.get("prompt_id") or ""
        self.ws_outputs: JsonObject = {}
        self.cached: set[str] = set()
        self.executed_nodes: list[str] = []
        self.current_node: str | None = None
        self.step = 0
        self._waiting_said = False
        self._reattaching = bool(self.prompt_id)

    # -- the whole run ---------------------------------------------------------------------------
    def execute(self) -> JsonObject:
        fresh = not self.prompt_id
        if fresh:
            self.prompt_id = str(uuid.uuid4())
            # Saved before submitting: a restart from here on re-attaches instead of submitting twice.
            self.ctx.save_checkpoint(prompt_id=self.prompt_id, client_id=self.client_id, submitted=False)
            self.ctx.set_stage("submitting", "Sending the workflow to ComfyUI")
        else:
            self.ctx.set_stage("reattaching", f"Re-attaching to ComfyUI prompt {self.prompt_id}")
        entry = self._follow(fresh)
        return self._collect(entry)

    def _follow(self, fresh: bool) -> JsonObject:
        lost_since: float | None = None
        while True:
            self._check_cancel(submitted=not fresh)
            try:
                if not fresh:
                    where, entry = self.client.locate(self.prompt_id)
                    if where == "done" and entry is not None:
                        return entry
                    if where == "unknown":
                        log.warning("prompt %s is unknown to the server: submitting it again", self.prompt_id)
                        fresh = True
                ws = self.client.open_socket(self.client_id)
                lost_since = None
                try:
                    if fresh:
                        self._submit()
                        fresh = False
                    elif self._waiting_said or self._reattaching:
                        self._reattaching = False
                        self.ctx.set_stage("running", "Following the prompt on ComfyUI")
                    self._waiting_said = False
                    return self._listen(ws)
                finally:
                    ws.close()
            except (ComfyUnreachable, _Lost) as exc:
                now = time.monotonic()
                lost_since = lost_since or now
                if not fresh and now - lost_since > self.config.lost_timeout_s:
                    raise StudioError(
                        f"The ComfyUI server at {self.client.base_url} went away while running prompt "
                        f"{self.prompt_id} and did not come back within {self.config.lost_timeout_s:g} s"
                    ) from None
                self._say_waiting(fresh, str(exc))
                self._sleep(self.config.retry_interval_s)

    def _say_waiting(self, fresh: bool, reason: str) -> None:
        if self._waiting_said:
            return
        self._waiting_said = True
        if fresh:
            text = f"Waiting for the ComfyUI server at {self.client.base_url}: it is unreachable ({reason})"
        else:
            text = (
                f"The ComfyUI server at {self.client.base_url} went away ({reason}); waiting up to "
                f"{self.config.lost_timeout_s:g} s for it to come back, then resuming prompt {self.prompt_id}"
            )
        self.ctx.set_stage("waiting_for_server", text)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.ctx.raise_if_cancelled()
            time.sleep(min(0.1, max(deadline - time.monotonic(), 0)))

    def _submit(self) -> None:
        extra: dict[str, object] = {"client_id": self.client_id}
        if self.editor_workflow:
            extra["extra_pnginfo"] = {"workflow": self.editor_workflow}
        try:
            answer = self.client.submit(
                self.graph, client_id=self.client_id, prompt_id=self.prompt_id, extra_data=extra
            )
        except ComfyRejected as exc:
            raise StudioError(f"ComfyUI refused the workflow: {exc.message}") from None
        self.ctx.save_checkpoint(submitted=True)
        skipped = answer.get("node_errors") or {}
        names = list(skipped) if isinstance(skipped, dict | list) else [skipped]
        message = "Queued on ComfyUI"
        if names:
            message += f"; outputs skipped by the server's validation: {', '.join(map(str, names))}"
        self.ctx.set_stage("queued_on_server", message)

    # -- cancellation ------------------------------------------------------------------------------
    def _check_cancel(self, *, submitted: bool) -> None:
        try:
            self.ctx.raise_if_cancelled()
        except JobCancelled:
            if submitted:
                self._cancel_on_server()
            raise

    def _cancel_on_server(self) -> None:
        try:
            queue = self.client.queue()
            pending = {queue_item_id(item) for item in queue.get("queue_pending", [])}
            running = {queue_item_id(item) for item in queue.get("queue_running", [])}
            if self.prompt_id in pending:
                self.client.delete_from_queue([self.prompt_id])
            elif self.prompt_id in running:
                self.client.interrupt(self.prompt_id)
        except StudioError as exc:  # the server is down: nothing left to stop there
            log.info("could not cancel prompt %s on the server: %s", self.prompt_id, exc.message)

    # -- the websocket ---------------------------------------------------------------------------
    def _listen(self, ws: ClientConnection) -> JsonObject:
        last_poll = time.monotonic()
        while True:
            self._check_cancel(submitted=True)
            try:
                message = ws.recv(timeout=0.25)
            except TimeoutError:
                if time.monotonic() - last_poll >= self.config.history_poll_s:
                    last_poll = time.monotonic()
                    entry = self.client.history(self.prompt_id)
                    if entry:
                        return entry
                continue
            except (ConnectionClosed, OSError) as exc:
                raise _Lost(f"websocket closed: {exc}") from None
            if isinstance(message, bytes):
                self._on_preview(message)
                continue
            try:
                event: JsonValue = json.loads(message)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            data = as_object(event.get("data"))
            if data.get("prompt_id") not in (None, self.prompt_id):
                continue
            event_type = event.get("type")
            done = self._on_event(event_type if isinstance(event_type, str) else None, data)
            if done:
                return self._final_history()

    def _on_event(self, type_: str | None, data: JsonObject) -> bool:
        if type_ == "execution_start":
            self.ctx.set_stage("running", "Running on ComfyUI")
        elif type_ == "execution_cached":
            self.cached.update(str(n) for n in as_list(data.get("nodes")))
            self._report(0, 0, None)
        elif type_ == "executing":
            node = data.get("node")
            if node is None:
                return data.get("prompt_id") == self.prompt_id
            self.current_node = str(node)
            if self.current_node not in self.executed_nodes:
                self.executed_nodes.append(self.current_node)
            self._report(0, 0, None)
        elif type_ == "progress":
            node = str(data.get("node") or self.current_node or "")
            self.current_node = node or self.current_node
            value, maximum = _number(data.get("value")), _number(data.get("max"))
            self._report(int(value), int(maximum), value / maximum if maximum else None)
        elif type_ == "executed":
            node = str(data.get("node"))
            self.ws_outputs[node] = data.get("output") or {}
        elif type_ == "execution_success":
            return True
        elif type_ == "execution_error":
            raise StudioError(format_execution_error(data, self.graph))
        elif type_ == "execution_interrupted":
            if self.ctx.cancelled:
                self.ctx.raise_if_cancelled()
            raise StudioError(
                f"The run was interrupted on the ComfyUI server at node {data.get('node_id')} ({data.get('node_type')})"
            )
        return False

    def _node_label(self, node_id: str | None) -> str:
        node = self.graph.get(node_id or "", {})
        title = as_object(node.get("_meta")).get("title") or node.get("class_type") or "node"
        return f"{title} (node {node_id})"

    def _report(self, step: int, total: int, node_fraction: float | None) -> None:
        to_run = max(len(self.graph) - len(self.cached), 1)
        done = max(len(self.executed_nodes) - 1, 0)
        fraction = min((done + (node_fraction or 0.0)) / to_run, 0.99)
        self.step = step
        label = self._node_label(self.current_node) if self.current_node else "ComfyUI"
        message = f"{label}: step {step}/{total}" if total else f"Running {label}"
        if self.cached and not self.executed_nodes:
            message = f"{len(self.cached)} nodes cached"
        self.ctx.progress(step, total, fraction=fraction, message=message)

    def _on_preview(self, frame: bytes) -> None:
        preview = parse_binary_frame(frame)
        if preview is None or (preview.prompt_id and preview.prompt_id != self.prompt_id):
            return
        try:
            with Image.open(io.BytesIO(preview.image)) as img:
                img.load()
                self.ctx.preview(img, self.step)
        except OSError:
            log.debug("unreadable preview frame (%d bytes)", len(preview.image))

    def _final_history(self) -> JsonObject:
        """The authoritative record; a server that does not keep history gets the websocket's outputs."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            entry = self.client.history(self.prompt_id)
            if entry:
                return entry
            time.sleep(0.1)
        return {"outputs": self.ws_outputs, "status": {"status_str": "success", "completed": True}}

    # -- results ---------------------------------------------------------------------------------
    def _collect(self, entry: JsonObject) -> JsonObject:
        status = as_object(entry.get("status"))
        if status.get("status_str") == "error":
            for message in reversed(as_list(status.get("messages"))):
                if not isinstance(message, list) or len(message) != 2:
                    continue
                name, data = message[0], as_object(message[1])
                if name == "execution_error":
                    raise StudioError(format_execution_error(data, self.graph))
                if name == "execution_interrupted":
                    if self.ctx.cancelled:
                        self.ctx.raise_if_cancelled()
                    raise StudioError(f"The run was interrupted on the ComfyUI server at node {data.get('node_id')}")
            raise StudioError(f"ComfyUI reported an error for prompt {self.prompt_id}")
        outputs = entry.get("outputs") or self.ws_outputs
        if not isinstance(outputs, dict):
            outputs = {}
        files = _output_files(outputs)
        # Only media the studio makes are kept: an .html (or any other) file from a custom node would
        # otherwise be served from the studio's own origin.
        skipped: list[JsonValue] = [
            {"node_id": node_id, "filename": item.filename, "reason": "not an image or a video file"}
            for node_id, item, _animated in files
            if _extension(item.filename) not in MEDIA_EXTENSIONS
        ]
        skipped_names = [
            item.filename for _node_id, item, _animated in files if _extension(item.filename) not in MEDIA_EXTENSIONS
        ]
        files = [f for f in files if _extension(f[1].filename) in MEDIA_EXTENSIONS]
        self.ctx.set_stage("saving", f"Downloading {len(files)} output(s) from ComfyUI", total_steps=len(files))
        saved: dict[str, str] = dict(self.ctx.checkpoint.get("saved") or {})
        facts = _asset_facts(self.graph)
        for i, (node_id, item, animated) in enumerate(files, 1):
            if item.key not in saved:
                data = self.client.view(item.filename, item.subfolder, item.type)
                asset = self._save(node_id, item, data, animated, facts)
                if asset is None:
                    reason = f"its content is not a {_extension(item.filename)} file"
                    skipped.append({"node_id": node_id, "filename": item.filename, "reason": reason})
                    skipped_names.append(item.filename)
                else:
                    saved[item.key] = asset.id
                    self.ctx.save_checkpoint(saved=saved)  # a restart from here does not save it twice
            self.ctx.progress(i, len(files))
        texts: JsonObject = {n: out["text"] for n, out in outputs.items() if isinstance(out, dict) and out.get("text")}
        result: JsonObject = {"prompt_id": self.prompt_id, "outputs": outputs}
        if texts:
            result["texts"] = texts
        if skipped:
            names = ", ".join(skipped_names[:5]) + (", ..." if len(skipped) > 5 else "")
            result["skipped_outputs"] = skipped
            result["note"] = (
                f"Not saved: {names} ({len(skipped)} output(s) that are not images or videos; "
                "they stay in ComfyUI's output folder)"
            )
            log.warning("prompt %s: %s", self.prompt_id, result["note"])
        return result

    def _save(self, node_id: str, item: _OutputFile, data: bytes, animated: bool, facts: AssetFacts) -> Asset | None:
        filename = item.filename
        ext = _extension(filename)
        meta: dict[str, Any] = {
            "comfyui": {
                "prompt_id": self.prompt_id,
                "workflow_id": self.p.workflow_id,
                "server": self.client.base_url,
                "node_id": node_id,
                "filename": filename,
                "subfolder": item.subfolder,
                "values": self.p.values,
                "batch_index": self.p.batch_index,
            },
            "graph": self.graph,
        }
        image = _open_image(data)
        if not _content_matches(ext, data, image):
            return None
        frames: int = getattr(image, "n_frames", 1) if image is not None else 1
        if ext == "png" and image is not None and frames == 1 and not animated:
            chunks = {k: v for k, v in read_text_chunks(data).items() if k != HOLLYWOOL_CHUNK}
            chunks.setdefault("prompt", json.dumps(self.graph))
            if self.editor_workflow:
                chunks.setdefault("workflow", json.dumps(self.editor_workflow))
            return self.ctx.save_image(image, params=meta, text_chunks=chunks, **facts)

        def write(path: Path) -> None:
            path.write_bytes(data)

        if ext in _IMAGE_MIME and image is not None and frames == 1 and not animated:
            return self.ctx.save_file(
                "image", ext, _IMAGE_MIME[ext], write, params=meta, width=image.width, height=image.height, **facts
            )
        poster = image.convert("RGB") if image is not None else None
        size: dict[str, int] = {}
        if image is not None:
            size = {"width": image.width, "height": image.height, "frame_count": frames}
        mime = _VIDEO_MIME.get(ext, "application/octet-stream")
        return self.ctx.save_file("video", ext, mime, write, params=meta, poster=poster, **size, **facts)


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _content_matches(ext: str, data: bytes, image: Image.Image | None) -> bool:
    """The bytes are what the extension says: an image PIL decodes, or a video container."""
    if ext in _IMAGE_MIME or ext == "gif":
        return image is not None
    if ext in ("mp4", "mov"):
        return data[4:8] in (b"ftyp", b"moov", b"wide", b"mdat", b"free", b"skip")
    if ext in ("webm", "mkv"):
        return data[:4] == b"\x1a\x45\xdf\xa3"
    return False


def _open_image(data: bytes) -> Image.Image | None:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except Exception:  # noqa: BLE001 - not an image PIL knows (a video)
        return None


def _output_files(outputs: JsonObject) -> list[tuple[str, _OutputFile, bool]]:
    """(node id, file, animated) for every file of the run; temp previews only if nothing was saved."""
    found: list[tuple[str, _OutputFile, bool]] = []
    for node_id, out in outputs.items():
        if not isinstance(out, dict):
            continue
        flags = out.get("animated")
        animated = isinstance(flags, list) and any(flags)
        for key in ("images", "gifs", "videos", "video"):
            for item in as_list(out.get(key)):
                if not isinstance(item, dict):
                    continue
                filename, subfolder, type_ = item.get("filename"), item.get("subfolder"), item.get("type")
                if not isinstance(filename, str) or not filename:
                    continue
                entry = _OutputFile(
                    filename=filename,
                    subfolder=subfolder if isinstance(subfolder, str) else "",
                    type=type_ if isinstance(type_, str) else "output",
                )
                found.append((str(node_id), entry, animated or key in ("gifs", "videos", "video")))
    saved = [f for f in found if f[1].type == "output"]
    return saved or found


def _asset_facts(graph: ApiGraph) -> AssetFacts:
    """Prompt, negative prompt, seed and model of a run, for the gallery's search and filters."""
    facts: AssetFacts = {}
    for node_id, role in trace_prompts(graph, None).items():
        text = node_inputs(graph[node_id]).get("text")
        field = "prompt" if role == "positive" else "negative_prompt"
        if isinstance(text, str) and field not in facts:
            facts[field] = text
    for node in graph.values():
        inputs = node_inputs(node)
        for name in ("seed", "noise_seed"):
            value = inputs.get(name)
            is_int = isinstance(value, int) and not isinstance(value, bool)
            if is_int and isinstance(value, int) and "seed" not in facts and 0 <= value <= _SQLITE_INT_MAX:
                facts["seed"] = value
        for name in ("ckpt_name", "unet_name"):
            model = inputs.get(name)
            if isinstance(model, str) and "model" not in facts:
                facts["model"] = model
    return facts


def _number(value: JsonValue) -> int | float:
    """A progress count from the server; 0 when it sent none."""
    return value if isinstance(value, int | float) else 0


def format_execution_error(data: JsonObject, graph: ApiGraph | None = None) -> str:
    node_id = data.get("node_id")
    node_type = data.get("node_type") or (graph or {}).get(str(node_id), {}).get("class_type", "?")
    message = str(data.get("exception_message") or "").strip() or "no message"
    kind = data.get("exception_type")
    return f"ComfyUI error in node {node_id} ({node_type}): {message}" + (f" [{kind}]" if kind else "")
