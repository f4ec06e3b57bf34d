"""Human-readable sizes, speeds and durations (decimal units, as the hub shows sizes)."""

from __future__ import annotations

import math

from app.models.errors import Lang


def format_bytes(n: float) -> str:
    """``19.90 GB``, ``3.0 MB``, ``512 B``."""
    n = float(n)
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if abs(n) >= scale:
            value = n / scale
            return f"{value:.2f} {unit}" if unit in ("TB", "GB") else f"{value:.1f} {unit}"
    return f"{int(n)} B"


def format_speed(bytes_per_s: float) -> str:
    return f"{format_bytes(bytes_per_s)}/s"


def format_duration(seconds: float | None, lang: Lang = "zh") -> str:
    if seconds is None or math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        return "—"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if lang == "zh":
        if h:
            return f"{h} 小时 {m} 分"
        if m:
            return f"{m} 分 {sec} 秒"
        return f"{sec} 秒"
    if h:
        return f"{h} h {m} min"
    if m:
        return f"{m} min {sec} s"
    return f"{sec} s"
