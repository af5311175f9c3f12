"""Shared helpers for the test suite: a studio on tmp folders, a real server process."""
