"""The Redis hub against a real redis-server, in what only it faces: a lease that
lapses on the server, a long backlog, garbage and wrongly typed values in its keys,
the API key never reaching Redis, a server restarted empty or lost, one that is
unreachable or silent at start, TLS and passwords. (The contract every hub keeps is
in test_hub_contract.py.)
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from batch_tui.hub import HubUnavailable, Record, team_name
from batch_tui.hub.base import MAX_VALUE_BYTES
from batch_tui.hub.redis import READ_LIMIT, START_TIMEOUT, TEAM_TTL, RedisHub
from helpers import TEST_KEY, free_port
from hubhelpers import BASE_URL, TEAM, member, record, within


def raw_client(server):
    """A plain synchronous client, to look at and tamper with what the hub keeps."""
    import redis

    return redis.Redis.from_url(server.url)


async def test_a_renewed_lease_is_kept_and_an_unrenewed_one_lapses(redis_server):
    a = RedisHub(redis_server.url, TEAM, lease=0.3)
    b = RedisHub(redis_server.url, TEAM, lease=0.3)
    await a.start()
    await b.start()
    try:
        assert await a.lead("a")
        deadline = time.monotonic() + 1.0  # more than three leases
        while time.monotonic() < deadline:
            assert not await b.lead("b")  # b asks first: the lease must still be a's
            assert await a.lead("a")
            await asyncio.sleep(0.05)  # a beat cadence well inside the lease
        # a stops renewing (frozen): the lease runs out on the server and b takes it.
        while not await b.lead("b"):
            assert time.monotonic() < deadline + 2, "the lease never lapsed"
            await asyncio.sleep(0.02)
        assert await a.leader() == "b"
    finally:
        await a.close()
        await b.close()


async def test_a_leader_frozen_past_its_lease_writes_nothing_and_follows(redis_server):
    old = RedisHub(redis_server.url, TEAM, lease=0.3)
    new = RedisHub(redis_server.url, TEAM, lease=0.3)
    reader = RedisHub(redis_server.url, TEAM)
    for hub in (old, new, reader):
        await hub.start()
    try:
        assert await old.lead("old")
        assert await old.publish("old", [record("batch_1", 1)], {"by": "old"})
        # old is frozen (no renewal); the other takes over once the lease lapsed.
        deadline = time.monotonic() + 3
        while not await new.lead("new"):
            assert time.monotonic() < deadline, "the lease never lapsed"
            await asyncio.sleep(0.02)
        assert await new.publish("new", [record("batch_1", 2)], {"by": "new"})
        # old wakes up and writes what it had: refused, nothing changes.
        assert not await old.publish("old", [record("batch_1", 99)], {"by": "old"})
        records, status, _ = await reader.read(0)
        assert [r.batch["completed"] for r in records] == [2] and status == {"by": "new"}
        assert not await old.lead("old")
        assert await reader.leader() == "new"
    finally:
        for hub in (old, new, reader):
            await hub.close()


async def test_a_long_backlog_is_read_in_pieces_and_wait_says_there_is_more(redis_server):
    leader, follower = RedisHub(redis_server.url, TEAM), RedisHub(redis_server.url, TEAM)
    await leader.start()
    await follower.start()
    try:
        assert await leader.lead("L")
        count = READ_LIMIT * 2 + 7
        assert await leader.publish("L", [record(f"batch_{i}") for i in range(count)], {})
        await follower.wait(0.5)  # the publish woke it
        seen: list[str] = []
        cursor = 0
        while True:
            records, _, cursor = await follower.read(cursor)
            seen += [r.batch_id for r in records]
            if len(records) < READ_LIMIT:
                break
            assert len(records) == READ_LIMIT
            await within(0.1, follower.wait(5))  # more to read: no waiting
        assert sorted(seen) == sorted(f"batch_{i}" for i in range(count))
    finally:
        await leader.close()
        await follower.close()


async def test_a_hub_is_not_woken_by_its_own_writes(redis_server):
    hub = RedisHub(redis_server.url, TEAM)
    await hub.start()
    try:
        assert await hub.lead("L")
        assert await hub.publish("L", [record("batch_1")], {})
        await hub.ask_refresh()
        started = time.monotonic()
        await hub.wait(0.3)
        assert time.monotonic() - started >= 0.29
    finally:
        await hub.close()


def plant_garbage(client, team: str) -> None:
    """Garbage, oversized and wrongly typed values in every key a team uses."""
    ns = f"batch-tui:{team}:"
    huge = b"{" + b" " * (MAX_VALUE_BYTES + 10) + b"}"
    # batch_lie holds a well-formed record of another batch: not what the key says.
    lie = record("batch_other").to_json()
    client.hset(
        ns + "records",
        mapping={"batch_bad": b"\xff\xfenot json", "batch_huge": huge, "batch_lie": lie},
    )
    seq = int(client.get(ns + "seq") or 0)
    client.zadd(ns + "order", {"batch_bad": seq + 1, "batch_huge": seq + 2, "batch_lie": seq + 3})
    client.zadd(ns + "order", {"batch_far": 1e300})
    client.set(ns + "seq", seq + 3)
    client.set(ns + "status", huge)
    now = time.time()
    client.hset(ns + "members", mapping={"m_bad": "[1,2", "m_huge": huge})
    client.zadd(ns + "alive", {"m_bad": now, "m_huge": now, "m_missing": now})
    client.zadd(ns + "ledger", {"no-owner": now, "x|garbage-time": 1e200})
    client.set(ns + "refresh", "many")
    # The leader key: a value that is no member id, with no expiry, blocks nobody.
    client.set(ns + "leader", "x" * 500)


async def test_garbage_in_the_hubs_keys_is_skipped_counted_and_never_fatal(redis_server):
    leader, follower = RedisHub(redis_server.url, TEAM), RedisHub(redis_server.url, TEAM)
    await leader.start()
    await follower.start()
    client = raw_client(redis_server)
    try:
        assert await leader.lead("L")
        assert await leader.publish("L", [record("batch_good")], {"ok": True})
        await leader.resign("L")
        plant_garbage(client, TEAM)

        assert await follower.leader() is None
        assert await follower.lead("F")  # the garbage leader key did not block it
        records, status, cursor = await follower.read(0)
        assert [r.batch_id for r in records] == ["batch_good"] and status is None
        assert [m.id for m in await follower.beat(member("F"))] == ["F"]
        assert await follower.requests_since(0) == []
        assert await follower.refresh_asks() == 0
        assert follower.skipped >= 8
        # Counted once: the garbage was removed, nothing new is skipped the second time.
        counted = follower.skipped
        await follower.read(0)
        await follower.beat(member("F"))
        await follower.requests_since(0)
        assert follower.skipped == counted
        # The team goes on.
        assert await follower.publish("F", [record("batch_new")], {"ok": 2})
        records, status, _ = await leader.read(cursor)
        assert [r.batch_id for r in records] == ["batch_new"] and status == {"ok": 2}
        await leader.ask_refresh()
        assert await follower.refresh_asks() == 1
    finally:
        await leader.close()
        await follower.close()


async def test_keys_of_the_wrong_type_are_dropped_not_fatal(redis_server):
    hub = RedisHub(redis_server.url, TEAM)
    await hub.start()
    client = raw_client(redis_server)
    ns = f"batch-tui:{TEAM}:"
    try:
        for name in ("leader", "seq", "status", "refresh"):
            client.rpush(ns + name, "x")
        for name in ("records", "order", "members", "alive", "ledger"):
            client.set(ns + name, "x")
        assert await hub.leader() is None
        assert await hub.lead("L")
        assert await hub.publish("L", [record("batch_1")], {"s": 1})
        assert [r.batch_id for r in (await hub.read(0))[0]] == ["batch_1"]
        assert [m.id for m in await hub.beat(member("L"))] == ["L"]
        await hub.record_requests("L", [time.time()])
        assert len(await hub.requests_since(0)) == 1
        await hub.ask_refresh()
        assert await hub.refresh_asks() == 1
    finally:
        await hub.close()


async def test_the_api_key_never_reaches_redis_and_every_key_expires(redis_server):
    hub = RedisHub(redis_server.url, team_name(BASE_URL, TEST_KEY))
    await hub.start()
    try:
        await hub.beat(member("a"))
        assert await hub.lead("a")
        assert await hub.publish("a", [record("batch_1")], {"requests": 3})
        await hub.record_requests("a", [time.time()])
        await hub.ask_refresh()
    finally:
        await hub.close()
    await hub.start()  # the lease and membership are let go on close; look at the rest
    await hub.beat(member("b"))
    await hub.lead("b")
    client = raw_client(redis_server)
    keys = list(client.scan_iter(match="*", count=1000))
    assert len(keys) >= 8
    everything = b""
    for key in keys:
        kind = client.type(key)
        everything += key
        if kind == b"string":
            everything += client.get(key)
        elif kind == b"hash":
            everything += b"".join(k + v for k, v in client.hgetall(key).items())
        elif kind == b"zset":
            everything += b"".join(m for m, _ in client.zrange(key, 0, -1, withscores=True))
        ttl = client.ttl(key)
        assert 0 < ttl <= TEAM_TTL, key
        assert key.startswith(f"batch-tui:{hub._ns.split(':')[1]}:".encode())
    assert TEST_KEY.encode() not in everything
    assert TEST_KEY[4:].encode() not in everything
    await hub.close()


async def test_the_team_reforms_after_redis_restarts_empty(redis_server, restart_redis):
    leader, follower = RedisHub(redis_server.url, TEAM), RedisHub(redis_server.url, TEAM)
    await leader.start()
    await follower.start()
    client = raw_client(redis_server)
    try:
        await leader.beat(member("L"))
        assert await leader.lead("L")
        assert await leader.publish("L", [record("batch_1", 3)], {"round": 1})
        await leader.ask_refresh()
        await leader.ask_refresh()
        asks = await leader.refresh_asks()
        _, _, cursor = await follower.read(0)
        await follower.wait(0)  # it has seen everything so far

        restart_redis()

        deadline = time.monotonic() + 5
        while True:  # the first command may meet the old, dead connection
            try:
                if await leader.lead("L"):
                    break
            except HubUnavailable:
                pass
            assert time.monotonic() < deadline, "the leader never took the lease again"
            await asyncio.sleep(0.05)
        assert [m.id for m in await follower.beat(member("F"))] == ["F"]
        # Both subscribed again before the leader writes (the hubs did it by themselves).
        channel = f"batch-tui:{TEAM}:changes"
        while client.pubsub_numsub(channel)[0][1] < 2:
            assert time.monotonic() < deadline, "the hubs never subscribed again"
            await asyncio.sleep(0.02)
        # Messages may have been missed while the server was away: the follower is
        # woken to look, with no publish at all.
        await within(0.5, follower.wait(5))
        waiting = asyncio.create_task(follower.wait(5))
        await asyncio.sleep(0)
        assert await leader.publish("L", [record("batch_1", 4)], {"round": 2})
        assert await within(0.5, waiting) < 0.5
        # The follower's old cursor still finds what was written after the restart.
        records, status, _ = await follower.read(cursor)
        assert [(r.batch_id, r.batch["completed"]) for r in records] == [("batch_1", 4)]
        assert status == {"round": 2}
        # A refresh asked after the restart still counts as new for the leader.
        await follower.ask_refresh()
        assert await leader.refresh_asks() > asks
    finally:
        await leader.close()
        await follower.close()


async def test_a_lost_server_makes_every_call_fail_fast_and_the_hub_recovers(redis_server):
    hub = RedisHub(redis_server.url, TEAM)
    await hub.start()
    try:
        assert await hub.lead("L")
        redis_server.stop()
        for call in (hub.lead("L"), hub.beat(member("L")), hub.read(0), hub.requests_since(0)):
            with pytest.raises(HubUnavailable) as caught:
                await within(2, call)
            assert "\n" not in str(caught.value) and "127.0.0.1" in str(caught.value)
        redis_server.start()
        assert await hub.lead("L")
        assert await hub.publish("L", [record("batch_1")], {})
    finally:
        await hub.close()


async def test_an_unreachable_hub_fails_at_start_quickly_without_the_password():
    port = free_port()
    hub = RedisHub(f"redis://batch:s3cret-pw@127.0.0.1:{port}/0", TEAM)
    started = time.monotonic()
    with pytest.raises(HubUnavailable) as caught:
        await hub.start()
    assert time.monotonic() - started <= 2
    message = str(caught.value)
    assert "\n" not in message and "s3cret-pw" not in message
    assert message.startswith(f"hub: 127.0.0.1:{port} ")
    with pytest.raises(HubUnavailable):
        await hub.beat(member("a"))  # never started: still a clean refusal
    await hub.close()


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("redis://redis-1:6379/0", "hub: redis-1:6379"),
        ("redis://redis-1/0", "hub: redis-1:6379"),
        ("rediss://ops:pa55word@cache.example.test:6380/2", "hub: cache.example.test:6380"),
        ("redis://:pa55word@[::1]:7000", "hub: [::1]:7000"),
    ],
)
def test_the_label_names_host_and_port_never_the_password(url, label):
    assert RedisHub(url, TEAM).label == label


@pytest.mark.parametrize("url", ["http://redis-1:6379", "redis://", "redis://h:notaport/0"])
def test_a_url_that_is_not_a_redis_url_is_refused_in_one_line(url):
    with pytest.raises(HubUnavailable) as caught:
        RedisHub(url, TEAM)
    assert "\n" not in str(caught.value)


async def test_a_follower_whose_cursor_is_ahead_of_the_hub_starts_over(redis_server):
    """A cursor beyond the hub's last sequence number (a server restarted with its
    clock set back) is from another life of the hub: the follower reads everything."""
    leader, follower = RedisHub(redis_server.url, TEAM), RedisHub(redis_server.url, TEAM)
    await leader.start()
    await follower.start()
    try:
        assert await leader.lead("L")
        assert await leader.publish("L", [record("batch_1")], {})
        _, _, cursor = await follower.read(0)
        raw_client(redis_server).set(f"batch-tui:{TEAM}:seq", 5)
        assert await leader.publish("L", [record("batch_2")], {})
        records, _, new_cursor = await follower.read(cursor)
        assert sorted(r.batch_id for r in records) == ["batch_1", "batch_2"]
        assert new_cursor < cursor and (await follower.read(new_cursor))[0] == []
    finally:
        await leader.close()
        await follower.close()


async def test_a_hub_over_tls_works_and_an_untrusted_certificate_is_refused(make_redis_server):
    server = make_redis_server(tls=True)
    leader, follower = RedisHub(server.url, TEAM), RedisHub(server.url, TEAM)
    assert leader.label == f"hub: 127.0.0.1:{server.port}"
    await leader.start()
    await follower.start()
    try:
        assert await leader.lead("L")
        waiting = asyncio.create_task(follower.wait(5))
        await asyncio.sleep(0)
        assert await leader.publish("L", [record("batch_1")], {"tls": True})
        assert await within(0.5, waiting) < 0.5
        records, status, _ = await follower.read(0)
        assert [r.batch_id for r in records] == ["batch_1"] and status == {"tls": True}
    finally:
        await leader.close()
        await follower.close()
    # Without the authority that signed the server's certificate: refused, in one line.
    untrusted = RedisHub(f"rediss://127.0.0.1:{server.port}/0", TEAM)
    started = time.monotonic()
    with pytest.raises(HubUnavailable) as caught:
        await untrusted.start()
    assert time.monotonic() - started <= 2
    assert "\n" not in str(caught.value) and "certificate" in str(caught.value).lower()


async def test_a_password_protected_hub_logs_in_and_a_wrong_password_is_not_shown(
    make_redis_server,
):
    server = make_redis_server(password="right-pw-123")
    hub = RedisHub(server.url, TEAM)
    assert "right-pw-123" not in hub.label
    await hub.start()
    try:
        assert await hub.lead("L")
    finally:
        await hub.close()
    wrong = RedisHub(f"redis://default:wr%40ng-pw-456@127.0.0.1:{server.port}/0", TEAM)
    with pytest.raises(HubUnavailable) as caught:
        await wrong.start()
    message = str(caught.value)
    assert "\n" not in message and "wr%40ng-pw-456" not in message and "wr@ng-pw-456" not in message
    assert message.startswith(f"hub: 127.0.0.1:{server.port} ")


async def test_a_server_that_accepts_but_never_answers_fails_the_start_quickly():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections are accepted by the kernel, never answered
        port = silent.getsockname()[1]
        hub = RedisHub(f"redis://127.0.0.1:{port}/0", TEAM)
        # The hub gives up after START_TIMEOUT; the bound is far above it, for a loaded
        # machine (four test workers): what fails here is a start that waits for the
        # silent server (minutes, the system's own TCP timeouts), not a slow one.
        with pytest.raises(HubUnavailable) as caught:
            await asyncio.wait_for(hub.start(), 10 * START_TIMEOUT)
        assert "\n" not in str(caught.value)


async def test_a_redis_user_limited_to_the_batch_tui_namespace_is_enough(redis_server):
    """The ACL the README suggests for a shared Redis: batch-tui's keys and channels
    only, no dangerous commands."""
    raw_client(redis_server).execute_command(
        "ACL", "SETUSER", "batch-tui", "on", ">team-pw", "~batch-tui:*", "&batch-tui:*",
        "+@all", "-@dangerous",
    )
    url = f"redis://batch-tui:team-pw@127.0.0.1:{redis_server.port}/0"
    leader, follower = RedisHub(url, TEAM), RedisHub(url, TEAM)
    await leader.start()
    await follower.start()
    try:
        await leader.beat(member("L"))
        assert await leader.lead("L")
        waiting = asyncio.create_task(follower.wait(5))
        await asyncio.sleep(0)
        assert await leader.publish("L", [record("batch_1")], {"ok": 1})
        assert await within(0.5, waiting) < 0.5
        assert [r.batch_id for r in (await follower.read(0))[0]] == ["batch_1"]
        await follower.record_requests("F", [time.time()])
        assert len(await leader.requests_since(0)) == 1
        await follower.ask_refresh()
        assert await leader.refresh_asks() == 1
        await leader.resign("L")
        await leader.leave("L")
    finally:
        await leader.close()
        await follower.close()
    # Outside the namespace the same user can do nothing.
    import redis

    limited = redis.Redis.from_url(url)
    with pytest.raises(redis.exceptions.NoPermissionError):
        limited.set("somebody-else:key", "x")


# A leader in its own process: publishes and renews every 50 ms, says what it got.
FROZEN_LEADER = """
import asyncio, sys
from batch_tui.hub import Record
from batch_tui.hub.redis import RedisHub

async def main(url, team):
    hub = RedisHub(url, team, lease=0.5)
    await hub.start()
    n = 0
    while True:
        n += 1
        batch = {"id": "batch_1", "status": "processing", "completed": n, "total": 1000}
        ok = await hub.publish("child", [Record(batch, 0.0)], {"by": "child"})
        led = await hub.lead("child")
        print(f"publish {ok} lead {led}", flush=True)
        await asyncio.sleep(0.05)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_a_leader_process_stopped_past_its_lease_is_refused_when_resumed(redis_server):
    """SIGSTOP a leading process: another takes the lapsed lease; resumed (SIGCONT),
    the old leader's writes are refused and it no longer leads."""
    import signal
    import sys

    me = RedisHub(redis_server.url, TEAM, lease=0.5)
    await me.start()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FROZEN_LEADER, redis_server.url, TEAM,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        # The child takes the lease on its first round (lead after a refused publish).
        while True:
            line = (await asyncio.wait_for(child.stdout.readline(), 20)).decode()
            if line.startswith("publish True lead True"):
                break
        child.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while not await me.lead("me"):
            assert time.monotonic() < deadline, "the stopped leader's lease never lapsed"
            await asyncio.sleep(0.02)
        done = {"id": "batch_1", "status": "completed", "completed": 1000, "total": 1000}
        assert await me.publish("me", [Record(done, 1.0)], {"by": "me"})
        child.send_signal(signal.SIGCONT)
        # Lines printed before the stop may still wait in the pipe; from the first
        # refusal on, every round is refused.
        refused = 0
        while refused < 3:
            assert await me.lead("me")  # keep renewing while the child runs again
            line = (await asyncio.wait_for(child.stdout.readline(), 5)).decode().strip()
            if refused or line != "publish True lead True":
                assert line == "publish False lead False"
                refused += 1
        records, status, _ = await me.read(0)
        assert [r.batch["completed"] for r in records] == [1000] and status == {"by": "me"}
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGCONT)
            child.kill()
            await child.wait()
        await me.close()


def test_the_redis_package_is_loaded_only_when_a_hub_starts():
    import subprocess
    import sys

    code = "import sys, batch_tui.hub.redis\nprint('redis' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


async def test_without_the_redis_package_the_hub_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "redis.asyncio", None)  # import fails as if missing
    hub = RedisHub("redis://127.0.0.1:6379/0", TEAM)
    with pytest.raises(HubUnavailable, match=r"pip install 'batch-tui\[hub\]'"):
        await hub.start()
