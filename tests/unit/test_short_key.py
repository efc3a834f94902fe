"""A short API key (``CHECK_API_KEY=k``, fine for the demo) is no secret to hide:
redacting it would cut every "k" out of what the server says."""

from __future__ import annotations

import json

from batch_tui.api.client import CheckClient
from hostile_server import HostileServer, json_response

BATCH = {"id": "batch_k1", "name": "Marketing contacts", "status": "processing"}


async def fetched_name(key: str, name: str) -> str | None:
    with HostileServer(json_response(json.dumps({**BATCH, "name": name}))) as server:
        async with CheckClient(server.url, key) as client:
            return (await client.get_batch("batch_k1")).name


async def test_a_one_letter_key_leaves_server_text_whole():
    assert await fetched_name("k", "Marketing contacts") == "Marketing contacts"


async def test_a_key_long_enough_to_be_a_secret_is_still_redacted():
    assert await fetched_name("vfy_k3y!", "for vfy_k3y!") == "for <redacted>"
