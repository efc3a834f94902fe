"""A team member in a process of its own, for the tests that freeze or kill one.

``python team_member.py BASE_URL KEY (local DIR | redis URL)``: runs a real monitor
in the organisation's team and prints ``leading`` or ``following`` (flushed) each
time its role changes, until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
import time

from batch_tui.api.client import CheckClient
from batch_tui.hub import team_name
from batch_tui.monitor.monitor import BatchMonitor
from batch_tui.monitor.team import Team


def make_hub(kind: str, where: str, team: str):
    if kind == "local":
        from pathlib import Path

        from batch_tui.hub.local import LocalHub

        return LocalHub(Path(where), team)
    from batch_tui.hub.redis import RedisHub

    return RedisHub(where, team)


async def main(base_url: str, key: str, kind: str, where: str) -> None:
    hub = make_hub(kind, where, team_name(base_url, key))
    team = Team(hub, kind="dashboard", interval=1.0, clock=time.time)
    monitor = BatchMonitor(CheckClient(base_url, key), interval=1.0, team=team)
    said = None

    def on_change(_change) -> None:
        nonlocal said
        role = "leading" if team.leading else "following" if team.leader else None
        if role is not None and role != said:
            said = role
            print(role, flush=True)

    monitor.on_change = on_change
    await monitor.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
