"""Bulk generation: many prompts, one tracked batch (a parent job with one child job per prompt)."""
