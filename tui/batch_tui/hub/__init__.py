"""Where the dashboards of one organisation meet, so that exactly one of them polls.

A ``Hub`` holds what a team of batch-tui processes (dashboards, ``status``,
``watch``) watching the same service and organisation share: who is alive and
what interval each asked for, who leads (polls), the snapshots the leader
publishes, the requests every member sent (one ledger for the rate limit) and
requests for a refresh. Two kinds: ``LocalHub`` (files beside the local store,
one host) and ``RedisHub`` (a Redis server, many hosts). Neither knows the API
key: a team is named by a hash of the base URL and the key.
"""

from pathlib import Path

from batch_tui.hub.base import (
    LEASE,
    LIVE_FOR,
    Hub,
    HubUnavailable,
    Member,
    Record,
    team_name,
)

__all__ = [
    "LEASE",
    "LIVE_FOR",
    "Hub",
    "HubUnavailable",
    "Member",
    "Record",
    "make_hub",
    "team_name",
]


def make_hub(base_url: str, api_key: str, hub_url: str | None, directory: Path) -> Hub:
    """Where this organisation's team meets: the Redis hub at ``hub_url`` when one is
    set, else files in ``directory`` (the local store's, one host). Raises
    ``HubUnavailable`` for a hub URL that cannot be used."""
    team = team_name(base_url, api_key)
    if hub_url is None:
        from batch_tui.hub.local import LocalHub

        return LocalHub(directory, team)
    from batch_tui.hub.redis import RedisHub

    return RedisHub(hub_url, team)
