"""Publishing a batch and waiting once for RabbitMQ to confirm all of it.

py-amqp's ``confirm_publish`` waits for each message's confirm before sending
the next, which caps a relay at one broker round trip per event. Here the whole
batch is sent on a channel in confirm mode, then the confirms (often one
``multiple`` ack for many messages) are collected; the caller learns how many
messages, from the first, the broker has safely stored.
"""

from __future__ import annotations

import time


class BrokerRefused(Exception):
    """RabbitMQ nacked a message: it was not stored."""


class ConfirmedBatchPublisher:
    def __init__(self, connection):
        self.connection = connection
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.producer = connection.Producer(channel=self.channel)
        self._next_tag = 1
        self._acked: set[int] = set()
        self._confirmed_upto = 0
        self._nacked_from: int | None = None

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._confirmed_upto = max(self._confirmed_upto, delivery_tag)
        else:
            self._acked.add(delivery_tag)
        while self._confirmed_upto + 1 in self._acked:
            self._confirmed_upto += 1
            self._acked.discard(self._confirmed_upto)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        first = self._confirmed_upto + 1 if multiple else delivery_tag
        self._nacked_from = first if self._nacked_from is None else min(self._nacked_from, first)

    def publish_batch(self, publish_one, items: list, *, timeout: float = 10.0) -> int:
        """``publish_one(producer, item)`` for each item, then wait for the confirms.

        Returns how many items, counted from the first, were confirmed; raises on a
        nack or a timeout (the caller sends the unconfirmed ones again later).
        """
        first_tag = self._next_tag
        for item in items:
            publish_one(self.producer, item)
            self._next_tag += 1
        last_tag = self._next_tag - 1
        deadline = time.monotonic() + timeout
        while self._confirmed_upto < last_tag and self._nacked_from is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"RabbitMQ confirmed {self._confirmed_upto - first_tag + 1} of {len(items)}")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue
        if self._nacked_from is not None:
            raise BrokerRefused(f"RabbitMQ refused message {self._nacked_from - first_tag + 1} of the batch")
        return len(items)
