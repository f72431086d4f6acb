"""Prometheus metrics, on a registry of their own (one per app, no module globals)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "opora_updates",
            "Events handled, by channel and kind (text, button, location, contact)",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.answers = Counter(
            "opora_answers", "Free-text questions answered, by the intent found", ["intent"], registry=self.registry
        )
        self.turn_seconds = Histogram(
            "opora_turn_seconds",
            "Time from an event to its replies, by kind",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "opora_errors", "Events that could not be handled, by channel", ["channel"], registry=self.registry
        )
        self.limited = Counter(
            "opora_limited",
            "Events refused by a limit per person, by channel and limit",
            ["channel", "limit"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "opora_outbox_deliveries",
            "Outbox delivery attempts, by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.outbox = Gauge("opora_outbox_messages", "Outbox messages by status", ["status"], registry=self.registry)
        self.outbox_lag = Gauge(
            "opora_outbox_lag_seconds", "Age of the oldest pending outbox message", registry=self.registry
        )
        self.open_requests = Gauge(
            "opora_open_requests", "Open help requests by queue", ["queue"], registry=self.registry
        )

    def delivered(self, channel: str, outcome: str) -> None:
        """The help desk's outbox tells of each delivery attempt (bot.helpdesk.ports.DeliveryObserver)."""
        self.deliveries.labels(channel, outcome).inc()
