"""GGUF files read without llama.cpp: the header and the model facts it gives."""
