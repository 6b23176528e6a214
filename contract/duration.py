"""Prometheus' duration, as its configuration, rule files and PromQL read it: whole numbers of each unit from
years down to milliseconds, each at most once, largest first (`1h30m`, `90s`, `500ms`); `0` alone is one too."""

from __future__ import annotations

import re

_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_UNIT_SECONDS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def seconds(text: str) -> float | None:
    """The seconds `text` says, or None when it is not a duration."""
    if text == "0":
        return 0.0
    match = _DURATION.fullmatch(text) if text else None
    if match is None:
        return None
    return sum(int(count) * size for count, size in zip(match.groups(), _UNIT_SECONDS, strict=True) if count)
