"""Prompt building, <think>/<answer> stream parsing and metre constraints (no Qt)."""
