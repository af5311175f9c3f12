"""OpenAI's streamed image answers (`stream: true`): partial images from the studio's live previews, then the
final images, as server-sent events in OpenAI's shape.

OpenAI sends `partial_images` (0 to 3) partial images per image, then one `*.completed` event per image. The
studio previews every few steps; the partial images are the first previews past 1/(p+1), 2/(p+1)... of the steps,
scaled to the image's size (a preview is the latents' size). The completed event requires `usage`: the studio
counts no tokens, so its numbers are 0, never estimates.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from PIL import Image
from starlette.concurrency import run_in_threadpool

from hollywool.compat.openai_images import ImageGenerationRequest, OpenAIImages, encode_output
from hollywool.jobs.events import JobEvent, JobPreview, StreamOverflow, Subscription
from hollywool.jobs.models import Job

ZERO_USAGE = {
    "input_tokens": 0,
    "input_tokens_details": {"image_tokens": 0, "text_tokens": 0},
    "output_tokens": 0,
    "total_tokens": 0,
}


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class ImageStream:
    """One streamed request: `prefix` is `image_generation` or `image_edit`."""

    def __init__(self, service: OpenAIImages, body: ImageGenerationRequest, prefix: str):
        self.service = service
        self.body = body
        self.prefix = prefix
        self.fmt = body.output_format or "png"
        self.wanted = body.partial_images or 0
        self.sent: dict[str, int] = {}  # partial images sent per job

    def _common(self, size: str) -> dict[str, Any]:
        return {
            "background": "opaque",
            "created_at": int(time.time()),
            "output_format": self.fmt,
            "quality": self.body.quality if self.body.quality in ("low", "medium", "high") else "auto",
            "size": size,
        }

    def _partial(self, job: Job, preview: JobPreview) -> bytes | None:
        index = self.sent.get(job.id, 0)
        total = job.params.get("steps") or 1
        if index >= self.wanted or (preview.step + 1) / total < (index + 1) / (self.wanted + 1):
            return None
        self.sent[job.id] = index + 1
        width, height = job.params.get("width") or 0, job.params.get("height") or 0
        with Image.open(io.BytesIO(base64.b64decode(preview.image.split(",", 1)[1]))) as img:
            img = img.convert("RGB")
            if width and height:
                img = img.resize((width, height), Image.Resampling.BILINEAR)
            buf = io.BytesIO()
            img.save(buf, format="PNG")
        data = encode_output(buf.getvalue(), self.fmt, self.body.output_compression)
        event = f"{self.prefix}.partial_image"
        return _sse(
            event,
            {
                "type": event,
                "b64_json": base64.b64encode(data).decode(),
                "partial_image_index": index,
                **self._common(f"{width}x{height}"),
            },
        )

    def _completed(self, jobs: list[Job]) -> list[bytes]:
        out = []
        event = f"{self.prefix}.completed"
        answer = self.service.answer(jobs, self.body.model_copy(update={"response_format": "b64_json"}), "")
        for image in answer.data:
            out.append(
                _sse(
                    event,
                    {"type": event, "b64_json": image.b64_json, "usage": ZERO_USAGE, **self._common(answer.size or "")},
                )
            )
        return out

    async def start(self, params: dict[str, Any], n: int) -> AsyncIterator[bytes]:
        """Submit the jobs (errors raise here, before any answer is sent), then the events to stream."""
        sub = self.service.studio.bus.subscribe()  # before submitting: no preview is missed
        try:
            jobs = await self.service.submit(params, n)
        except BaseException:
            sub.close()
            raise
        return self._events(sub, jobs)

    async def _events(self, sub: Subscription, jobs: list[Job]) -> AsyncIterator[bytes]:
        """Previews and images of `jobs`; an `error` event if a job does not complete."""
        studio = self.service.studio
        by_id = {j.id: j for j in jobs}
        finished: dict[str, Job] = {}
        with sub:
            while len(finished) < len(jobs):
                event = await sub.get()
                if isinstance(event, JobPreview) and event.job_id in by_id and self.wanted:
                    chunk = await run_in_threadpool(self._partial, by_id[event.job_id], event)
                    if chunk:
                        yield chunk
                elif isinstance(event, JobEvent) and event.job_id in by_id:
                    job = await run_in_threadpool(studio.jobs.get, event.job_id)
                    if job.status.finished:
                        finished[job.id] = job
                elif isinstance(event, StreamOverflow):  # events were dropped: read the jobs again
                    for job_id in by_id:
                        job = await run_in_threadpool(studio.jobs.get, job_id)
                        if job.status.finished:
                            finished[job.id] = job
        done = [finished[j.id] for j in jobs]
        failed = next((j for j in done if j.status != "completed"), None)
        if failed is not None:
            message = failed.error or f"The image job {failed.id} was {failed.status}"
            yield _sse("error", {"error": {"message": message, "type": "server_error", "param": None, "code": None}})
            return
        for chunk in await run_in_threadpool(self._completed, done):
            yield chunk
