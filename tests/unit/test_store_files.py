"""Files of our own on a hostile host, against real files: `store --clear` removes only
what it can prove is a batch-tui store, asks first, and spares one in use; the store
and the watch list are private (0700/0600, whatever the umask), never written through
a planted symlink nor in another user's folder; a full disk is said, never hidden; an
empty store is not left behind for a server that never answered."""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from apphelpers import notifications, running, settled
from batch_tui.api.models import Batch
from batch_tui.integrations.watchlist import WatchList
from batch_tui.session import make_monitor
from batch_tui.settings.config import Settings
from batch_tui.store import Store, StoredBatch, store_path
from batch_tui.store.admin import clear_stores
from helpers import TEST_KEY, cli_env, free_port, run_cli

KEY = "vfy_files_key_0123456789abcdef"
URL = "http://127.0.0.1:1"
NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")


def make_store(state: Path, url: str = URL, key: str = KEY, **options) -> Path:
    path = store_path(url, key, state / "store", **options)
    store = Store.open(path, base_url=url)
    store.save([StoredBatch(Batch(id="batch_kept", status="completed"), updated_at=1.0)])
    store.close()
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def other_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES ('not batch-tui')")


# ── store --clear ─────────────────────────────────────────────────────────────


def test_clear_removes_only_our_stores_and_their_companions(tmp_path):
    state = tmp_path / "state"
    ours = make_store(state)
    folder = ours.parent
    stem = ours.name.removesuffix(".sqlite3")
    team = [folder / f"{stem}.team.db", folder / f"{stem}.team.db-wal", folder / f"{stem}.lock"]
    for path in team:
        path.write_bytes(b"team")
    # Another program's files in the same folder, one even named like a store.
    others = [folder / "other.sqlite3", folder / ("ab" * 12 + ".sqlite3"), folder / "notes.txt"]
    other_sqlite(others[0])
    other_sqlite(others[1])
    others[2].write_text("mine")
    env = cli_env(tmp_path, BATCH_TUI_STATE_DIR=str(state))
    result = run_cli(["store", "--clear", "--yes"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Removed 1 local store(s)" in result.stdout
    assert ours.name in result.stdout and f"{stem}.lock" in result.stdout
    assert not ours.exists() and not any(path.exists() for path in team)
    assert all(path.exists() for path in others)
    assert "other.sqlite3" not in result.stdout and "notes.txt" not in result.stdout
    with sqlite3.connect(others[1]) as db:
        assert db.execute("SELECT body FROM notes").fetchone() == ("not batch-tui",)


def test_clear_without_a_terminal_and_without_yes_refuses_in_one_line(tmp_path):
    state = tmp_path / "state"
    ours = make_store(state)
    result = run_cli(["store", "--clear"], cli_env(tmp_path, BATCH_TUI_STATE_DIR=str(state)), tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--yes" in result.stderr
    assert ours.exists()


def _on_a_terminal(args: list[str], env: dict[str, str], answer: bytes) -> tuple[int, str]:
    """Run ``batch-tui ARGS`` with a pseudo-terminal as its stdin and stdout, answer
    the question once it is asked, and return its exit status and what it printed."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "batch_tui", *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    seen = b""
    answered = False
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            process.kill()
            raise AssertionError(f"no answer from the command: {seen!r}")
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"[y/N]" in seen:
            os.write(main, answer)
            answered = True
    os.close(main)
    return process.wait(timeout=30), seen.decode("utf-8", "replace")


def test_clear_on_a_terminal_lists_what_goes_and_asks(tmp_path):
    state = tmp_path / "state"
    ours = make_store(state)
    env = cli_env(tmp_path, BATCH_TUI_STATE_DIR=str(state))
    status, said = _on_a_terminal(["store", "--clear"], env, b"n\n")
    assert status == 0 and ours.name in said and "Nothing removed." in said
    assert ours.exists()
    status, said = _on_a_terminal(["store", "--clear"], env, b"y\n")
    assert status == 0 and "Removed 1 local store(s)" in said
    assert not ours.exists()


HOLD_OPEN = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("SELECT count(*) FROM batches").fetchone()
print("open", flush=True)
sys.stdin.readline()
"""


def test_a_store_in_use_by_a_running_dashboard_is_reported_not_removed(tmp_path):
    state = tmp_path / "state"
    busy = make_store(state)
    idle = make_store(state, key="vfy_another_org_key_0123456789")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(busy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        said = clear_stores(state / "store")
    finally:
        holder.communicate("\n", timeout=30)
    assert f"{busy.name}: in use by a running dashboard; not removed" in said
    assert "Removed 1 local store(s)" in said
    assert busy.exists() and not idle.exists()
    with sqlite3.connect(busy) as db:
        assert db.execute("SELECT count(*) FROM batches").fetchone() == (1,)


# ── store --info ─────────────────────────────────────────────────────────────


def test_info_names_each_stores_profile_and_prints_no_escape_sequence(tmp_path):
    state = tmp_path / "state"
    config = tmp_path / "xdg" / "batch-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'base_url = "{URL}"\n[profiles.prod]\nkey_env = "PROD_KEY"\n', encoding="utf-8"
    )
    env = cli_env(tmp_path, BATCH_TUI_STATE_DIR=str(state), PROD_KEY=KEY, CHECK_API_KEY=KEY)
    prod = make_store(state, profile="prod")
    default = make_store(state)
    stranger = make_store(state, key="vfy_some_other_key_0123456789")
    with sqlite3.connect(stranger) as db:  # tampered: a URL that would retitle the window
        db.execute("UPDATE meta SET value = ? WHERE key = 'base_url'", ("http://x\x1b]0;owned\x07\x1b[2J",))
    result = run_cli(["store", "--info"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    line_of = {name: next(line for line in lines if name in line) for name in (prod.name, default.name, stranger.name)}
    assert "profile prod" in line_of[prod.name]
    assert "the default settings" in line_of[default.name]
    assert "no profile of this config" in line_of[stranger.name]
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert KEY not in result.stdout


# ── private by default ───────────────────────────────────────────────────────

CREATE_UNDER_UMASK_0 = """
import os, sys
from pathlib import Path
os.umask(0)
from batch_tui.store import Store, StoredBatch
from batch_tui.api.models import Batch
from batch_tui.integrations.watchlist import WatchList, default_path
store = Store.open(Path(sys.argv[1]), base_url="http://x")
store.save([StoredBatch(Batch(id="batch_secret", name="Org payroll", status="running"), updated_at=1.0)])
print(WatchList(default_path("prod")).add("batch_secret"))
print(WatchList(default_path()).add("batch_secret"))
input()
store.close()
"""

READ_AS_NOBODY = """
import os, sys
os.setgid(65534); os.setuid(65534)
for name in sys.argv[1:]:
    try:
        open(name, "rb").read(1)
        print("read", name)
    except OSError as exc:
        print("refused", type(exc).__name__)
"""


@needs_root
def test_what_batch_tui_creates_is_private_whatever_the_umask(tmp_path):
    # Inside a world-writable folder of someone else's, as on a shared /tmp.
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(shared, 0o1777)
    state = shared / "state"
    path = store_path(URL, KEY, state / "store")
    env = {**os.environ, "BATCH_TUI_STATE_DIR": str(state), "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-c", CREATE_UNDER_UMASK_0, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert process.stdout.readline().strip() == "None"  # written
        assert process.stdout.readline().strip() == "None"
        # While it runs, with its -wal and -shm beside it.
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        watch = [state / "profiles" / "prod" / "watched.json", state / "watched.json"]
        for file in files + watch:
            assert mode(file) == 0o600, file
        for folder in (state, state / "store", state / "profiles", state / "profiles" / "prod"):
            assert mode(folder) == 0o700, folder
        probe = subprocess.run(
            [sys.executable, "-c", READ_AS_NOBODY, *map(str, files + watch)],
            capture_output=True, text=True,
        )
        assert probe.stdout.count("refused") == len(files + watch), probe.stdout
    finally:
        process.communicate("\n", timeout=30)


def test_a_symlink_planted_at_the_stores_path_is_refused_not_followed(tmp_path):
    state = tmp_path / "state"
    path = store_path(URL, KEY, state / "store")
    path.parent.mkdir(parents=True, mode=0o700)
    target = tmp_path / "elsewhere.sqlite3"
    path.symlink_to(target)
    settings = Settings(api_key=KEY, base_url=URL)
    os.environ["BATCH_TUI_STATE_DIR"], before = str(state), os.environ["BATCH_TUI_STATE_DIR"]
    try:
        monitor = make_monitor(settings)
    finally:
        os.environ["BATCH_TUI_STATE_DIR"] = before
    assert not monitor.store.active
    assert "symbolic link; not followed" in (monitor.status.notice or "")
    assert not target.exists() and path.is_symlink()
    # A planted -wal link is refused the same way, before SQLite could write through it.
    path.unlink()
    wal = path.with_name(path.name + "-wal")
    wal.symlink_to(target)
    with pytest.raises(Exception, match="symbolic link; not followed"):
        Store.open(path)
    assert not target.exists()


@needs_root
@pytest.mark.parametrize("kind", ["owned by another user", "writable by others"])
def test_a_state_folder_another_user_could_write_is_refused_in_one_line(
    tmp_path, kind, monkeypatch
):
    state = tmp_path / "state"
    monkeypatch.setenv("BATCH_TUI_STATE_DIR", str(state))  # a folder the user chose
    state.mkdir()
    if kind == "owned by another user":
        os.chown(state, NOBODY, NOBODY)
        os.chmod(state, 0o755)
    else:
        os.chmod(state, 0o777)
    with pytest.raises(Exception) as caught:
        Store.open(store_path(URL, KEY, state / "store"))
    message = str(caught.value)
    assert "refusing the local store" in message and "\n" not in message
    assert "belongs to another user" in message or "may be written by other users" in message
    assert not (state / "store").exists()
    from batch_tui.integrations.watchlist import default_path

    problem = WatchList(default_path()).add("batch_a")
    assert problem and ("another user" in problem or "other users" in problem)
    assert not (state / "watched.json").exists()


# ── the watch list on a full disk ────────────────────────────────────────────


@pytest.fixture
def full_disk(tmp_path):
    """A tiny tmpfs, filled up: a real full disk (skipped where mounting is not allowed)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
    )
    if result.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError:
        pass  # full
    finally:
        os.close(fd)


async def test_a_on_a_full_disk_says_it_could_not_remember_and_leaves_the_old_list(
    demo, clock, full_disk
):
    path = full_disk / "watched.json"
    before = json.dumps({"watched": ["batch_kept"]}, indent=2)
    path.write_text(before)
    fill(full_disk)
    watchlist = WatchList(path)
    async with running(demo, clock, watchlist=watchlist, notifications=True) as pilot:
        app = pilot.app
        await pilot.press("a", *"batch_added", "enter")
        await settled(pilot)
        said = [n.message for n in notifications(app)]
        assert not any(m == "Watching batch_added." for m in said), said
        assert any(
            m.startswith("Watching batch_added for this run only: cannot write the watch list")
            and "No space left on device" in m
            for m in said
        ), said
        assert "batch_added" in app.monitor.watched  # followed for this run all the same
    assert path.read_text() == before
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler", "watched.json"]


# ── no store for a server that never answered ───────────────────────────────


@pytest.mark.parametrize("where", ["unreachable", "rejected key"])
async def test_no_store_is_left_for_an_unreachable_url_or_a_rejected_key(
    tmp_path, clock, demo, demo_api, monkeypatch, where
):
    monkeypatch.setenv("BATCH_TUI_STATE_DIR", str(tmp_path / "state"))
    url = f"http://127.0.0.1:{free_port()}" if where == "unreachable" else demo.url
    key = "vfy_rejected_key_00000000000000" if where == "rejected key" else TEST_KEY
    if where == "rejected key":
        monkeypatch.setattr(demo_api, "api_key", TEST_KEY)
    monitor = make_monitor(Settings(api_key=key, base_url=url, solo=True), clock=clock, timeout=2)
    await monitor.step(monitor.next_request())
    assert monitor.status.state != "ok" and monitor.status.last_success is None
    await monitor.aclose()
    assert list((tmp_path / "state" / "store").glob("*")) == []


def test_a_symlink_planted_at_the_watch_list_is_neither_read_nor_written_through(tmp_path):
    target = tmp_path / "victim.json"
    target.write_text('{"watched": ["batch_planted"]}')
    path = tmp_path / "state" / "watched.json"
    path.parent.mkdir(mode=0o700)
    path.symlink_to(target)
    watchlist = WatchList(path)
    assert watchlist.load() == []
    assert "symbolic link" in (watchlist.problem or "")
    assert watchlist.add("batch_a")  # said: not remembered
    assert target.read_text() == '{"watched": ["batch_planted"]}' and path.is_symlink()


def test_the_default_state_folder_an_older_version_left_open_is_made_private(
    tmp_path, monkeypatch
):
    # An older batch-tui made the folders with the umask's mode (0775 under umask 002).
    monkeypatch.delenv("BATCH_TUI_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    from batch_tui.core.paths import state_dir
    from batch_tui.session import open_store

    state = state_dir()
    (state / "store").mkdir(parents=True)
    os.chmod(state, 0o775)
    os.chmod(state / "store", 0o775)
    store, problem, _ = open_store(Settings(api_key=KEY, base_url=URL))
    assert problem is None and store is not None
    store.close()
    assert mode(state) == 0o700 and mode(state / "store") == 0o700
