"""The ``ratelimit`` axis: at most ``limit`` requests per ``window`` seconds for each client.

``hit(key, now)`` counts one request and returns 0.0 when it may pass, else the seconds
until it would (the Retry-After). State is per client key, in this process (the Redis
limiter, shared by processes, is in :mod:`lab.web.redis_limiter`).

- ``fixed-window``: a counter per window; up to 2 x limit pass across a window boundary.
- ``sliding-log``: every timestamp of the last window; exact, memory grows with the limit.
- ``sliding-counter``: this window's and the last window's counts, weighted by overlap.
- ``token-bucket``: ``limit`` tokens refilled at ``limit / window`` per second.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Protocol

__all__ = ["Limiter", "FixedWindow", "SlidingLog", "SlidingCounter", "TokenBucket", "LIMITERS"]


class Limiter(Protocol):
    limit: int
    window: float

    def hit(self, key: str, now: float) -> float: ...

    def clear(self) -> None: ...


class _Base:
    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = float(window)
        self.state: dict = {}

    def clear(self) -> None:
        """Forget every client."""
        self.state.clear()


class FixedWindow(_Base):
    """A count per client per window of time (``now // window``)."""

    def hit(self, key: str, now: float) -> float:
        current = int(now // self.window)
        entry = self.state.get(key)
        if entry is None or entry[0] != current:
            self.state[key] = [current, 1]
            return 0.0
        if entry[1] < self.limit:
            entry[1] += 1
            return 0.0
        return (current + 1) * self.window - now


class SlidingLog(_Base):
    """Each client's timestamps of the last ``window`` seconds."""

    def hit(self, key: str, now: float) -> float:
        log = self.state.get(key)
        if log is None:
            log = self.state[key] = deque()
        horizon = now - self.window
        while log and log[0] <= horizon:
            log.popleft()
        if len(log) < self.limit:
            log.append(now)
            return 0.0
        return log[0] - horizon


class SlidingCounter(_Base):
    """This window's count plus the last one's, weighted by how much of it is still in view."""

    def hit(self, key: str, now: float) -> float:
        current = int(now // self.window)
        entry = self.state.get(key)
        if entry is None:
            entry = self.state[key] = [current, 0, 0]
        elif entry[0] != current:
            entry[2] = entry[1] if entry[0] == current - 1 else 0
            entry[0], entry[1] = current, 0
        elapsed = now / self.window - current
        weight = 1.0 - elapsed
        if entry[2] * weight + entry[1] + 1 <= self.limit:
            entry[1] += 1
            return 0.0
        if entry[1] + 1 > self.limit:
            # this window is full: wait for the next one, and for this one's share to slide out
            needed = max(0.0, 1.0 - (self.limit - 1) / entry[1])
            return (1.0 - elapsed + needed) * self.window
        # wait until the last window's share has shrunk enough
        needed = 1.0 - (self.limit - 1 - entry[1]) / entry[2]
        return max((needed - elapsed) * self.window, 1e-9)


class TokenBucket(_Base):
    """``limit`` tokens, one per request, refilled continuously at ``limit / window`` per second."""

    def hit(self, key: str, now: float) -> float:
        rate = self.limit / self.window
        entry = self.state.get(key)
        if entry is None:
            self.state[key] = [self.limit - 1.0, now]
            return 0.0
        tokens = min(float(self.limit), entry[0] + (now - entry[1]) * rate)
        entry[1] = now
        if tokens >= 1.0:
            entry[0] = tokens - 1.0
            return 0.0
        entry[0] = tokens
        return (1.0 - tokens) / rate


LIMITERS: dict[str, type] = {
    "fixed-window": FixedWindow,
    "sliding-log": SlidingLog,
    "sliding-counter": SlidingCounter,
    "token-bucket": TokenBucket,
}


def retry_after(seconds: float) -> str:
    """The Retry-After header's value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
