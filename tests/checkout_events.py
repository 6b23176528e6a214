"""The example service `examples/checkout`: its events, a workload of them, and what that workload must read.

The events are plain dataclasses named as the contract's `events:` say; the
generated module's `handlers()` maps each name to its handler, the way an
application without pyventus wires it to its own event bus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKOUT_DIR = Path(__file__).resolve().parent.parent / "examples" / "checkout"
CONTRACT = CHECKOUT_DIR / "metrics-contract.yaml"


@dataclass(frozen=True)
class RequestFinished:
    method: str
    status_class: str
    route: str
    duration_ms: float


@dataclass(frozen=True)
class InFlightChanged:
    count: int


@dataclass(frozen=True)
class OrderPlaced:
    payment_method: str


@dataclass(frozen=True)
class OrderShipped:
    pass


@dataclass(frozen=True)
class PaymentAnswered:
    provider: str
    seconds: float


@dataclass(frozen=True)
class PaymentFailed:
    reason: str


IN_FLIGHT = 7
# every request takes 50 ms: inside the (0.025, 0.1] bucket, so a quantile q reads 0.025 + 0.075 q
REQUEST_MS = 50.0
# every payment takes 0.5 s: inside (0.25, 1], so a quantile q reads 0.25 + 0.75 q
PAYMENT_SECONDS = 0.5


def batch() -> list[Any]:
    """One round of traffic; what it adds to each series is in PER_BATCH."""
    return [
        *(RequestFinished("GET", "2xx", "/cart/{id}", REQUEST_MS) for _ in range(3)),
        RequestFinished("POST", "5xx", "/orders", REQUEST_MS),
        OrderPlaced("card"), OrderPlaced("card"), OrderPlaced("wallet"),
        OrderShipped(), OrderShipped(),
        PaymentAnswered("acme-pay", PAYMENT_SECONDS), PaymentAnswered("acme-pay", PAYMENT_SECONDS),
        PaymentFailed("declined"),
        InFlightChanged(IN_FLIGHT),
    ]


# (series as prometheus_client exposes it, its labels) -> growth per batch
PER_BATCH: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {
    ("checkout_requests_total", (("method", "GET"), ("status_class", "2xx"))): 3,
    ("checkout_requests_total", (("method", "POST"), ("status_class", "5xx"))): 1,
    ("http_server_request_duration_seconds_count",
     (("http_request_method", "GET"), ("http_route", "/cart/{id}"))): 3,
    ("http_server_request_duration_seconds_count", (("http_request_method", "POST"), ("http_route", "/orders"))): 1,
    ("checkout_orders_total", (("payment_method", "card"),)): 2,
    ("checkout_orders_total", (("payment_method", "wallet"),)): 1,
    ("checkout_queue_size", ()): 1,
    ("checkout_payment_duration_seconds_count", (("provider", "acme-pay"),)): 2,
    ("checkout_payment_errors_total", (("reason", "declined"),)): 1,
}


def emit(found: dict[str, Callable[[Any], None]], events: list[Any]) -> None:
    """Each event to the handler of its class name, as an application's bus would deliver it."""
    for event in events:
        found[type(event).__name__](event)
