"""Fake HTTP servers of the external services HollyWool talks to (Civitai, ComfyUI, fal, KREA,
Higgsfield, Anthropic, OpenAI-compatible chat), for the product's tests.

Each fake is a real uvicorn server on 127.0.0.1 speaking the service's wire protocol as described in
the shared notes, so the product's clients and the official SDKs work against it unchanged.
"""
