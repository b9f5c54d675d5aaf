"""Prometheus metrics, defined once per process and labelled by service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "cw_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "cw_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter(
    "cw_outbox_published_total", "Events published by the relay", ["service"]
)
OUTBOX_PUBLISH_ERRORS = Counter(
    "cw_outbox_publish_errors_total", "Failed relay publish attempts", ["service"]
)
OUTBOX_LAG = Histogram(
    "cw_outbox_lag_seconds",
    "Time from an event's commit to its acknowledgement by the bus",
    ["service"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30),
)
EVENTS_HANDLED = Counter(
    "cw_events_handled_total", "Events consumed", ["service", "consumer", "outcome"]
)
EVENTS_DEAD_LETTERED = Counter(
    "cw_events_dead_lettered_total",
    "Events sent to the dead-letter subject",
    ["service", "consumer"],
)
BUS_CONNECTED = Gauge("cw_bus_connected", "1 when the bus connection is up", ["service"])
