"""A small thread-safe cache of the last few versions' built objects (snapshots, Flask apps)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LastVersions(Generic[K, V]):
    """Keeps the ``keep`` most recently built values; builds each at most once, under a lock."""

    def __init__(self, keep: int = 2):
        self.keep = keep
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[K], V]) -> V:
        value = self._items.get(key)
        if value is not None:
            return value
        with self._lock:
            value = self._items.get(key)
            if value is None:
                value = build(key)
                self._put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._put(key, value)

    def _put(self, key: K, value: V) -> None:
        self._items[key] = value
        while len(self._items) > self.keep:
            self._items.popitem(last=False)
