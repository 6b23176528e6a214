"""A Prometheus exposition, text format 0.0.4 or OpenMetrics 1.0, parsed with line numbers.

Used by `import` and `live-check`, which report problems located in the
exposition; prometheus_client's own parser reports no positions. `fetch`
reads the endpoints (and the Prometheus API) for both, within a deadline
and a byte cap.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import re
import socket
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from contract.loader import read_text
from contract.problems import InputError, input_error

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
# read up to the brace that closes it outside quoted values: an exemplar's label set may follow on the line
_LABEL_SET = r'\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\}'
# name, label set (Prometheus allows a space before it), value, timestamp, then an OpenMetrics exemplar:
# `# {labels} value [timestamp]`
_SAMPLE = re.compile(rf"^({_NAME})(?:\s*{_LABEL_SET})?\s+(\S+)(?:\s+([^\s#]\S*))?"
                     rf"(?:\s+(#)\s*{_LABEL_SET}\s+(\S+)(?:\s+(\S+))?)?\s*$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_MILLISECONDS = re.compile(r"-?\d+")
_ESCAPE = re.compile(r"\\(.)")
_ESCAPED = {"n": "\n", "\\": "\\", '"': '"'}
_EOF = "# EOF"
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped", "info", "stateset", "gaugehistogram", "unknown"}
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "info": ("_info",),   # OpenMetrics: `# TYPE x info`, sample `x_info`
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),   # OpenMetrics
}


@dataclass
class Family:
    name: str
    type: str = "untyped"
    help: str = ""
    line: int = 0
    samples: list[tuple[str, dict[str, str], float, int]] = field(default_factory=list)


def _unescape(value: str) -> str:
    r"""`\\`, `\n` and `\"` in one pass (so `\\n` is a backslash and `n`); any other escape stays as written."""
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(0)), value)


def is_openmetrics(text: str) -> bool:
    """Whether an exposition without a Content-Type (a file) is OpenMetrics: that format, and only that one, ends
    with a `# EOF` line."""
    return text.removesuffix("\n").rsplit("\n", 1)[-1] == _EOF


def parse(text: str, source: str, openmetrics: bool | None = None) -> dict[str, Family]:
    """Families by name, in order of appearance; a malformed line is an InputError.

    `openmetrics` is the format of `text` (an HTTP answer's Content-Type says
    it); None judges by the text (`is_openmetrics`). Only OpenMetrics has
    exemplars and timestamps in seconds; the text format's are milliseconds.
    """
    if openmetrics is None:
        openmetrics = is_openmetrics(text)
    families: dict[str, Family] = {}
    typed: dict[str, int] = {}   # the line of each family's `# TYPE`: Prometheus rejects a second one
    current: Family | None = None
    lines = text.split("\n")
    if openmetrics:
        lines = _before_eof(lines, source)
    elif text and not text.endswith("\n"):
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
                elif name in typed:
                    raise input_error(source, "exposition/syntax", f"`{name}` is typed twice (first on line "
                                      f"{typed[name]})", number, 1)
                else:
                    typed[name] = number
                    fam.type = rest
                current = fam
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise input_error(source, "exposition/syntax", "not a sample line: `name{labels} value`", number, 1)
        name, label_text, value_text, stamp, exemplar, exemplar_labels, exemplar_value, exemplar_stamp = \
            match.groups()
        labels = _labels(label_text or "", source, number, match.start(2))
        value = _number(value_text, source, number, match.start(3))
        if stamp is not None and not openmetrics and not _MILLISECONDS.fullmatch(stamp):
            raise input_error(source, "exposition/syntax", f"timestamp `{stamp}` is not a whole number of "
                              "milliseconds, as the text format writes it (OpenMetrics, which ends with `# EOF`, "
                              "writes seconds)", number, match.start(4) + 1)
        if stamp is not None and openmetrics:
            _number(stamp, source, number, match.start(4), "timestamp ")
        if exemplar is not None:
            if not openmetrics:
                raise input_error(source, "exposition/syntax", "an exemplar (`# {...}` after the value) is "
                                  "OpenMetrics only, and this exposition is in the text format (OpenMetrics ends "
                                  "with `# EOF`)", number, match.start(5) + 1)
            # checked, then dropped: an exemplar says nothing about the metric's shape
            _labels(exemplar_labels, source, number, match.start(6))
            _number(exemplar_value, source, number, match.start(7), "exemplar value ")
            if exemplar_stamp is not None:
                _number(exemplar_stamp, source, number, match.start(8), "exemplar timestamp ")
        if current is None or not _belongs(name, current):
            current = families.setdefault(name, Family(name=name, line=number))
        current.samples.append((name, labels, value, number))
    return families


def _before_eof(lines: list[str], source: str) -> list[str]:
    """The lines of an OpenMetrics exposition before its `# EOF`, which must be its last line but blank ones."""
    if _EOF not in lines:
        shown = lines[:-1] if len(lines) > 1 and not lines[-1] else lines
        raise input_error(source, "exposition/truncated", "the exposition is OpenMetrics and does not end with "
                          "`# EOF`; it may be cut off", len(shown), len(shown[-1]) + 1)
    end = lines.index(_EOF)
    for number, line in enumerate(lines[end + 1:], end + 2):
        if line.strip():
            raise input_error(source, "exposition/syntax", f"a line after `# EOF` (line {end + 1}), which ends "
                              "an OpenMetrics exposition", number, 1)
    return lines[:end]


def _number(text: str, source: str, line: int, offset: int, what: str = "") -> float:
    try:
        return parse_number(text)
    except ValueError:
        raise input_error(source, "exposition/syntax", f"{what}`{text}` is not a number", line, offset + 1) from None


def parse_number(text: str) -> float:
    """A sample value or `le` bound as the text format writes it; Python's float() also takes `1_000`."""
    if "_" in text:
        raise ValueError(text)
    return float(text)


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


# Every fetch has one deadline and one byte cap: a hostile or broken server can
# neither keep the command waiting (a slow drip resets any per-read timeout)
# nor make it hold an endless body in memory.
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)@")
# what an exposition endpoint is asked for, as Prometheus asks: OpenMetrics first, because only it writes an info
# or a stateset as its own type (the text format calls both gauges)
ACCEPT_EXPOSITION = "application/openmetrics-text; version=1.0.0, text/plain; version=0.0.4;q=0.5"


def redact(url: str) -> str:
    """The URL as it may be shown: credentials become `***` (`http://***@host/...`)."""
    return _USERINFO.sub(r"\1***@", url, count=1)


def fetch(url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """GET an http(s) URL within `timeout` seconds in all and at most `max_bytes` of body.

    Anything short of a complete 200 answer in UTF-8 is an InputError located
    at the URL with its credentials redacted; so is every message.
    """
    return _fetch(url, timeout, max_bytes, {})[0]


def fetch_exposition(url: str, timeout: float = DEFAULT_TIMEOUT,
                     max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, bool]:
    """An exposition endpoint's text, as `fetch` reads it, and whether it is OpenMetrics (its Content-Type says)."""
    text, content_type = _fetch(url, timeout, max_bytes, {"Accept": ACCEPT_EXPOSITION})
    return text, content_type.partition(";")[0].strip().lower() == "application/openmetrics-text"


def _fetch(url: str, timeout: float, max_bytes: int, asked: dict[str, str]) -> tuple[str, str]:
    """The body of `url` as text and its Content-Type ("" when the answer has none)."""
    where = redact(url)
    userinfo = _USERINFO.match(url)
    secrets = [userinfo.group(2), urllib.parse.unquote(userinfo.group(2))] if userinfo else []

    def fail(check: str, message: str) -> InputError:
        for secret in secrets:
            message = message.replace(secret, "***") if secret else message
        return input_error(where, check, message)

    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise fail("input/url", f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail("input/url", "not an `http://` or `https://` URL with a host")
    headers = {"User-Agent": "metrics-contract", **asked}
    if parts.username is not None:
        pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    connection = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = connection(parts.hostname, port, timeout=timeout)
    expired = threading.Event()
    # kept once connected: http.client forgets conn.sock when an answer says
    # `Connection: close`, while the response goes on reading from it
    kept: list[socket.socket] = []

    def cut() -> None:
        # wakes a connect, TLS handshake or read blocked in the main thread: the
        # socket's timeout bounds each of them, this bounds them all
        expired.set()
        for sock in (*kept, conn.sock):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, cut)
    watchdog.start()
    try:
        try:
            conn.connect()
        except (OSError, http.client.HTTPException, UnicodeError) as exc:
            if expired.is_set():
                raise fail("input/timeout", f"no connection within {timeout:g} s (`--timeout`)") from None
            raise fail("input/unreachable", f"cannot fetch: {getattr(exc, 'strerror', None) or exc}") from None
        kept.append(conn.sock)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body, declared, content_type = _get(conn, target, headers, max_bytes, fail)
        if expired.is_set():  # the cut socket looked like the end of the body
            raise fail("input/timeout", f"no complete answer within {timeout:g} s (`--timeout`)")
        if declared is not None and len(body) < declared:
            raise fail("input/http", f"the answer was cut off after {len(body)} of {declared} bytes")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if expired.is_set():
            raise fail("input/timeout", f"no complete answer within {timeout:g} s (`--timeout`)") from None
        raise fail("input/http", _broken(exc)) from None
    finally:
        watchdog.cancel()
        watchdog.join()
        conn.close()
    return read_text(where, body), content_type


def _get(conn: http.client.HTTPConnection, target: str, headers: dict[str, str], max_bytes: int,
         fail: Callable[[str, str], InputError]) -> tuple[bytes, int | None, str]:
    """The body of a 200 answer, read in chunks up to `max_bytes`, its declared length and its Content-Type."""
    conn.request("GET", target, headers=headers)
    with conn.getresponse() as resp:
        if resp.status != 200:
            moved = resp.getheader("Location") if 300 <= resp.status < 400 else None
            raise fail("input/http-status", f"the server answered HTTP {resp.status}"
                       + (f" (redirect to `{moved}`, which is not followed)" if moved else ""))
        too_large = f"the answer is larger than {max_bytes} bytes (`--max-bytes`)"
        declared = resp.length
        if declared is not None and declared > max_bytes:
            raise fail("input/too-large", too_large)
        body = bytearray()
        # an early end of a body with a Content-Length reads as b"" here: the caller compares the lengths
        while chunk := resp.read1(_CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise fail("input/too-large", too_large)
        content_type = resp.getheader("Content-Type", "")
    return bytes(body), declared, content_type


def _broken(exc: Exception) -> str:
    """What went wrong after the connection was made, as one sentence."""
    if isinstance(exc, http.client.IncompleteRead):
        return "the answer's body is cut off or its chunked encoding is malformed"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without an answer"
    if isinstance(exc, http.client.BadStatusLine):
        return "the answer does not start with an HTTP status line"
    if isinstance(exc, (http.client.HTTPException, ValueError)):
        return f"the answer is not valid HTTP: {exc}"
    return f"the connection failed: {getattr(exc, 'strerror', None) or exc}"
