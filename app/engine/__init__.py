"""The inference process (llama-cpp-python), its client, and remote endpoints (no Qt)."""
