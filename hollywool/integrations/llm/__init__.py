"""Language models for prompt variations: Anthropic (official SDK) or any OpenAI-compatible server."""
