"""Live events: the same bus over a WebSocket (`/api/ws`) and Server-Sent Events (`/api/events`).

A client that (re)connects first receives `hello` and should then read current state from REST.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response, StreamingResponse

from hollywool.api.origins import STREAM_REFUSAL, WS_POLICY_CLOSE
from hollywool.jobs.events import AnyEvent

router = APIRouter(prefix="/api", tags=["events"])

_KEEPALIVE_S = 15


@router.get("/events/types", response_model=list[AnyEvent])
def event_types() -> list:
    """Documents the events sent on `/api/ws` and `/api/events` (their schemas); answers an empty list."""
    return []


@router.websocket("/ws")
async def websocket_events(ws: WebSocket) -> None:
    # A page on another site may open a websocket to localhost: the browser sends its Origin.
    if not ws.app.state.origin_policy.stream_allowed(ws.headers):
        await ws.close(code=WS_POLICY_CLOSE, reason="origin not allowed (HOLLYWOOL_ALLOWED_ORIGINS)")
        return
    bus = ws.app.state.studio.bus
    await ws.accept()
    with bus.subscribe() as sub:
        await ws.send_json({"type": "hello"})
        receiver = asyncio.create_task(_drain(ws))
        try:
            while not receiver.done():
                getter = asyncio.create_task(sub.get())
                done, _ = await asyncio.wait(
                    {getter, receiver}, timeout=_KEEPALIVE_S, return_when=asyncio.FIRST_COMPLETED
                )
                if getter in done:
                    await ws.send_text(getter.result().model_dump_json())
                else:
                    getter.cancel()
                    if not done:
                        await ws.send_json({"type": "ping"})
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver.cancel()


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) client messages so that a disconnect is noticed."""
    try:
        while True:
            await ws.receive_text()
    except WebSocketDisconnect:
        return


@router.get("/events")
async def server_sent_events(request: Request) -> Response:
    if not request.app.state.origin_policy.stream_allowed(request.headers):
        return JSONResponse({"detail": STREAM_REFUSAL}, status_code=403)
    bus = request.app.state.studio.bus
    sub = bus.subscribe()

    async def stream():
        try:
            yield f"event: hello\ndata: {json.dumps({'type': 'hello'})}\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(sub.get(), timeout=_KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                yield f"event: {event.type}\ndata: {event.model_dump_json()}\n\n"
        finally:
            sub.close()

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
