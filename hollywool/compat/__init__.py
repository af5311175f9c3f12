"""Other apps' protocols over the studio: OpenAI's Images API (and, next, Automatic1111's)."""
