"""A Prometheus text exposition (format 0.0.4), parsed with line numbers.

Used by `import` and `live-check`, which report problems located in the
exposition; prometheus_client's own parser reports no positions.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from contract.problems import input_error

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(\{{(.*)\}})?\s+(\S+)(\s+-?\d+)?\s*$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped", "info", "stateset", "gaugehistogram", "unknown"}
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
}


@dataclass
class Family:
    name: str
    type: str = "untyped"
    help: str = ""
    line: int = 0
    samples: list[tuple[str, dict[str, str], float, int]] = field(default_factory=list)


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


def parse(text: str, source: str) -> dict[str, Family]:
    """Families by name, in order of appearance; a malformed line is an InputError."""
    families: dict[str, Family] = {}
    current: Family | None = None
    lines = text.split("\n")
    if text and not text.endswith("\n"):
        raise input_error(source, "exposition/truncated", "exposition does not end with a newline; it may be cut "
                          "off", len(lines), len(lines[-1]) + 1)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                fam = families.setdefault(name, Family(name=name, line=number))
                rest = parts[3] if len(parts) > 3 else ""
                if parts[1] == "HELP":
                    fam.help = _unescape(rest)
                elif rest not in _TYPES:
                    raise input_error(source, "exposition/syntax", f"unknown metric type `{rest}`", number, 1)
                else:
                    fam.type = rest
                current = fam
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise input_error(source, "exposition/syntax", "not a sample line: `name{labels} value`", number, 1)
        name, _, label_text, value_text, _ = match.groups()
        labels = _labels(label_text or "", source, number, match.start(3))
        try:
            value = float(value_text)
        except ValueError:
            raise input_error(source, "exposition/syntax", f"`{value_text}` is not a number", number,
                              match.start(4) + 1) from None
        if current is None or not _belongs(name, current):
            current = families.setdefault(name, Family(name=name, line=number))
        current.samples.append((name, labels, value, number))
    return families


def _belongs(sample: str, fam: Family) -> bool:
    if sample == fam.name:
        return True
    base = fam.name.removesuffix("_total") if fam.type == "counter" else fam.name
    return any(sample == base + s for s in _SUFFIXES.get(fam.type, ()))


def _labels(text: str, source: str, line: int, offset: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    pos = 0
    while pos < len(text.rstrip()):
        match = _LABEL.match(text, pos)
        if not match:
            raise input_error(source, "exposition/syntax", "malformed label set", line, offset + pos + 1)
        labels[match.group(1)] = _unescape(match.group(2))
        pos = match.end()
    return labels


def fetch(url: str, timeout: float = 10.0) -> str:
    """GET a /metrics endpoint; unreachable targets and HTTP errors are InputErrors."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data: bytes = resp.read()
    except urllib.error.HTTPError as exc:
        raise input_error(url, "input/http-status", f"the server answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise input_error(url, "input/unreachable", f"cannot fetch: {reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise input_error(url, "input/encoding", "the response is not valid UTF-8") from None
