"""Rendered parts kept per running site: the one way a page keeps what it drew (the land map and ledger, the coverage
dashboard's figures, the county overview's disclosure part).

A kept part is looked up under a key that holds everything the part depends on, read in the same read transaction
as the records it is drawn from (an audit version or chain head, the rows themselves, the day, the language, the
villages): a write changes the key at its commit, in every worker, so nothing is ever purged — old keys just age out
of a small least-recently-used store. One store per site and kind, held weakly by the site, so a test's or another
site's database never answers for this one. Handlers run in worker threads, so each store takes a lock.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cunwu.runtime import Site


class KeptParts:
    """A small thread-safe least-recently-used store of drawn parts (any value) under hashable keys."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The part kept under `key` (now the most recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, part: Any) -> None:
        """Keep `part` under `key`, dropping the least recently used beyond the store's size."""
        with self._lock:
            self._items[key] = part
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every part (a test that compares a kept part with a fresh one)."""
        with self._lock:
            self._items.clear()


_stores: weakref.WeakKeyDictionary[Site, dict[str, KeptParts]] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def kept_parts(site: Site, kind: str, size: int) -> KeptParts:
    """The site's store of one kind of part, named by its plugin ("land.map", "coverage.dashboard"), made with room
    for `size` parts on first use."""
    with _stores_lock:
        kinds = _stores.setdefault(site, {})
        store = kinds.get(kind)
        if store is None:
            store = kinds[kind] = KeptParts(size)
        return store
