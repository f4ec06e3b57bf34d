"""Which code points are Han characters (汉字), without any data files."""

from __future__ import annotations

# CJK Unified Ideographs and their extensions, plus the compatibility blocks.
HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2B73F),  # Extension C
    (0x2B740, 0x2B81F),  # Extension D
    (0x2B820, 0x2CEAF),  # Extension E
    (0x2CEB0, 0x2EBEF),  # Extension F
    (0x2EBF0, 0x2EE5F),  # Extension I
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
    (0x30000, 0x3134F),  # Extension G
    (0x31350, 0x323AF),  # Extension H
)


def is_han(ch: str) -> bool:
    """One character of CJK Unified Ideographs (Ext A–I included) or a compatibility block."""
    if len(ch) != 1:
        return False
    cp = ord(ch)
    if 0x4E00 <= cp <= 0x9FFF:  # the common case first
        return True
    if cp < 0x3400:
        return False
    return any(lo <= cp <= hi for lo, hi in HAN_RANGES)


def is_compatibility(ch: str) -> bool:
    cp = ord(ch)
    return 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F
