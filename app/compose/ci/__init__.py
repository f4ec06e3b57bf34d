"""Composing 词: the prompt for a 词 by 词牌 and 体, and the generated text."""
