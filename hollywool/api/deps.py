from __future__ import annotations

from fastapi import Request

from hollywool.studio import Studio


def get_studio(request: Request) -> Studio:
    return request.app.state.studio
