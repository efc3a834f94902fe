"""The monitor's rows stay in list order (newest first, ties by id) however they arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from batch_tui.api.models import Batch
from batch_tui.monitor.fleet import Fleet
from batch_tui.monitor.snapshot import Snapshot

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def snapshot(n: int, minute: int | None) -> Snapshot:
    created = None if minute is None else T0 + timedelta(minutes=minute)
    return Snapshot(Batch(id=f"b{n:03d}", created_at=created), updated_at=0.0)


operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove"]),
        st.integers(0, 40),
        st.one_of(st.none(), st.integers(0, 10)),
    ),
    max_size=80,
)


@given(operations, st.integers(1, 5))
def test_rows_are_always_newest_first_with_ties_by_id(ops, batch):
    fleet = Fleet()
    expected: dict[str, Snapshot] = {}
    pending: list[Snapshot] = []
    for op, n, minute in ops:
        if op == "add":
            item = snapshot(n, minute)
            pending.append(item)
            expected[item.batch.id] = item
            if len(pending) >= batch:
                fleet.add_many(pending)
                pending = []
        else:
            fleet.add_many(pending)
            pending = []
            fleet.remove(f"b{n:03d}")
            expected.pop(f"b{n:03d}", None)
    fleet.add_many(pending)

    def key(item: Snapshot):
        created = item.batch.created_at
        return (created is None, -(created.timestamp() if created else 0), item.batch.id)

    assert list(fleet.snapshots) == [s.batch.id for s in sorted(expected.values(), key=key)]
