# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rate limiting of anonymous pages (verification, later the portal).

Counts requests per key (the client address) in a sliding window, in the
memory of the server process: enough to stop a script enumerating tokens
or flooding uploads through one server.  Several server processes each
keep their own count, so the effective limit is per process.
"""
import threading
import time
from collections import deque

# Above this many tracked keys, stale ones are dropped
MAX_KEYS = 10000


class RateLimiter:
    "At most limit hits per key in period seconds"

    def __init__(self, limit, period=60):
        self.limit = limit
        self.period = period
        self._hits = {}
        self._lock = threading.Lock()

    def allow(self, key):
        "Record a hit of key; False when it is over the limit"
        now = time.monotonic()
        start = now - self.period
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= start:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > MAX_KEYS:
                self._prune(start)
            return True

    def _prune(self, start):
        for key in [k for k, h in self._hits.items() if h[-1] <= start]:
            del self._hits[key]

    def reset(self):
        with self._lock:
            self._hits.clear()
