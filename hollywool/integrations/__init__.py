"""Integrations with outside services that are not generation engines: Civitai, LLMs, the model hub."""
