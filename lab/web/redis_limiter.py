"""A fixed-window limiter kept in Redis, so every worker process of a server shares one count.

One round trip per request: a Lua script increments the client's counter of the current
window and sets its expiry on the first hit. Keys: ``<prefix>:<client>:<window>``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RedisFixedWindow"]

_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisFixedWindow:
    """Fixed windows counted in Redis (``url``), under the key prefix ``prefix``."""

    def __init__(self, limit: int, window: float, url: str, prefix: str = "lab:web:rl") -> None:
        import redis

        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = float(window)
        self.prefix = prefix
        self.client: Any = redis.Redis.from_url(url)
        self._incr = self.client.register_script(_SCRIPT)
        self._ttl_ms = str(int(self.window * 1000) + 1000)

    def hit(self, key: str, now: float) -> float:
        current = int(now // self.window)
        count = self._incr(keys=[f"{self.prefix}:{key}:{current}"], args=[self._ttl_ms])
        if count <= self.limit:
            return 0.0
        return (current + 1) * self.window - now

    def clear(self) -> None:
        """Delete every key under this limiter's prefix."""
        keys = list(self.client.scan_iter(match=f"{self.prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            self.client.delete(*keys[start : start + 1000])

    def close(self) -> None:
        self.client.close()
