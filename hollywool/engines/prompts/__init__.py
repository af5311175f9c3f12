"""Prompt syntax shared by every engine: wildcards and alternatives (wildcards.py), A1111 weights (weights.py),
and their encoding for the CLIP families through compel (clip_weights.py)."""
