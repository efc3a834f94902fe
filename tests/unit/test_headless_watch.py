"""``batch-tui watch`` of several batches, ``--wait``, ``--timeout``, the rate limit, and
the running figures of ``status --json``.

Real HTTP to the demo server, whose simulation runs on the frozen test clock; the
watch's sleeps move that clock instead of waiting, so minutes of a batch's life
pass in milliseconds and every run is the same.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pytest

from batch_tui.demo.faults import Faults
from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.headless.status import run_status, run_watch
from batch_tui.settings.config import Settings
from helpers import EPOCH, TEST_KEY, cli_env, run_cli, soonest_to_finish

LINE = re.compile(r"^\d\d:\d\d:\d\d UTC  (\S+)  (\w+)  ")


def spec_named(simulator, name: str):
    """The story's batch with this name (ids come from the seed; names say what it is)."""
    return next(s for s in simulator.specs(EPOCH) if s.name == name)


def arrival(simulator):
    """The first batch the demo creates after the epoch (150 s later)."""
    known = {s.id for s in simulator.specs(EPOCH)}
    spec = next(s for s in simulator.specs(EPOCH + 150) if s.id not in known)
    assert spec.created == EPOCH + 150
    return spec


class Watch:
    """``run_watch`` against a demo server on the frozen clock: exit status and output."""

    def __init__(self, server: DemoServer, clock, capsys) -> None:
        self.server, self.clock, self.capsys = server, clock, capsys

    def __call__(self, *ids: str, interval: float = 5.0, exit_status: bool = True, **options):
        async def sleep(seconds: float) -> None:
            self.clock.advance(seconds)

        out = io.StringIO()
        settings = Settings(api_key=TEST_KEY, base_url=self.server.url, interval=interval, solo=True)
        code = run_watch(
            settings,
            ids,
            exit_status=exit_status,
            out=out,
            clock=self.clock,
            sleep=sleep,
            **options,
        )
        return code, out.getvalue().splitlines(), self.capsys.readouterr().err.splitlines()


@pytest.fixture
def watch(demo, clock, capsys) -> Watch:
    return Watch(demo, clock, capsys)


def record_requests(api: DemoApi, clock) -> list[tuple[float, bool]]:
    """Each request the server counts against its limit: when, and whether allowed."""
    sent: list[tuple[float, bool]] = []
    check = api.limiter.check

    def counted():
        verdict = check()
        sent.append((clock(), verdict.allowed))
        return verdict

    api.limiter.check = counted  # type: ignore[method-assign]
    return sent


def gets(demo_api: DemoApi, batch_id: str) -> int:
    return demo_api.request_log.count(("GET", f"/v1/batch/{batch_id}"))


# ── several batches ──────────────────────────────────────────────────────────


def test_several_batches_are_followed_to_the_end_with_the_worst_outcome(
    watch, simulator, clock, demo_api
):
    quick = spec_named(simulator, "Product descriptions QA")  # processing, done at +11 s
    doomed = spec_named(simulator, "Social posts triage")  # pending, fails validation at +68 s
    slow = spec_named(simulator, "Marketing copy check")  # pending, completed at +143 s
    code, lines, err = watch(quick.id, doomed.id, slow.id)
    assert code == 1  # failed is worse than completed
    # Every line names its batch, and each batch's lines run from now to its end.
    statuses = {quick.id: [], doomed.id: [], slow.id: []}
    for line in lines:
        batch_id, status = LINE.match(line).groups()
        statuses[batch_id].append(status)
    assert statuses[quick.id][0] == "processing" and statuses[quick.id][-1] == "completed"
    assert statuses[doomed.id][0] == "pending" and statuses[doomed.id][-1] == "failed"
    assert statuses[slow.id][0] == "pending" and statuses[slow.id][-1] == "completed"
    assert "processing" in statuses[slow.id]
    # Each ending is told on stderr once, the failed one with its reasons.
    finals = [line for line in err if not line.startswith(" ")]
    assert [line.split()[:2] for line in finals] == [
        [quick.id, "completed"],
        [doomed.id, "failed"],
        [slow.id, "completed"],
    ]
    assert any(line.startswith("  row ") for line in err)
    # It stopped once the last one finished, and a finished one was not asked for again.
    assert clock() - EPOCH <= 143 + 5
    assert gets(demo_api, quick.id) <= 11 / 5 + 2


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (["Earnings call claims"], 0),
        (["Earnings call claims", "Legal summaries"], 4),
        (["Legal summaries", "Support macros audit", "Earnings call claims"], 1),
    ],
)
def test_the_exit_status_of_several_finished_batches_is_the_worst(watch, simulator, names, code):
    ids = [spec_named(simulator, name).id for name in names]
    assert watch(*ids)[0] == code
    assert watch(*ids, exit_status=False)[0] == 0


def test_a_duplicate_id_is_watched_once_as_a_single_one(watch, simulator, demo_api):
    batch_id = spec_named(simulator, "Earnings call claims").id
    code, lines, err = watch(batch_id, batch_id, batch_id)
    assert code == 0
    assert len(lines) == 1 and batch_id not in lines[0]  # one batch: no label, as ever
    assert gets(demo_api, batch_id) == 1


def test_a_missing_id_among_several_is_named_at_once_and_the_others_still_watched(
    watch, simulator, clock
):
    running = soonest_to_finish(simulator, clock())
    for exit_status in (True, False):
        code, lines, err = watch("batch_missing", running.id, exit_status=exit_status)
        assert code == 3
        assert err[0] == "batch-tui: error: batch_missing: Batch not found"
        assert lines[-1].split()[2:4] == [running.id, "completed"]


def test_watch_of_several_on_the_command_line(tmp_path):
    """The real command: ids deduplicated, each line labelled, the worst outcome."""
    env = cli_env(tmp_path)
    fleet = json.loads(run_cli(["status", "--demo", "--json"], env, tmp_path).stdout)
    by_status = {b["status"]: b["id"] for b in fleet}
    ids = [by_status["completed"], by_status["cancelled"], by_status["completed"]]
    result = run_cli(["watch", "--demo", *ids, "--exit-status"], env, tmp_path)
    assert result.returncode == 4, result.stderr
    assert [line.split()[2:4] for line in result.stdout.splitlines()] == [
        [by_status["completed"], "completed"],
        [by_status["cancelled"], "cancelled"],
    ]
    failed = run_cli(["watch", "--demo", *ids, by_status["failed"], "--exit-status"], env, tmp_path)
    assert failed.returncode == 1
    waited = run_cli(
        ["watch", "--demo", "--wait", "batch_000000000000", "--timeout", "0.5"], env, tmp_path
    )
    assert waited.returncode == 5 and waited.stdout == ""
    assert waited.stderr.splitlines() == [
        "batch-tui: waiting for batch_000000000000 to be created",
        "batch-tui: timed out after 0.5 s: batch_000000000000 not found yet",
    ]


# ── --wait and --timeout ─────────────────────────────────────────────────────


def test_wait_follows_a_batch_the_server_creates_later(watch, simulator, clock, demo_api):
    spec = arrival(simulator)
    sent = record_requests(demo_api, clock)
    code, lines, err = watch(spec.id, wait=True, timeout=3600)
    assert code == 0
    assert err[0] == f"batch-tui: waiting for {spec.id} to be created"
    assert len(err) == 2 and err[1].startswith(f"{spec.id} completed at ")
    assert lines[0].split()[2] == "pending" and lines[-1].split()[2] == "completed"
    assert lines[0].startswith("10:02:30 UTC")  # seen at the first poll after its creation
    # Asked for once an interval while it did not exist: paced, not a busy loop.
    assert [at - EPOCH for at, _ in sent if at < spec.created] == list(range(0, 150, 5))
    assert clock() - spec.finishes_at < 5


def test_without_wait_a_batch_not_created_yet_is_an_error(watch, simulator, demo_api):
    spec = arrival(simulator)
    code, lines, err = watch(spec.id)
    assert (code, lines) == (3, [])
    assert err == [f"batch-tui: error: {spec.id}: Batch not found"]  # the id named, always
    assert gets(demo_api, spec.id) == 1


@pytest.mark.parametrize("exit_status", [True, False])
def test_wait_gives_up_at_the_timeout_with_its_own_exit_status(watch, clock, exit_status):
    code, lines, err = watch("batch_never_made", wait=True, timeout=60, exit_status=exit_status)
    assert code == 5 and lines == []
    assert err[-1] == "batch-tui: timed out after 60 s: batch_never_made not found yet"
    assert clock() == EPOCH + 60


def test_timeout_bounds_a_normal_watch_and_a_failure_outranks_it(watch, simulator, clock):
    slow = spec_named(simulator, "Article verification")  # processing until +411 s
    failed = spec_named(simulator, "Support macros audit")
    code, lines, err = watch(slow.id, timeout=120, exit_status=False)
    assert code == 5
    (line,) = err
    # Where it stood: its status and progress when last read.
    assert re.fullmatch(
        rf"batch-tui: timed out after 120 s: {slow.id} processing \S+/1,000 \(\d+%\)", line
    )
    assert lines[-1].split()[2] == "processing" and "ETA" in lines[-1]
    assert clock() == EPOCH + 120
    assert watch(slow.id, failed.id, timeout=60)[0] == 1


# ── the rate limit ───────────────────────────────────────────────────────────


def test_watch_stays_inside_the_rate_limit_however_short_the_interval(simulator, clock, capsys):
    api = DemoApi(simulator, rate_limit=20)
    sent = record_requests(api, clock)
    finished = ("completed", "failed", "cancelled")
    running = [s.id for s in simulator.specs() if simulator.state(s, EPOCH).status not in finished]
    with DemoServer(api) as server:
        code, lines, err = Watch(server, clock, capsys)(*running, interval=0.5, timeout=600)
    assert code == 1  # one failed validation
    # Every batch was followed to its end, each told once.
    assert sorted(line.split()[0] for line in err if not line.startswith(" ")) == sorted(running)
    assert not [line for line in err if "rate limited" in line]
    assert all(allowed for _, allowed in sent)
    per_minute: dict[int, int] = {}
    for at, _ in sent:
        per_minute[int(at // 60)] = per_minute.get(int(at // 60), 0) + 1
    # 20% of each minute is left to the organisation's other clients.
    assert max(per_minute.values()) <= 16
    # Each batch is asked for less often, rather than all of them in a burst at
    # the start of a minute and then nothing for the rest of it.
    times = [at for at, _ in sent if at >= EPOCH + 60]
    assert max(sum(1 for t in times if at <= t < at + 10) for at in times) <= 5
    assert len({LINE.match(line).group(1) for line in lines}) == len(running)


def test_a_429_holds_the_watch_and_it_carries_on(simulator, clock, capsys):
    api = DemoApi(simulator, rate_limit=0, faults=Faults.parse("429=3"))
    sent = record_requests(api, clock)
    quick = spec_named(simulator, "Product descriptions QA")
    with DemoServer(api) as server:
        code, lines, err = Watch(server, clock, capsys)(quick.id, interval=0.5)
    assert code == 0 and lines[-1].split()[2] == "completed"
    assert err[:3] == ["batch-tui: rate limited, waiting 1s"] * 3
    # Nothing is sent until the wait the server asked for is over.
    times = [at for at, _ in sent]
    assert [later - earlier for earlier, later in zip(times, times[1:4])] == [1, 1, 1]


# ── status --json: pace, ETA, projected cost ─────────────────────────────────


def status_json(demo, clock, capsys) -> list[dict]:
    out = io.StringIO()
    settings = Settings(api_key=TEST_KEY, base_url=demo.url, solo=True)
    assert run_status(settings, (), as_json=True, out=out, clock=clock) == 0
    return json.loads(out.getvalue())


def test_status_json_gives_pace_eta_and_projected_cost_of_running_batches(
    demo, simulator, clock, capsys
):
    clock.advance(30)
    rows = {row["id"]: row for row in status_json(demo, clock, capsys)}
    running = 0
    for spec in simulator.specs(clock()):
        row = rows[spec.id]
        figures = (row["paceItemsPerMinute"], row["etaSeconds"], row["projectedCostCents"])
        if row["status"] != "processing":
            assert figures == (None, None, None), row
            continue
        started = datetime.fromisoformat(row["startedAt"]).timestamp()
        if clock() - started < 60:
            continue  # too early to say: the next test
        running += 1
        # Items a minute since it started, and the time the rest takes at that pace.
        minutes = (clock() - started) / 60
        pace = row["processedItems"] / minutes
        assert row["paceItemsPerMinute"] == pytest.approx(pace, abs=0.01)
        left = row["totalItems"] - row["processedItems"]
        assert row["etaSeconds"] == pytest.approx(left / pace * 60, abs=1)
        # Sensible: about when the demo really finishes it (the average since the
        # start includes its validation, so it runs a little long).
        assert spec.finishes_at - clock() <= row["etaSeconds"] <= 1.3 * (spec.finishes_at - clock())
        projected = row["totalCostCents"] / row["processedItems"] * row["totalItems"]
        assert row["projectedCostCents"] == pytest.approx(projected, abs=0.01)
    assert running >= 3


def test_status_json_gives_no_pace_for_a_batch_under_a_minute_into_processing(
    demo, simulator, clock, capsys
):
    spec = arrival(simulator)
    clock.set(spec.processing_at + 30)
    row = next(row for row in status_json(demo, clock, capsys) if row["id"] == spec.id)
    assert row["status"] == "processing" and row["processedItems"] > 0
    assert row["paceItemsPerMinute"] is None and row["etaSeconds"] is None
    assert row["projectedCostCents"] > row["totalCostCents"]


# ── bad input ────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "args",
    [
        ["watch", "batch_a", "--timeout", "0"],
        ["watch", "batch_a", "--timeout", "-5"],
        ["watch", "batch_a", "--timeout", "soon"],
        ["watch", "batch_a", "--timeout", "inf"],
        ["watch"],
        ["watch", "--wait", "batch_a", ".."],
    ],
)
def test_bad_watch_arguments_are_one_line_and_exit_2(tmp_path, args):
    result = run_cli([*args, "--demo"], cli_env(tmp_path), tmp_path)
    assert result.returncode == 2, result
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


def test_a_watch_held_by_429s_says_rate_limited_not_not_found(simulator, clock, capsys):
    api = DemoApi(simulator, rate_limit=0, faults=Faults.parse("429=1000"))
    quick = spec_named(simulator, "Product descriptions QA")
    with DemoServer(api) as server:
        code, lines, err = Watch(server, clock, capsys)(quick.id, wait=True, timeout=10)
    assert code == 5 and lines == []
    assert err[0] == "batch-tui: rate limited, waiting 1s"
    assert err[-1] == f"batch-tui: timed out after 10 s: {quick.id} not read yet (rate limited)"
    assert not [line for line in err if "not found" in line]
