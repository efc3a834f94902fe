"""The team's hub on a Redis server, so dashboards on many hosts share one poller.

Everything lives under one namespace, ``batch-tui:<team>:`` (the team is a hash of
the base URL and the key; the key itself never reaches Redis):

- ``leader``: the member id holding the lease (``SET NX PX``, renewed by ``lead``);
- ``records`` (hash, batch id → record JSON), ``order`` (sorted set, batch id by
  the sequence number of its last change), ``seq`` (the last sequence number),
  ``status`` (the leader's status JSON);
- ``members`` (hash, member id → heartbeat JSON) and ``alive`` (sorted set, member
  id by its last heartbeat);
- ``ledger`` (sorted set of requests by when they were sent, the last two minutes);
- ``refresh`` (how many refreshes were asked);
- the channel ``changes``: a message on every publish and refresh ask, so others
  wake at once instead of polling Redis.

Every step that reads and writes is one Lua script, so it is atomic: the lease is
checked in the same step as the write it guards. What is read back is untrusted:
values of the wrong type are dropped, oversized ones are never transferred, and
malformed ones are skipped, counted (``skipped``) and removed. Every key expires
a day after the team's last write, so an abandoned team leaves nothing behind. A
Redis server restarted empty is simply a new start: the lease is taken again, the
sequence numbers start above any cursor handed out before (they are seeded from
the server's clock), and the subscription is made again.

``redis`` (redis-py) is an optional dependency (``pip install 'batch-tui[hub]'``):
it is imported when the hub starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from dataclasses import replace
from typing import Any
from urllib.parse import unquote, urlsplit

from batch_tui.core.clock import Clock
from batch_tui.hub.base import (
    LEASE,
    LIVE_FOR,
    MAX_VALUE_BYTES,
    Hub,
    HubUnavailable,
    Member,
    Record,
    load_object,
)

#: Every key of a team expires this long (seconds) after the team's last write.
TEAM_TTL = 24 * 3600
#: The ledger keeps requests this many seconds (the rate limit looks back one minute).
LEDGER_KEEP = 120.0
#: At most this many records are read per ``read``; the rest come with the next call.
READ_LIMIT = 500
#: At most this many members and ledger entries are looked at per call.
MEMBER_LIMIT = 1000
LEDGER_LIMIT = 10_000
#: A heartbeat dated this far in the future is not a clock's skew but garbage.
FUTURE_SKEW = 60.0
#: A leader key that lives longer than this without renewal is not a lease.
MAX_LEASE = 60.0
#: Member ids are random and short; anything longer in the leader key is garbage.
MAX_ID = 64
#: Connecting must fail fast (the dashboard then polls alone): the whole start,
#: connection, TLS, login and subscription included, takes at most START_TIMEOUT.
#: A command that hangs COMMAND_TIMEOUT means the server is gone.
CONNECT_TIMEOUT = 1.5
START_TIMEOUT = 1.8
COMMAND_TIMEOUT = 2.5
#: Seconds between listener reads of the subscription (it notices a dead server).
LISTEN_TICK = 1.0
#: Largest sequence number kept exact (Redis sorted-set scores are doubles).
_MAX_SEQ = 2**53

# Shared by the scripts: a key holding the wrong type is garbage, dropped before use;
# a sequence number is a non-negative integer below 2**53, or not one.
_LUA_COMMON = """
local function fit(key, kind)
  local t = redis.call('TYPE', key)['ok']
  if t ~= kind and t ~= 'none' then redis.call('DEL', key) end
end
local function seq_of(key)
  local v = redis.call('GET', key)
  if not v or #v > 16 or not string.match(v, '^%d+$') then return nil end
  return tonumber(v)
end
local function fmt(n) return string.format('%d', n) end
"""

# KEYS: leader. ARGV: member id, lease ms, longest believable lease ms.
_LEAD = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'string')
local cur = redis.call('GET', KEYS[1])
if cur then
  local ttl = redis.call('PTTL', KEYS[1])
  if #cur > 64 or ttl < 0 or ttl > tonumber(ARGV[3]) then
    redis.call('DEL', KEYS[1])
    cur = false
  end
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
)

# KEYS: leader. ARGV: member id.
_RESIGN = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'string')
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""
)

# KEYS: leader. ARGV: longest id. Returns the leader's id, false, or '' for garbage.
_LEADER = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'string')
local n = redis.call('STRLEN', KEYS[1])
if n == 0 then return false end
if n > tonumber(ARGV[1]) then return '' end
return redis.call('GET', KEYS[1])
"""
)

# KEYS: leader, records, order, seq, status.
# ARGV: member id, status JSON, ttl s, channel, message, then (batch id, record JSON)...
# A record whose JSON did not change keeps its sequence number (followers skip it).
_PUBLISH = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'string')
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
fit(KEYS[2], 'hash'); fit(KEYS[3], 'zset'); fit(KEYS[4], 'string'); fit(KEYS[5], 'string')
local seq = seq_of(KEYS[4])
if not seq then
  local now = redis.call('TIME')
  seq = tonumber(now[1]) * 1000000 + tonumber(now[2])
end
for i = 6, #ARGV, 2 do
  if redis.call('HGET', KEYS[2], ARGV[i]) ~= ARGV[i + 1] then
    seq = seq + 1
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    redis.call('ZADD', KEYS[3], fmt(seq), ARGV[i])
  end
end
redis.call('SET', KEYS[4], fmt(seq), 'EX', ARGV[3])
redis.call('SET', KEYS[5], ARGV[2], 'EX', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
"""
)

# KEYS: records, order, seq, status. ARGV: cursor, limit, largest value, ttl s.
# Returns {flat (id, seq, value-or-'' when oversized)..., status or ''/false, start over}.
# A cursor beyond the last sequence number comes from another life of the hub (a
# server restarted with its clock set back): start over. Order entries beyond the
# last sequence number (the same cause, or garbage) would move every cursor past
# the records written after them: they are numbered again, after the last.
_READ = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'hash'); fit(KEYS[2], 'zset'); fit(KEYS[3], 'string'); fit(KEYS[4], 'string')
local seq = seq_of(KEYS[3]) or 0
local ahead = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. fmt(seq), '+inf', 'LIMIT', 0, 1000)
if #ahead > 0 then
  for _, id in ipairs(ahead) do
    seq = seq + 1
    redis.call('ZADD', KEYS[2], fmt(seq), id)
  end
  redis.call('SET', KEYS[3], fmt(seq), 'EX', ARGV[4])
end
local cursor = tonumber(ARGV[1])
local over = 0
if cursor > seq then cursor = 0; over = 1 end
local max = tonumber(ARGV[3])
local found = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. fmt(cursor), fmt(seq),
  'WITHSCORES', 'LIMIT', 0, ARGV[2])
local out = {}
for i = 1, #found, 2 do
  local value = ''
  if redis.call('HSTRLEN', KEYS[1], found[i]) <= max then
    value = redis.call('HGET', KEYS[1], found[i])
  end
  out[#out + 1] = found[i]
  out[#out + 1] = found[i + 1]
  out[#out + 1] = value
end
local status = false
local n = redis.call('STRLEN', KEYS[4])
if n > max then status = '' elseif n > 0 then status = redis.call('GET', KEYS[4]) end
return {out, status, over}
"""
)

# KEYS: members, alive. ARGV: member id, member JSON, seen at, live after, future
# limit, ttl s, largest value, limit. Prunes the dead, records the beat, returns
# the live as flat (id, seen at, value-or-'' when oversized)...
_BEAT = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'hash'); fit(KEYS[2], 'zset')
local function prune(low, high)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], low, high)) do
    redis.call('HDEL', KEYS[1], id)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], low, high)
end
prune('-inf', ARGV[4])
prune('(' .. ARGV[5], '+inf')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
local max = tonumber(ARGV[7])
local live = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[4], ARGV[5],
  'WITHSCORES', 'LIMIT', 0, ARGV[8])
local out = {}
for i = 1, #live, 2 do
  local value = ''
  if redis.call('HSTRLEN', KEYS[1], live[i]) <= max then
    value = redis.call('HGET', KEYS[1], live[i])
  end
  out[#out + 1] = live[i]
  out[#out + 1] = live[i + 1]
  out[#out + 1] = value
end
return out
"""
)

# KEYS: members, alive. ARGV: member id.
_LEAVE = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'hash'); fit(KEYS[2], 'zset')
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""
)

# KEYS: a hash, the sorted set indexing it. ARGV: (id, score)... Removes entries
# found malformed, unless they changed since (the score moved): never a fresh write.
_FORGET = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'hash'); fit(KEYS[2], 'zset')
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[2], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    redis.call('ZREM', KEYS[2], ARGV[i])
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return 1
"""
)

# KEYS: ledger. ARGV: keep after, ttl s, then (time, entry)...
_RECORD = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'zset')
for i = 3, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
)

# KEYS: ledger. ARGV: since, limit.
_SINCE = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'zset')
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES',
  'LIMIT', 0, ARGV[2])
"""
)

# KEYS: refresh. ARGV: ttl s, channel, message.
_ASK = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'string')
if redis.call('EXISTS', KEYS[1]) == 1 and not seq_of(KEYS[1]) then redis.call('DEL', KEYS[1]) end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
"""
)

# KEYS: refresh. Returns the count, or -1 when the value was garbage (dropped).
_ASKS = (
    _LUA_COMMON
    + """
fit(KEYS[1], 'string')
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = seq_of(KEYS[1])
if not n then redis.call('DEL', KEYS[1]); return -1 end
return n
"""
)


def _hostport(url: str) -> tuple[str, str | None]:
    """``HOST:PORT`` of a Redis URL, and its password (to keep it out of messages)."""
    try:
        parts = urlsplit(url)
        port = parts.port or 6379
    except ValueError:
        raise HubUnavailable("the hub URL is not a valid redis:// URL") from None
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise HubUnavailable("the hub URL must look like redis://host:6379/0 or rediss://…")
    host = parts.hostname
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}", parts.password


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _score(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < _MAX_SEQ else None


class RedisHub(Hub):
    """A team's hub on a Redis server (``redis://``, ``rediss://`` with TLS,
    ``redis://user:password@host:port/db``). A hub object is not woken by its own
    writes (a leader's publish does not end its own ``wait``)."""

    def __init__(
        self,
        url: str,
        team: str,
        *,
        clock: Clock = time.time,
        lease: float = LEASE,
    ) -> None:
        hostport, self._password = _hostport(url)
        self.label = f"hub: {hostport}"
        self.skipped = 0
        self._url = url
        self._clock = clock
        self._lease_ms = max(1, round(lease * 1000))
        self._max_lease_ms = max(round(MAX_LEASE * 1000), 10 * self._lease_ms)
        self._ns = f"batch-tui:{team}:"
        self._channel = self._ns + "changes"
        # Tells this object's own pub/sub messages from the others'.
        self._instance = secrets.token_hex(8)
        self._redis: Any = None
        self._listen_redis: Any = None
        self._scripts: dict[str, Any] = {}
        self._listener: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._members: set[str] = set()
        self._leading: set[str] = set()
        self._entries = 0
        self._asks_seen = 0
        self._asks_base = 0
        self._bad_status: bytes | None = None

    def _key(self, name: str) -> str:
        return self._ns + name

    def _reason(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split())
        if not text:
            text = "no answer in time" if isinstance(exc, TimeoutError) else type(exc).__name__
        if self._password:
            for secret in {self._password, unquote(self._password)}:
                text = text.replace(secret, "***")
        return f"{self.label} unavailable: {text[:200]}"

    async def start(self) -> None:
        """Connect and subscribe to the team's channel (raises ``HubUnavailable``)."""
        if self._redis is not None:
            return
        try:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import ConnectionError as RedisConnectionError
        except ImportError:
            raise HubUnavailable(
                "the Redis hub needs the redis package: pip install 'batch-tui[hub]'"
            ) from None
        pubsub = None
        try:
            options: dict[str, Any] = {
                "socket_connect_timeout": CONNECT_TIMEOUT,
                "socket_timeout": COMMAND_TIMEOUT,
                "socket_keepalive": True,
                "health_check_interval": 15,
                "retry_on_error": [RedisConnectionError],
            }
            # One quick retry: a pooled connection left over from a restarted server
            # fails once, then connects afresh; a server that is gone fails fast.
            self._redis = aioredis.from_url(self._url, retry=Retry(NoBackoff(), 1), **options)
            # The subscription has its own connection and no retry, so that a lost
            # connection reaches the listener, which then knows messages may be lost.
            self._listen_redis = aioredis.from_url(
                self._url, retry=Retry(NoBackoff(), 0), **options
            )
            async with asyncio.timeout(START_TIMEOUT):
                await self._redis.ping()
                pubsub = await self._subscribe()
        except Exception as exc:  # noqa: BLE001 - any failure here means "no hub"
            reason = self._reason(exc)
            await self._shutdown(pubsub)
            raise HubUnavailable(reason) from None
        scripts = {
            "lead": _LEAD,
            "resign": _RESIGN,
            "leader": _LEADER,
            "publish": _PUBLISH,
            "read": _READ,
            "beat": _BEAT,
            "leave": _LEAVE,
            "forget": _FORGET,
            "record": _RECORD,
            "since": _SINCE,
            "ask": _ASK,
            "asks": _ASKS,
        }
        self._scripts = {name: self._redis.register_script(s) for name, s in scripts.items()}
        self._listener = asyncio.create_task(self._listen(pubsub))

    async def _subscribe(self) -> Any:
        pubsub = self._listen_redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._channel)
        except BaseException:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            raise
        return pubsub

    async def _listen(self, pubsub: Any) -> None:
        """Wake ``wait`` on every message of the others; after a lost connection,
        subscribe again (and wake ``wait``: messages may have been missed)."""
        delay = 0.1
        try:
            while True:
                try:
                    if pubsub is None:
                        pubsub = await self._subscribe()
                        delay = 0.1
                        self._changed.set()
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=LISTEN_TICK
                    )
                    if (
                        message is not None
                        and message.get("type") == "message"
                        and _text(message.get("data")) != self._instance
                    ):
                        self._changed.set()
                except Exception:  # noqa: BLE001 - a lost connection, whatever its kind
                    if pubsub is not None:
                        with contextlib.suppress(Exception):
                            await pubsub.aclose()
                        pubsub = None
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)
        finally:
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _shutdown(self, pubsub: Any = None) -> None:
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        for client in (self._redis, self._listen_redis):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        self._redis = self._listen_redis = None

    async def close(self) -> None:
        """Resign, leave, unsubscribe, disconnect; never raises."""
        if self._redis is None:
            return
        # Letting go is a courtesy (the lease and heartbeats lapse anyway): a server
        # that does not answer does not hold the exit up for long.
        with contextlib.suppress(HubUnavailable, TimeoutError):
            async with asyncio.timeout(COMMAND_TIMEOUT):
                for member_id in sorted(self._leading):
                    await self.resign(member_id)
                for member_id in sorted(self._members):
                    await self.leave(member_id)
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        await self._shutdown()

    async def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        if self._redis is None:
            raise HubUnavailable(f"{self.label} is not connected")
        try:
            return await self._scripts[script](keys=keys, args=args)
        except Exception as exc:  # noqa: BLE001 - redis, socket and timeout errors alike
            raise HubUnavailable(self._reason(exc)) from None

    def _skip(self, count: int = 1) -> None:
        self.skipped += count

    # Members.

    async def beat(self, me: Member) -> list[Member]:
        """Record the heartbeat (stamped with this hub's clock); the live members."""
        now = self._clock()
        me = replace(me, seen_at=now)
        found = await self._run(
            "beat",
            [self._key("members"), self._key("alive")],
            [
                me.id,
                me.to_json(),
                repr(now),
                repr(now - LIVE_FOR),
                repr(now + FUTURE_SKEW),
                TEAM_TTL,
                MAX_VALUE_BYTES,
                MEMBER_LIMIT,
            ],
        )
        self._members.add(me.id)
        members: list[Member] = []
        bad: list[Any] = []
        for raw_id, score, value in zip(found[0::3], found[1::3], found[2::3], strict=True):
            member = Member.from_json(value) if value else None
            if member is None or member.id != _text(raw_id):
                bad += [raw_id, score]
            else:
                members.append(member)
        await self._forget("members", "alive", bad)
        return members

    async def _forget(self, hash_name: str, index_name: str, pairs: list[Any]) -> None:
        """Count malformed entries and remove them, so each is counted once."""
        if pairs:
            self._skip(len(pairs) // 2)
            await self._run("forget", [self._key(hash_name), self._key(index_name)], pairs)

    async def leave(self, member_id: str) -> None:
        """This member no longer counts."""
        await self._run("leave", [self._key("members"), self._key("alive")], [member_id])
        self._members.discard(member_id)

    # Leadership.

    async def lead(self, member_id: str) -> bool:
        """Take the lease when free, renew it when ours; False when another holds it."""
        won = await self._run(
            "lead", [self._key("leader")], [member_id, self._lease_ms, self._max_lease_ms]
        )
        if won:
            self._leading.add(member_id)
        else:
            self._leading.discard(member_id)
        return bool(won)

    async def resign(self, member_id: str) -> None:
        """Give the lease up, only if this member holds it."""
        await self._run("resign", [self._key("leader")], [member_id])
        self._leading.discard(member_id)

    async def leader(self) -> str | None:
        """The member id holding the lease, if any."""
        value = await self._run("leader", [self._key("leader")], [MAX_ID])
        if value is None:
            return None
        if not value:
            self._skip()
            return None
        return _text(value)

    # Records.

    async def publish(self, member_id: str, records: list[Record], status: dict[str, Any]) -> bool:
        """Write records and status in one step with the lease check; False (and
        nothing written) when the lease is no longer this member's."""
        args: list[Any] = [member_id, json.dumps(status, separators=(",", ":"))]
        args += [TEAM_TTL, self._channel, self._instance]
        for record in records:
            args += [record.batch_id, record.to_json()]
        keys = ["leader", "records", "order", "seq", "status"]
        done = await self._run("publish", [self._key(k) for k in keys], args)
        if not done:
            self._leading.discard(member_id)
        return bool(done)

    async def read(self, cursor: int) -> tuple[list[Record], dict[str, Any] | None, int]:
        """Records changed after ``cursor``, at most ``READ_LIMIT`` a call (a call
        that stopped short makes the next ``wait`` return at once)."""
        keys = [self._key(k) for k in ("records", "order", "seq", "status")]
        found, status_raw, over = await self._run(
            "read", keys, [max(0, int(cursor)), READ_LIMIT, MAX_VALUE_BYTES, TEAM_TTL]
        )
        if over:
            cursor = 0
        records: list[Record] = []
        bad: list[Any] = []
        for raw_id, raw_seq, value in zip(found[0::3], found[1::3], found[2::3], strict=True):
            seq = _score(raw_seq)
            if seq is None:
                continue
            cursor = max(cursor, int(seq))
            if value is None:
                continue  # an index entry without a record: nothing to show
            record = Record.from_json(value) if value else None
            if record is None or record.batch_id != _text(raw_id):
                bad += [raw_id, raw_seq]
            else:
                records.append(record)
        await self._forget("records", "order", bad)
        if len(found) // 3 >= READ_LIMIT:
            self._changed.set()
        return records, self._status(status_raw), cursor

    def _status(self, raw: bytes | None) -> dict[str, Any] | None:
        if raw is None:
            return None
        status = load_object(raw) if raw else None
        if status is not None:
            return status
        if raw != self._bad_status:  # the same garbage, read again, counts once
            self._bad_status = raw
            self._skip()
        return None

    async def wait(self, timeout: float) -> None:
        """Until another hub object publishes or asks for a refresh (or the
        subscription was made again), or ``timeout`` seconds."""
        if not self._changed.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), max(0.0, timeout))
        self._changed.clear()

    # The ledger.

    async def record_requests(self, member_id: str, times: list[float]) -> None:
        """Add requests to the ledger (dropping those older than ``LEDGER_KEEP``)."""
        if not times:
            return
        args: list[Any] = [repr(self._clock() - LEDGER_KEEP), TEAM_TTL]
        for sent in times:
            self._entries += 1
            # Unique per request: two requests in the same instant both count.
            args += [repr(float(sent)), f"{member_id}|{self._instance}.{self._entries}"]
        await self._run("record", [self._key("ledger")], args)

    async def requests_since(self, since: float, exclude: str | None = None) -> list[float]:
        """Request times after ``since``, oldest first, but ``exclude``'s."""
        found = await self._run("since", [self._key("ledger")], [repr(float(since)), LEDGER_LIMIT])
        times: list[float] = []
        bad: list[Any] = []
        for entry, raw_time in zip(found[0::2], found[1::2], strict=True):
            sent = _score(raw_time)
            owner, bar, _ = _text(entry).partition("|")
            if sent is None or not bar or not 0 < len(owner) <= MAX_ID:
                bad.append(entry)
            elif owner != exclude:
                times.append(sent)
        if bad:
            self._skip(len(bad))
            # Garbage entries go (exactly those: a real one is never removed).
            with contextlib.suppress(Exception):
                await self._redis.zrem(self._key("ledger"), *bad)
        return times

    # Refresh asks.

    async def ask_refresh(self) -> None:
        """Count one more ask and wake the others."""
        await self._run("ask", [self._key("refresh")], [TEAM_TTL, self._channel, self._instance])

    async def refresh_asks(self) -> int:
        """How many refreshes were asked, never going down for this object (after a
        Redis restart the count goes on from where this object last saw it)."""
        count = int(await self._run("asks", [self._key("refresh")], []))
        if count < 0:
            self._skip()
            count = 0
        if count < self._asks_seen:
            self._asks_base += self._asks_seen
        self._asks_seen = count
        return self._asks_base + count
