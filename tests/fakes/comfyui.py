"""Fake ComfyUI server: HTTP API, websocket events and a one-at-a-time executor (see
shared/notes/comfyui-protocol.md).

Tests register model files with `FakeComfyUI(models={"checkpoints": ["sd15.safetensors"]})` or
`add_model(folder, name)`, submit graphs with any client, and steer the run with knobs:
`step_delay`, `node_delay`, `pause()`/`resume()`, `fail_node_class`, `previews`, `answer_oddly`,
`extra_output_files`, and `go_down()` / `come_back()` (queue and history survive in memory; the
running prompt goes back to the queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import json
import mimetypes
import os
import random
import string
import struct
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.fakes.comfyui_nodes import (
    SAMPLER_CLASSES,
    Picture,
    PromptRejected,
    ServerFiles,
    evaluate,
    node_classes,
    validate_prompt,
)
from tests.fakes.server import FakeServer, jpeg_bytes, png_bytes

PREVIEW_IMAGE, PREVIEW_IMAGE_WITH_METADATA = 1, 4
FORMAT_JPEG = 1
MAX_UPLOAD_SIZE = 104857600


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(order=True)
class QueueItem:
    number: int
    prompt_id: str = field(compare=False)
    prompt: dict = field(compare=False)
    extra_data: dict = field(compare=False)
    outputs: list = field(compare=False)

    def as_list(self) -> list:
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.outputs]

    @property
    def client_id(self) -> str | None:
        return self.extra_data.get("client_id")


class Interrupted(Exception):
    pass


class InjectedError(Exception):
    pass


class FakeComfyUI(FakeServer):
    def __init__(self, models: dict[str, list[str]] | None = None, root: str | Path | None = None) -> None:
        self.models: dict[str, list[str]] = {
            "checkpoints": [],
            "loras": [],
            "vae": [],
            "diffusion_models": [],
            "text_encoders": [],
            "clip_vision": [],
            "controlnet": [],
            "upscale_models": [],
            "embeddings": [],
        }
        for folder, names in (models or {}).items():
            self.models[folder] = list(names)
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="fake-comfyui-"))
        for sub in ("input", "output", "temp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # knobs
        self.step_delay = 0.005
        self.node_delay = 0.0
        self.previews = True
        self.fail_node_class: str | None = None
        self.fail_message = "Intentional sync execution error for testing"
        # "html": every HTTP route answers a web page (a proxy or another app at the URL);
        # "shape": every HTTP route answers JSON of the wrong shape (a list); "object": an empty JSON
        # object (the right type, none of the keys). None: behave.
        self.answer_oddly: str | None = None
        # {filename: bytes}: extra files SaveImage reports (custom nodes write what they like).
        self.extra_output_files: dict[str, bytes] = {}
        # state and counters
        self.submissions = 0  # every POST /prompt, accepted or not
        self.accepted: list[str] = []
        self.executed_prompts: list[str] = []
        self.history: dict[str, dict] = {}
        self.pending: list[QueueItem] = []
        self.running: QueueItem | None = None
        self.number = 0
        self.cache: dict[str, tuple[tuple, dict | None]] = {}
        self.sockets: dict[str, WebSocket] = {}
        self.preview_metadata: set[str] = set()
        self.last_node_id: str | None = None
        self._interrupt = False
        self._paused = False
        self._wake: asyncio.Event | None = None
        self._resume: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        super().__init__()

    # ---- test-side knobs -------------------------------------------------------------------------
    def add_model(self, folder: str, name: str) -> None:
        self.models.setdefault(folder, []).append(name)

    def add_input_file(self, name: str, data: bytes | None = None) -> None:
        (self.root / "input" / name).write_bytes(data or png_bytes())

    def pause(self) -> None:
        """Hold execution at the next node or step boundary (and do not start new prompts)."""
        self._paused = True
        self.call_in_loop(lambda: self._resume and self._resume.clear())

    def resume(self) -> None:
        self._paused = False
        self.call_in_loop(lambda: self._resume and self._resume.set())

    def go_down(self) -> None:
        self.stop()

    def come_back(self) -> None:
        self.start()

    def forget_everything(self) -> None:
        """What a real restart does: queue, history and cache are gone."""
        self.pending.clear()
        self.history.clear()
        self.cache.clear()

    @property
    def files(self) -> ServerFiles:
        inputs = sorted(p.name for p in (self.root / "input").iterdir() if p.is_file())
        return ServerFiles(self.models, inputs)

    def queue_remaining(self) -> int:
        return len(self.pending) + (1 if self.running else 0)

    # ---- lifecycle -------------------------------------------------------------------------------
    async def on_startup(self) -> None:
        self._wake = asyncio.Event()
        self._resume = asyncio.Event()
        if not self._paused:
            self._resume.set()
        if self.pending:
            self._wake.set()
        self._worker = asyncio.create_task(self._work())

    async def on_shutdown(self) -> None:
        if self._worker:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self.running is not None:  # the prompt did not finish: it runs again after the restart
            heapq.heappush(self.pending, self.running)
            self.running = None
        self.sockets.clear()

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        return PlainTextResponse(f"{status}: {message}", status_code=status, headers=headers)

    # ---- routes ----------------------------------------------------------------------------------
    def routes(self):
        http = [
            ("/system_stats", self.system_stats, ["GET"]),
            ("/features", self.features, ["GET"]),
            ("/object_info", self.object_info, ["GET"]),
            ("/object_info/{node_class}", self.object_info, ["GET"]),
            ("/prompt", self.get_prompt, ["GET"]),
            ("/prompt", self.post_prompt, ["POST"]),
            ("/queue", self.get_queue, ["GET"]),
            ("/queue", self.post_queue, ["POST"]),
            ("/interrupt", self.interrupt, ["POST"]),
            ("/history", self.get_history, ["GET"]),
            ("/history/{prompt_id}", self.get_history, ["GET"]),
            ("/history", self.post_history, ["POST"]),
            ("/free", self.free, ["POST"]),
            ("/upload/image", self.upload_image, ["POST"]),
            ("/view", self.view, ["GET"]),
            ("/embeddings", self.embeddings, ["GET"]),
            ("/models", self.model_folders, ["GET"]),
            ("/models/{folder}", self.model_files, ["GET"]),
        ]
        routes = []
        for prefix in ("", "/api"):
            routes += [Route(prefix + path, self._oddly(fn), methods=methods) for path, fn, methods in http]
            routes.append(WebSocketRoute(prefix + "/ws", self.websocket))
        return routes

    def _oddly(self, fn):
        async def handler(request: Request):
            if self.answer_oddly == "html":
                return HTMLResponse("<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>")
            if self.answer_oddly == "shape":
                return JSONResponse(["not", "what", "ComfyUI", "sends"])
            if self.answer_oddly == "object":
                return JSONResponse({})
            return await fn(request)

        return handler

    async def system_stats(self, request: Request):
        return JSONResponse(
            {
                "system": {
                    "os": "posix",
                    "ram_total": 68719476736,
                    "ram_free": 34359738368,
                    "comfyui_version": "0.3.64",
                    "required_frontend_version": "1.27.10",
                    "installed_templates_version": "0.1.91",
                    "required_templates_version": "0.1.91",
                    "python_version": "3.12.3",
                    "pytorch_version": "2.14.1+cu130",
                    "embedded_python": False,
                    "argv": ["main.py", "--listen", "127.0.0.1"],
                },
                "devices": [
                    {
                        "name": "cuda:0 NVIDIA Fake GPU : cudaMallocAsync",
                        "type": "cuda",
                        "index": 0,
                        "vram_total": 25769803776,
                        "vram_free": 24696061952,
                        "torch_vram_total": 0,
                        "torch_vram_free": 0,
                    }
                ],
            }
        )

    async def features(self, request: Request):
        return JSONResponse({"supports_preview_metadata": True, "max_upload_size": MAX_UPLOAD_SIZE})

    async def object_info(self, request: Request):
        classes = node_classes(self.files)
        wanted = request.path_params.get("node_class")
        if wanted is not None:
            return JSONResponse({wanted: classes[wanted].info()} if wanted in classes else {})
        return JSONResponse({name: cls.info() for name, cls in classes.items()})

    async def get_prompt(self, request: Request):
        return JSONResponse({"exec_info": {"queue_remaining": self.queue_remaining()}})

    async def post_prompt(self, request: Request):
        self.submissions += 1
        try:
            body = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("500 Internal Server Error\n\nServer got itself in trouble", status_code=500)
        if not isinstance(body, dict) or "prompt" not in body:
            error = {
                "type": "no_prompt",
                "message": "No prompt provided",
                "details": "No prompt provided",
                "extra_info": {},
            }
            return JSONResponse({"error": error, "node_errors": {}}, status_code=400)
        prompt = body["prompt"]
        try:
            outputs, node_errors = validate_prompt(
                prompt, node_classes(self.files), self.files, body.get("partial_execution_targets")
            )
        except PromptRejected as rejected:
            return JSONResponse(rejected.body, status_code=400)
        number = -self.number if body.get("front") else self.number
        self.number += 1
        extra_data = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        heapq.heappush(self.pending, QueueItem(number, prompt_id, prompt, extra_data, outputs))
        self.accepted.append(prompt_id)
        await self._queue_updated()
        self._wake.set()
        return JSONResponse({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

    async def get_queue(self, request: Request):
        return JSONResponse(
            {
                "queue_running": [self.running.as_list()] if self.running else [],
                "queue_pending": [item.as_list() for item in sorted(self.pending)],
            }
        )

    async def post_queue(self, request: Request):
        body = await _json_or_empty(request)
        if body.get("clear"):
            self.pending.clear()
        if "delete" in body:
            doomed = set(body["delete"])
            self.pending = [item for item in self.pending if item.prompt_id not in doomed]
            heapq.heapify(self.pending)
        await self._queue_updated()
        return Response(status_code=200)

    async def interrupt(self, request: Request):
        body = await _json_or_empty(request)
        target = body.get("prompt_id")
        if self.running and (target is None or target == self.running.prompt_id):
            self._interrupt = True
        return Response(status_code=200)

    async def get_history(self, request: Request):
        prompt_id = request.path_params.get("prompt_id")
        if prompt_id is not None:
            return JSONResponse({prompt_id: self.history[prompt_id]} if prompt_id in self.history else {})
        items = list(self.history.items())
        offset = int(request.query_params.get("offset", 0) or 0)
        max_items = request.query_params.get("max_items")
        if max_items is not None:
            start = max(0, len(items) - int(max_items) - offset)
            items = items[start : len(items) - offset]
        return JSONResponse(dict(items))

    async def post_history(self, request: Request):
        body = await _json_or_empty(request)
        if body.get("clear"):
            self.history.clear()
        for prompt_id in body.get("delete", []):
            self.history.pop(prompt_id, None)
        return Response(status_code=200)

    async def free(self, request: Request):
        return Response(status_code=200)

    async def embeddings(self, request: Request):
        return JSONResponse([Path(n).stem for n in self.models.get("embeddings", [])])

    async def model_folders(self, request: Request):
        return JSONResponse(sorted(self.models))

    async def model_files(self, request: Request):
        folder = request.path_params["folder"]
        if folder not in self.models:
            return Response(status_code=404)
        return JSONResponse(sorted(self.models[folder]))

    async def upload_image(self, request: Request):
        form = await request.form()
        upload = form.get("image")
        if upload is None or isinstance(upload, str):
            return Response(status_code=400)
        kind = str(form.get("type") or "input")
        if kind not in ("input", "temp", "output"):
            return Response(status_code=400)
        subfolder = str(form.get("subfolder") or "")
        overwrite = str(form.get("overwrite") or "").lower() in ("true", "1")
        folder = self.root / kind / subfolder
        if not _inside(self.root / kind, folder):
            return Response(status_code=400)
        folder.mkdir(parents=True, exist_ok=True)
        data = await upload.read()
        name = _unique_upload_name(folder, upload.filename or "image.png", data, overwrite)
        (folder / name).write_bytes(data)
        return JSONResponse({"name": name, "subfolder": subfolder, "type": kind})

    async def view(self, request: Request):
        q = request.query_params
        filename = q.get("filename", "")
        if not filename:
            return Response(status_code=404)
        if filename.startswith("/") or ".." in filename:
            return Response(status_code=400)
        kind = q.get("type", "output")
        if kind not in ("input", "temp", "output"):
            return Response(status_code=400)
        base = self.root / kind
        folder = base / q.get("subfolder", "")
        if not _inside(base, folder):
            return Response(status_code=403)
        path = folder / filename
        if not path.is_file():
            return Response(status_code=404)
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        headers = {"Content-Disposition": f'filename="{filename}"'}
        return Response(path.read_bytes(), media_type=content_type, headers=headers)

    # ---- websocket -------------------------------------------------------------------------------
    async def websocket(self, ws: WebSocket):
        await ws.accept()
        sid = ws.query_params.get("clientId") or uuid.uuid4().hex
        self.sockets[sid] = ws
        self.preview_metadata.discard(sid)
        try:
            await ws.send_json({"type": "status", "data": {"status": self._status(), "sid": sid}})
            if self.running and self.running.client_id == sid and self.last_node_id is not None:
                await ws.send_json({"type": "executing", "data": {"node": self.last_node_id}})
            while True:
                message = await ws.receive_text()
                try:
                    data = json.loads(message)
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("type") == "feature_flags":
                    if (data.get("data") or {}).get("supports_preview_metadata"):
                        self.preview_metadata.add(sid)
                    flags = {"supports_preview_metadata": True, "max_upload_size": MAX_UPLOAD_SIZE}
                    await ws.send_json({"type": "feature_flags", "data": flags})
        except WebSocketDisconnect:
            pass
        finally:
            if self.sockets.get(sid) is ws:
                del self.sockets[sid]

    def _status(self) -> dict:
        return {"exec_info": {"queue_remaining": self.queue_remaining()}}

    async def _send(self, sid: str | None, event: str, data: dict, broadcast: bool = False) -> None:
        targets = [sid] if sid is not None else (list(self.sockets) if broadcast else [])
        for target in targets:
            ws = self.sockets.get(target)
            if ws is None:
                continue
            try:
                await ws.send_json({"type": event, "data": data})
            except Exception:
                self.sockets.pop(target, None)

    async def _send_bytes(self, sid: str | None, payload: bytes) -> None:
        targets = [sid] if sid is not None else list(self.sockets)
        for target in targets:
            ws = self.sockets.get(target)
            if ws is not None:
                try:
                    await ws.send_bytes(payload)
                except Exception:
                    self.sockets.pop(target, None)

    async def _queue_updated(self) -> None:
        await self._send(None, "status", {"status": self._status()}, broadcast=True)

    # ---- executor --------------------------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            await self._resume.wait()
            if not self.pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            item = heapq.heappop(self.pending)
            self.running = item
            self._interrupt = False
            await self._queue_updated()
            await self._execute(item)
            self.running = None
            self.last_node_id = None
            self.executed_prompts.append(item.prompt_id)
            await self._queue_updated()
            await self._send(item.client_id, "executing", {"node": None, "prompt_id": item.prompt_id})

    async def _execute(self, item: QueueItem) -> None:
        pid, sid = item.prompt_id, item.client_id
        messages: list = []

        async def event(name: str, data: dict, broadcast: bool = False) -> None:
            data = {"prompt_id": pid, **data, "timestamp": now_ms()}
            messages.append([name, data])
            await self._send(sid, name, data, broadcast)

        order = _execution_order(item.prompt, item.outputs)
        signatures = {nid: _signature(item.prompt, nid) for nid in order}
        cached = [nid for nid in order if signatures[nid] in self.cache]
        await event("execution_start", {})
        await event("execution_cached", {"nodes": cached})
        values: dict[str, tuple] = {}
        outputs: dict[str, dict] = {}
        executed: list[str] = []
        status_str, completed = "success", True
        for nid in order:
            node = item.prompt[nid]
            ui = None
            try:
                if nid in cached:
                    values[nid], ui = self.cache[signatures[nid]]
                else:
                    await self._checkpoint()
                    self.last_node_id = nid
                    await self._send(sid, "executing", {"node": nid, "display_node": nid, "prompt_id": pid})
                    values[nid], ui = await self._run_node(item, nid, node, values)
                    self.cache[signatures[nid]] = (values[nid], ui)
                    executed.append(nid)
            except Interrupted:
                await event(
                    "execution_interrupted",
                    {"node_id": nid, "node_type": node["class_type"], "executed": executed},
                    broadcast=True,
                )
                status_str, completed = "error", False
                break
            except InjectedError as ex:
                await event(
                    "execution_error",
                    {
                        "node_id": nid,
                        "node_type": node["class_type"],
                        "executed": executed,
                        "exception_message": f"{ex}\n",
                        "exception_type": "RuntimeError",
                        "traceback": ['  File "/comfy/execution.py", line 496, in execute\n'],
                        "current_inputs": {k: [v] for k, v in node["inputs"].items() if not isinstance(v, list)},
                        "current_outputs": list(values),
                    },
                )
                status_str, completed = "error", False
                break
            if ui is not None:
                outputs[nid] = ui
                await self._send(sid, "executed", {"node": nid, "display_node": nid, "output": ui, "prompt_id": pid})
        if completed:
            await event("execution_success", {})
        meta = {n: {"node_id": n, "display_node": n, "parent_node": None, "real_node_id": n} for n in outputs}
        self.history[pid] = {
            "prompt": item.as_list(),
            "outputs": outputs,
            "status": {"status_str": status_str, "completed": completed, "messages": messages},
            "meta": meta,
        }

    async def _checkpoint(self) -> None:
        """Where a real server notices an interrupt: before each node and at each progress tick."""
        await self._resume.wait()
        if self._interrupt:
            self._interrupt = False
            raise Interrupted()

    async def _run_node(self, item: QueueItem, nid: str, node: dict, values: dict) -> tuple[tuple, dict | None]:
        class_type = node["class_type"]
        args = {k: (values[v[0]][v[1]] if isinstance(v, list) else v) for k, v in node["inputs"].items()}
        if self.node_delay:
            await asyncio.sleep(self.node_delay)
        if class_type in SAMPLER_CLASSES:
            await self._sample(item, nid, int(args["steps"]))
        if class_type == self.fail_node_class:
            raise InjectedError(self.fail_message)
        if class_type == "LoadImage":
            with Image.open(self.root / "input" / args["image"]) as img:
                color = img.convert("RGB").getpixel((0, 0))
                args["_loaded"] = Picture(img.width, img.height, 1, color)
        if class_type == "SaveImage":
            images = self._write_images(args["images"], args["filename_prefix"], "output")
            for name, data in self.extra_output_files.items():
                (self.root / "output" / name).write_bytes(data)
                images.append({"filename": name, "subfolder": "", "type": "output"})
            return (), {"images": images}
        if class_type == "PreviewImage":
            prefix = "ComfyUI_temp_" + "".join(random.choices(string.ascii_lowercase, k=5))
            return (), {"images": self._write_images(args["images"], prefix, "temp")}
        return evaluate(class_type, args), None

    async def _sample(self, item: QueueItem, nid: str, steps: int) -> None:
        sid = item.client_id
        for step in range(1, steps + 1):
            await self._checkpoint()
            if self.step_delay:
                await asyncio.sleep(self.step_delay)
            progress = {"value": step, "max": steps, "prompt_id": item.prompt_id, "node": nid}
            await self._send(sid, "progress", progress, broadcast=True)
            if self.previews and sid is not None:
                await self._send_bytes(sid, self._preview_frame(sid, item.prompt_id, nid, step))

    def _preview_frame(self, sid: str, prompt_id: str, nid: str, step: int) -> bytes:
        image = jpeg_bytes(8, 8, (step * 10 % 256, 80, 160))
        if sid in self.preview_metadata:
            meta = json.dumps(
                {
                    "node_id": nid,
                    "prompt_id": prompt_id,
                    "display_node_id": nid,
                    "parent_node_id": None,
                    "real_node_id": nid,
                    "image_type": "image/jpeg",
                }
            ).encode()
            return struct.pack(">II", PREVIEW_IMAGE_WITH_METADATA, len(meta)) + meta + image
        return struct.pack(">II", PREVIEW_IMAGE, FORMAT_JPEG) + image

    def _write_images(self, picture: Picture, prefix: str, kind: str) -> list[dict]:
        subfolder, _, base = prefix.rpartition("/")
        folder = self.root / kind / subfolder
        folder.mkdir(parents=True, exist_ok=True)
        counter = _next_counter(folder, base)
        written = []
        for i in range(picture.batch):
            name = f"{base}_{counter + i:05}_.png"
            (folder / name).write_bytes(png_bytes(picture.width, picture.height, picture.color))
            written.append({"filename": name, "subfolder": subfolder, "type": kind})
        return written


# ---- helpers ---------------------------------------------------------------------------------------


async def _json_or_empty(request: Request) -> dict:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _inside(base: Path, path: Path) -> bool:
    base_real, real = os.path.realpath(base), os.path.realpath(path)
    return os.path.commonpath([base_real, real]) == base_real


def _unique_upload_name(folder: Path, filename: str, data: bytes, overwrite: bool) -> str:
    filename = Path(filename).name
    if overwrite or not (folder / filename).exists():
        return filename
    stem, ext = os.path.splitext(filename)
    candidate, i = filename, 0
    digest = hashlib.sha256(data).digest()
    while (folder / candidate).exists():
        if hashlib.sha256((folder / candidate).read_bytes()).digest() == digest:
            return candidate
        i += 1
        candidate = f"{stem} ({i}){ext}"
    return candidate


def _next_counter(folder: Path, base: str) -> int:
    taken = [0]
    for path in folder.glob(f"{base}_*_.*"):
        middle = path.name[len(base) + 1 :].split("_")[0]
        if middle.isdigit():
            taken.append(int(middle))
    return max(taken) + 1


def _execution_order(prompt: dict, outputs: list[str]) -> list[str]:
    order: list[str] = []

    def visit(nid: str) -> None:
        if nid in order:
            return
        for value in prompt[nid].get("inputs", {}).values():
            if isinstance(value, list):
                visit(value[0])
        order.append(nid)

    for out in outputs:
        visit(out)
    return order


def _signature(prompt: dict, nid: str) -> str:
    node = prompt[nid]
    inputs = {
        k: (["link", _signature(prompt, v[0]), v[1]] if isinstance(v, list) else v)
        for k, v in sorted(node.get("inputs", {}).items())
    }
    return json.dumps([node["class_type"], inputs], sort_keys=True, default=str)
