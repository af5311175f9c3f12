"""GPU workers: one process (or Ray actor) per device, each with its own model manager, running the GPU lane's jobs."""
