"""Where the dashboards of one organisation meet, so that exactly one of them polls.

A ``Hub`` holds what a team of batch-tui processes (dashboards, ``status``,
``watch``) watching the same service and organisation share: who is alive and
what interval each asked for, who leads (polls), the snapshots the leader
publishes, the requests every member sent (one ledger for the rate limit) and
requests for a refresh. Two kinds: ``LocalHub`` (files beside the local store,
one host) and ``RedisHub`` (a Redis server, many hosts). Neither knows the API
key: a team is named by a hash of the base URL and the key.
"""

from batch_tui.hub.base import (
    LEASE,
    LIVE_FOR,
    Hub,
    HubUnavailable,
    Member,
    Record,
    team_name,
)

__all__ = ["LEASE", "LIVE_FOR", "Hub", "HubUnavailable", "Member", "Record", "team_name"]
