"""What the help desk needs from the infrastructure around it, as small protocols: the
composition root plugs in the real ones (Prometheus metrics in `bot.metrics`)."""

from typing import Protocol


class DeliveryObserver(Protocol):
    def delivered(self, channel: str, outcome: str) -> None:
        """One delivery attempt of the outbox: outcome is sent, retry, unreachable or failed."""


class Unobserved:
    def delivered(self, channel: str, outcome: str) -> None:
        pass
