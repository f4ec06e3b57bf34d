"""The model catalog, verified resumable downloads and GPU sizing (no Qt)."""
