"""Prometheus metrics (prometheus_client), served at /metrics by bot/ops.py."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES_RECEIVED = Counter(
    "candor_updates_received_total", "Inbound platform updates received", ["channel"]
)
UPDATES_STORED = Counter(
    "candor_updates_stored_total", "Inbound updates durably recorded in the inbox", ["channel"]
)
UPDATES_FAILED = Counter(
    "candor_updates_failed_total",
    "Inbound updates set aside (malformed, or failing after every retry)",
    ["channel", "reason"],
)
REQUESTS_REFUSED = Counter(
    "candor_requests_refused_total",
    "Inbound HTTP requests refused (bad signature or secret, malformed body)",
    ["channel", "reason"],
)
INBOX_DEPTH = Gauge("candor_inbox_depth", "Inbox rows by status", ["status"])
OUTBOX_DEPTH = Gauge("candor_outbox_depth", "Outbox rows by status", ["status"])
SEND_LATENCY = Histogram(
    "candor_send_seconds",
    "Duration of one platform send call",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SENDS = Counter(
    "candor_sends_total",
    "Platform send outcomes: ok, 429, 5xx (any transient failure), permanent, uncertain",
    ["channel", "outcome"],
)
# Read from the database at each scrape: the figure for the bot, whichever process raised them.
ALERTS = Gauge("candor_alerts", "Alerts raised to account owners, by status", ["status"])
SENTIMENT_LATENCY = Histogram(
    "candor_sentiment_seconds",
    "Duration of scoring one answer",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
LEADER = Gauge("candor_delivery_leader", "1 while this process delivers the outbox")
