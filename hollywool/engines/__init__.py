"""Engines do the work of jobs: local diffusers, ComfyUI, remote providers."""
