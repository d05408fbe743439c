"""A value recomputed at most every few seconds per process, however many threads ask for it."""

from __future__ import annotations

import threading
import time
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Memo(Generic[T]):
    def __init__(self, compute: Callable[[], T], *, seconds: float):
        self._compute = compute
        self._seconds = seconds
        self._lock = threading.Lock()
        self._value: T | None = None
        self._computed_at = float("-inf")

    def get(self) -> T:
        with self._lock:  # those who ask while it is being computed wait for that result
            if time.monotonic() - self._computed_at >= self._seconds:
                self._value = self._compute()
                self._computed_at = time.monotonic()
            return self._value

    def forget(self) -> None:
        with self._lock:
            self._computed_at = float("-inf")
