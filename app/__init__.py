"""诗笺 Shijian — a desktop studio for classical Chinese regulated verse."""

__version__ = "0.1.0"
