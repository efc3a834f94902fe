"""The contract every team hub keeps (``batch_tui.hub.base.Hub``): members and their
liveness, one leader, records published and read with cursors, wake-ups, the shared
request ledger, refresh asks, teams kept apart.

Every test takes ``make_hub(team, clock=...)``, which returns started hubs of the kind
the fixture is parametrized with (a real redis-server for ``redis``): another kind
of hub runs the same tests by adding a parameter to the fixture.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from batch_tui.hub import LIVE_FOR
from batch_tui.hub.local import LocalHub
from batch_tui.hub.redis import RedisHub
from hubhelpers import OTHER_TEAM, TEAM, member, record, within


@pytest.fixture(params=["redis", "local"])
async def make_hub(request, tmp_path):
    """``await make_hub(team, clock=...)``: a started hub of the parametrized kind; all
    are closed after the test."""
    hubs = []
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")

        def build(team, clock):
            return RedisHub(server.url, team, clock=clock)

    else:

        def build(team, clock):
            return LocalHub(tmp_path, team, clock=clock)

    async def make(team: str = TEAM, *, clock=time.time):
        hub = build(team, clock)
        await hub.start()
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        await hub.close()








async def test_beat_lists_the_live_members_and_a_silent_one_drops_out(make_hub, clock):
    a, b = await make_hub(clock=clock), await make_hub(clock=clock)
    await a.beat(member("a", interval=5))
    live = await b.beat(member("b", interval=2))
    assert {(m.id, m.interval) for m in live} == {("a", 5.0), ("b", 2.0)}
    clock.advance(LIVE_FOR - 1)
    await b.beat(member("b"))
    clock.advance(2)  # a's last beat is now older than LIVE_FOR, b's is not
    assert [m.id for m in await b.beat(member("b"))] == ["b"]
    assert [m.id for m in await a.beat(member("a"))] == ["a", "b"]


async def test_a_member_that_leaves_no_longer_counts(make_hub, clock):
    a, b = await make_hub(clock=clock), await make_hub(clock=clock)
    await a.beat(member("a"))
    await b.beat(member("b"))
    await a.leave("a")
    assert [m.id for m in await b.beat(member("b"))] == ["b"]


async def test_exactly_one_of_two_hubs_leads(make_hub):
    a, b = await make_hub(), await make_hub()
    results = await asyncio.gather(a.lead("a"), b.lead("b"))
    assert sorted(results) == [False, True]
    winner = "a" if results[0] else "b"
    assert await a.leader() == await b.leader() == winner
    # Asking again changes nothing: the holder keeps it, the other still does not get it.
    assert await a.lead("a") is (winner == "a")
    assert await b.lead("b") is (winner == "b")


async def test_resigning_hands_the_leadership_to_whoever_asks_next(make_hub):
    a, b = await make_hub(), await make_hub()
    assert await a.lead("a")
    await b.resign("b")  # not b's to give up: nothing happens
    assert await b.leader() == "a" and not await b.lead("b")
    await a.resign("a")
    assert await b.leader() is None
    assert await b.lead("b") and await a.leader() == "b"


async def test_closing_a_hub_lets_go_of_its_leadership_and_membership(make_hub, clock):
    a, b = await make_hub(clock=clock), await make_hub(clock=clock)
    await a.beat(member("a"))
    assert await a.lead("a")
    await a.close()
    await a.close()  # twice is fine
    assert await b.leader() is None
    assert [m.id for m in await b.beat(member("b"))] == ["b"]


async def test_followers_read_what_the_leader_published_and_only_what_changed(make_hub):
    leader, follower = await make_hub(), await make_hub()
    assert await leader.lead("L")
    assert await leader.publish("L", [record("batch_1"), record("batch_2")], {"polls": 1})
    records, status, cursor = await follower.read(0)
    assert {r.batch_id for r in records} == {"batch_1", "batch_2"}
    assert status == {"polls": 1}
    assert (await follower.read(cursor))[0] == []
    assert await leader.publish("L", [record("batch_1"), record("batch_2", 5)], {"polls": 2})
    records, status, cursor2 = await follower.read(cursor)
    assert [(r.batch_id, r.batch["completed"]) for r in records] == [("batch_2", 5)]
    assert status == {"polls": 2} and cursor2 > cursor
    # A newcomer (cursor 0) sees every record's latest state.
    records, _, _ = await (await make_hub()).read(0)
    assert sorted((r.batch_id, r.batch["completed"]) for r in records) == [
        ("batch_1", 0),
        ("batch_2", 5),
    ]


async def test_only_the_leader_can_publish(make_hub):
    leader, follower = await make_hub(), await make_hub()
    assert await leader.lead("L") and not await follower.lead("F")
    assert not await follower.publish("F", [record("batch_x")], {"who": "F"})
    records, status, _ = await leader.read(0)
    assert records == [] and status is None


async def test_wait_wakes_when_another_hub_publishes_and_otherwise_times_out(make_hub):
    leader, follower = await make_hub(), await make_hub()
    assert await leader.lead("L")
    started = time.monotonic()
    await follower.wait(0.3)
    assert time.monotonic() - started >= 0.29
    waiting = asyncio.create_task(follower.wait(5))
    await asyncio.sleep(0)  # the follower is waiting before the leader writes
    published = time.monotonic()
    assert await leader.publish("L", [record("batch_1")], {})
    await asyncio.wait_for(waiting, 5)
    assert time.monotonic() - published < 0.5


async def test_the_ledger_counts_every_members_requests(make_hub, clock):
    a, b = await make_hub(clock=clock), await make_hub(clock=clock)
    now = clock()
    await a.record_requests("a", [now - 30, now - 10, now - 10])  # two at the same instant
    await b.record_requests("b", [now - 20])
    assert await b.requests_since(now - 60) == [now - 30, now - 20, now - 10, now - 10]
    assert await b.requests_since(now - 60, exclude="b") == [now - 30, now - 10, now - 10]
    assert await a.requests_since(now - 60, exclude="a") == [now - 20]
    assert await a.requests_since(now - 15) == [now - 10, now - 10]


async def test_a_refresh_asked_by_a_follower_reaches_the_leader(make_hub):
    leader, follower = await make_hub(), await make_hub()
    before = await leader.refresh_asks()
    waiting = asyncio.create_task(leader.wait(5))
    await asyncio.sleep(0)
    await follower.ask_refresh()
    assert await within(0.5, waiting) < 0.5
    assert await leader.refresh_asks() == before + 1


async def test_a_leaders_round_beats_counts_publishes_and_reads_asks_at_once(make_hub, clock):
    leader, follower = await make_hub(clock=clock), await make_hub(clock=clock)
    now = clock()
    await follower.beat(member("F"))
    await follower.record_requests("F", [now - 5])
    await follower.ask_refresh()
    assert await leader.lead("L")
    done = await leader.lead_round(
        member("L"),
        beat=True,
        sent=[now - 1],
        since=now - 60,
        records=[record("batch_1", 3)],
        status={"polls": 7},
    )
    assert done.still_leading
    assert {m.id for m in done.members} == {"L", "F"}
    assert done.others == [now - 5]  # its own request is not among the others'
    assert done.refresh_asks == 1
    records, status, _ = await follower.read(0)
    assert [(r.batch_id, r.batch["completed"]) for r in records] == [("batch_1", 3)]
    assert status == {"polls": 7}
    assert await follower.requests_since(now - 60, exclude="F") == [now - 1]
    # Between beats: nothing but the publish and the counter.
    quiet = await leader.lead_round(
        member("L"), beat=False, sent=[], since=None, records=None, status={}
    )
    assert quiet.members is None and quiet.others is None and quiet.still_leading
    # A member that does not lead publishes nothing, and is told so.
    refused = await follower.lead_round(
        member("F"), beat=False, sent=[], since=None, records=[record("batch_x")], status={}
    )
    assert not refused.still_leading
    assert "batch_x" not in {r.batch_id for r in (await leader.read(0))[0]}


async def test_different_teams_never_see_each_others_data(make_hub, clock):
    mine, theirs = await make_hub(TEAM, clock=clock), await make_hub(OTHER_TEAM, clock=clock)
    await mine.beat(member("a"))
    assert await mine.lead("a")
    assert await mine.publish("a", [record("batch_1")], {"x": 1})
    await mine.record_requests("a", [clock()])
    await mine.ask_refresh()
    assert [m.id for m in await theirs.beat(member("b"))] == ["b"]
    assert await theirs.leader() is None and await theirs.lead("b")
    assert await theirs.read(0) == ([], None, 0)
    assert await theirs.requests_since(0) == []
    assert await theirs.refresh_asks() == 0
    started = time.monotonic()
    await theirs.wait(0.3)  # my publish never woke them
    assert time.monotonic() - started >= 0.29
