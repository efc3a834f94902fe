"""The demo server's ``stall`` fault tells one story: a batch it lists as processing
is also in ``?status=processing`` (and not in the status it really reached)."""

from __future__ import annotations

from helpers import soonest_to_finish


async def test_a_stalled_batch_is_in_its_frozen_status_sweep(client, clock, demo_api, simulator):
    demo_api.faults.stall_rate = 1.0
    spec = soonest_to_finish(simulator, clock())
    first = await client.list_batches(status="processing", limit=100)
    assert spec.id in {b.id for b in first.batches}  # first seen processing: frozen there

    clock.advance(spec.finishes_at - clock() + 5)  # really completed by now
    listed = {b.id: b.status for b in (await client.list_batches(limit=100)).batches}
    assert listed[spec.id] == "processing"
    swept = await client.list_batches(status="processing", limit=100)
    assert spec.id in {b.id for b in swept.batches}
    assert all(b.status == "processing" for b in swept.batches)
    assert swept.pagination.total == sum(1 for s in listed.values() if s == "processing")
    done = await client.list_batches(status="completed", limit=100)
    assert spec.id not in {b.id for b in done.batches}
    assert all(b.status == "completed" for b in done.batches)
