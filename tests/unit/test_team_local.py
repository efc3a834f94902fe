"""One poller per organisation on one host: monitors sharing a ``LocalHub``.

Real parts: the loopback demo server, the SQLite team file and the ``flock`` lock
in a temporary directory. The monitors run their real loops; the team's heartbeats
run on the wall clock (liveness is real time), the batches on the frozen clock.
"""

from __future__ import annotations

import asyncio

import pytest

from batch_tui.hub.local import LocalHub
from batch_tui.monitor import team as team_module
from batch_tui.monitor.team import ALONE_BEAT, BEAT
from helpers import TEST_KEY, wait_until
from hubhelpers import leading, team_monitor


def member(demo, clock, directory, *, team="t1", interval=2.0, key=TEST_KEY):
    """A monitor in a team on this host (its files in ``directory``)."""
    return team_monitor(demo, clock, LocalHub(directory, team), interval=interval, key=key)


async def test_exactly_one_polls_and_the_other_draws_the_same_rows(demo, clock, tmp_path):
    async with member(demo, clock, tmp_path) as first, member(demo, clock, tmp_path) as second:
        await wait_until(lambda: leading(first) or leading(second))
        leader, follower = (first, second) if leading(first) else (second, first)
        await wait_until(lambda: follower.snapshots and set(follower.snapshots) == set(leader.snapshots))
        assert not leading(follower)
        assert follower.requests_sent == 0
        for batch_id, snapshot in leader.snapshots.items():
            assert follower.snapshots[batch_id].batch == snapshot.batch
        await wait_until(lambda: follower.status.team == "following: another dashboard polls")
        # It counts what the server has as the leader does (it lists nothing itself).
        await wait_until(lambda: follower.known_total == leader.known_total)
        assert follower.server_total == leader.server_total is not None
        await wait_until(lambda: leader.status.team == "polling for 2 dashboards")


async def test_a_follower_takes_over_when_the_leader_goes(demo, clock, tmp_path):
    async with member(demo, clock, tmp_path) as first:
        await wait_until(lambda: leading(first))
        async with member(demo, clock, tmp_path) as second:
            await wait_until(lambda: bool(second.snapshots))
            assert not leading(second)
            # Counted from before the takeover: the new leader's first poll may already
            # be out when the clock moves (its answer then plans the next from there).
            sent = second.requests_sent
            await first.aclose()
            await wait_until(lambda: leading(second), timeout=5)
            clock.advance(5)
            second.wake()
            await wait_until(lambda: second.requests_sent > sent)


async def test_a_follower_sees_what_changed_at_the_leader(demo, clock, tmp_path):
    async with member(demo, clock, tmp_path) as first, member(demo, clock, tmp_path) as second:
        await wait_until(lambda: leading(first) or leading(second))
        leader, follower = (first, second) if leading(first) else (second, first)
        await wait_until(lambda: bool(follower.snapshots) and set(follower.snapshots) == set(leader.snapshots))
        running = [i for i, s in leader.snapshots.items() if s.batch.status == "processing"]
        assert running
        before = {i: leader.snapshots[i].batch.processed_items for i in running}
        clock.advance(30)
        leader.wake()
        await wait_until(
            lambda: any(leader.snapshots[i].batch.processed_items != before[i] for i in running)
        )
        await wait_until(
            lambda: all(
                follower.snapshots[i].batch == leader.snapshots[i].batch for i in running
            )
        )
        assert follower.requests_sent == 0


async def test_refresh_on_a_follower_asks_the_leader(demo, clock, tmp_path):
    async with member(demo, clock, tmp_path) as first, member(demo, clock, tmp_path) as second:
        await wait_until(lambda: leading(first) or leading(second))
        leader, follower = (first, second) if leading(first) else (second, first)
        await wait_until(lambda: bool(follower.snapshots) and set(follower.snapshots) == set(leader.snapshots))
        await wait_until(lambda: leader.next_request() is None and not leader.busy)
        sent = leader.requests_sent
        follower.refresh()
        await wait_until(lambda: leader.requests_sent > sent)
        assert follower.requests_sent == 0


async def test_a_paused_leader_hands_polling_to_another(demo, clock, tmp_path):
    async with member(demo, clock, tmp_path) as first, member(demo, clock, tmp_path) as second:
        await wait_until(lambda: leading(first) or leading(second))
        leader, other = (first, second) if leading(first) else (second, first)
        leader.set_paused(True)
        await wait_until(lambda: leading(other) and not leading(leader), timeout=5)
        other.set_paused(True)
        await wait_until(lambda: not leading(other), timeout=5)
        assert not leading(leader)


async def test_the_leader_polls_at_the_shortest_interval_asked(demo, clock, tmp_path):
    async with member(demo, clock, tmp_path, interval=5.0) as first:
        await wait_until(lambda: leading(first))
        async with member(demo, clock, tmp_path, interval=1.0):
            await wait_until(lambda: first.scheduler.interval == 1.0, timeout=5)
        # The demanding member left: its interval stops counting within a few seconds.
        await wait_until(lambda: first.scheduler.interval == 5.0, timeout=10)


async def test_a_followers_own_requests_count_in_the_leaders_budget(demo, clock, tmp_path):
    async with member(demo, clock, tmp_path) as first, member(demo, clock, tmp_path) as second:
        await wait_until(lambda: leading(first) or leading(second))
        leader, follower = (first, second) if leading(first) else (second, first)
        await wait_until(lambda: bool(follower.snapshots) and set(follower.snapshots) == set(leader.snapshots))
        batch_id = next(iter(follower.snapshots))
        follower.highlight(batch_id)
        await wait_until(lambda: follower.requests_sent >= 1)
        # The follower's request reaches the ledger at its next beat, and the
        # leader's sliding minute at the leader's next.
        await wait_until(
            lambda: leader.budget.requests_last_minute(clock()) >= leader.requests_sent + 1,
            timeout=5,
        )


@pytest.mark.parametrize("other", [{"team": "another-org"}])
async def test_different_organisations_never_share(demo, clock, tmp_path, other):
    async with member(demo, clock, tmp_path) as first, member(demo, clock, tmp_path, **other) as second:
        await wait_until(lambda: leading(first) and leading(second), timeout=5)



async def test_a_script_reads_the_leaders_batches_and_asks_the_server_nothing(
    demo, clock, tmp_path, monkeypatch
):
    from batch_tui.headless.team_view import TeamReader
    from batch_tui.hub import team_name
    from batch_tui.settings.config import Settings

    monkeypatch.setenv("BATCH_TUI_STATE_DIR", str(tmp_path))
    settings = Settings(base_url=demo.url, api_key=TEST_KEY)
    assert await TeamReader.open(settings) is None  # nobody polls: ask the server
    team = team_name(demo.url, TEST_KEY)
    async with member(demo, clock, tmp_path / "store", team=team) as leader:
        await wait_until(lambda: leading(leader) and bool(leader.snapshots))
        await wait_until(lambda: leader.next_request() is None and not leader.busy)
        await wait_until(lambda: leader.team.team.caught_up)  # the last step is published
        asked = len(demo.api.request_log)
        reader = await TeamReader.open(settings)
        assert reader is not None
        try:
            assert set(reader.view.batches) == set(leader.snapshots)
        finally:
            await reader.close()
        assert len(demo.api.request_log) == asked
        assert await TeamReader.open(Settings(base_url=demo.url, api_key=TEST_KEY, direct=True)) is None


async def test_a_follower_that_scrolls_to_the_end_reads_older_history_itself(demo, clock, tmp_path):
    async with member(demo, clock, tmp_path) as first, member(demo, clock, tmp_path) as second:
        await wait_until(lambda: leading(first) or leading(second))
        leader, follower = (first, second) if leading(first) else (second, first)
        await wait_until(
            lambda: bool(follower.snapshots) and set(follower.snapshots) == set(leader.snapshots)
        )
        assert follower.status.history is not None  # it cannot know the rest yet
        follower.want_history(True)
        await wait_until(lambda: follower.status.history is None)
        assert 0 < follower.requests_sent <= 2
        assert not leading(follower)


async def test_store_clear_removes_a_team_file_only_when_no_dashboard_uses_it(demo, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from batch_tui.hub import team_name
    from batch_tui.store.admin import clear_stores

    team = team_name(demo.url, TEST_KEY)
    member_script = Path(__file__).parents[1] / "team_member.py"
    dashboard = subprocess.Popen(
        [sys.executable, str(member_script), demo.url, TEST_KEY, "local", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert dashboard.stdout is not None
        assert dashboard.stdout.readline().strip() == "leading"
        (tmp_path / "team-notes.db").write_text("someone else's")  # not ours by its name
        said = clear_stores(tmp_path)
        assert "in use" in said and (tmp_path / f"team-{team}.db").exists()
    finally:
        dashboard.kill()
        dashboard.wait()
    said = clear_stores(tmp_path)
    assert f"team-{team}.db" in said and f"team-{team}.lock" in said
    assert not (tmp_path / f"team-{team}.db").exists()
    assert not (tmp_path / f"team-{team}.lock").exists()
    assert (tmp_path / "team-notes.db").read_text() == "someone else's"


async def test_status_and_watch_read_the_leaders_view_and_ask_the_server_nothing(
    demo, clock, tmp_path
):
    import os
    import subprocess
    import sys

    from batch_tui.hub import team_name

    env = {k: v for k, v in os.environ.items() if k != "BATCH_TUI_SOLO"}
    env.update(BATCH_TUI_STATE_DIR=str(tmp_path), CHECK_API_KEY=TEST_KEY)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "batch_tui", *args, "--base-url", demo.url],
            env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )

    team = team_name(demo.url, TEST_KEY)
    async with member(demo, clock, tmp_path / "store", team=team) as leader:
        await wait_until(lambda: leading(leader) and bool(leader.snapshots))
        await wait_until(lambda: leader.next_request() is None and not leader.busy)
        finished = next(i for i, s in leader.snapshots.items() if s.batch.status == "completed")
        await wait_until(lambda: leader.team.team.caught_up)  # the last step is published
        asked = len(demo.api.request_log)
        shown = await asyncio.to_thread(cli, "status")
        assert shown.returncode == 0, shown.stderr
        assert "read from the team's poller (this host): no request sent" in shown.stderr
        for batch_id, snapshot in leader.snapshots.items():
            if not snapshot.batch.is_terminal:
                assert batch_id in shown.stdout
        watched = await asyncio.to_thread(cli, "watch", finished)
        assert watched.returncode == 0, watched.stderr
        assert "completed" in watched.stdout + watched.stderr
        assert len(demo.api.request_log) == asked
        direct = await asyncio.to_thread(cli, "status", "--direct")
        assert direct.returncode == 0 and len(demo.api.request_log) > asked


async def test_a_leader_alone_beats_slowly_and_quickens_when_another_joins(demo, clock, tmp_path):
    """An idle dashboard on its own should cost what a clock costs: with nobody to
    serve and its leadership a lock the kernel holds, it beats every 4 s, not every
    0.5 s; a member that joins makes it beat at the team's pace again."""
    async with member(demo, clock, tmp_path) as first:
        await wait_until(lambda: leading(first))
        team = first.team.team
        await wait_until(lambda: team._beat_every() == ALONE_BEAT)
        async with member(demo, clock, tmp_path):
            await wait_until(lambda: len(team.members) == 2, timeout=10)
            assert team._beat_every() == BEAT


async def test_a_leader_alone_sees_a_member_join_by_looking_not_at_its_slow_beat(
    demo, clock, tmp_path, monkeypatch
):
    """Between its slow beats a leader alone only looks whether anyone wrote to the team
    file, without a trip to it: a member that joins is seen at the next look, however
    far off the next beat is."""
    monkeypatch.setattr(team_module, "ALONE_BEAT", 3600.0)
    async with member(demo, clock, tmp_path) as first:
        await wait_until(lambda: leading(first))
        team = first.team.team
        await wait_until(lambda: team._beat_every() == team_module.ALONE_BEAT)
        beats = team._beats
        async with member(demo, clock, tmp_path) as second:
            await wait_until(lambda: len(team.members) == 2, timeout=4 * team_module.ALONE_LOOK)
            assert team._beats > beats and team._beat_every() == BEAT
            await wait_until(lambda: second.team.team.leader is not None)


class CountingHub(LocalHub):
    """The real team file, counting the trips to its worker thread."""

    trips = 0

    async def _run(self, action):
        self.trips += 1
        return await super()._run(action)


async def test_a_leader_alone_goes_to_the_team_file_once_a_beat_however_often_it_polls(
    demo, clock, tmp_path
):
    """Each trip to the team file wakes two threads: a leader nobody reads takes its
    heartbeat, its ledger and its news there together, once a beat, not at every poll."""
    hub = CountingHub(tmp_path, "t1")
    async with team_monitor(demo, clock, hub) as first:
        await wait_until(lambda: leading(first) and first.status.last_success is not None)
        team = first.team.team
        assert team._beat_every() == ALONE_BEAT
        beats, trips, sent = team._beats, hub.trips, first.requests_sent
        while team._beats < beats + 2:
            clock.advance(30)  # the list is due again
            first.wake()
            await wait_until(lambda: first.status.last_success == clock())
        assert first.requests_sent - sent >= 4  # it polled between the beats...
        assert hub.trips - trips <= team._beats - beats + 1  # ...and went there once a beat
        # What it polled was published at the beat: a member that joins reads it.
        await wait_until(lambda: team._beats >= beats + 3)
        async with member(demo, clock, tmp_path) as second:
            await wait_until(lambda: set(second.snapshots) == set(first.snapshots))
            for batch_id, snapshot in first.snapshots.items():
                assert second.snapshots[batch_id].batch == snapshot.batch
