"""Profiles end to end in a real terminal: two demo-server processes, ``--profile`` and ``P``."""

from __future__ import annotations

import re
import sys

from terminal import clean_env

IDS = re.compile(r"batch_[0-9a-f]{12}")


def test_profile_flag_and_switcher_in_a_real_terminal(tmux, tmp_path, demo_process):
    alpha, beta = demo_process("--seed", "7"), demo_process("--seed", "99")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.alpha]\nbase_url = "{alpha}"\napi_key = "vfy_alpha"\ncolor = "green"\n'
        f'[profiles.beta]\nbase_url = "{beta}"\nkey_env = "BETA_KEY"\ncolor = "red"\n'
        "read_only = true\n"
    )
    config.chmod(0o600)
    env = {**clean_env(tmp_path), "BETA_KEY": "vfy_beta", "BATCH_TUI_STATE_DIR": str(tmp_path)}
    tmux.start(f"{sys.executable} -m batch_tui --config {config} --profile alpha", env)
    first = tmux.wait_for(lambda s: " alpha  ● connected" in s and len(IDS.findall(s)) >= 10)
    alpha_ids = set(IDS.findall(first))

    tmux.keys("P")
    picker = tmux.wait_for(lambda s: "Switch profile" in s)
    assert "● alpha" in picker and "read-only" in picker
    tmux.keys("j", "Enter")
    second = tmux.wait_for(lambda s: " beta  ● connected" in s and len(IDS.findall(s)) >= 10)
    assert not set(IDS.findall(second)) & alpha_ids  # the other organisation's batches only
    tmux.keys("q")
