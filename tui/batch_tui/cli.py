"""The command line: parse arguments, resolve settings, run the dashboard or the demo server.

Bad input ends with one line on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from batch_tui import __version__
from batch_tui.settings.config import (
    ENV_KEY,
    SETTING,
    SETTINGS,
    ConfigError,
    Settings,
    option_help,
    resolve_settings,
)

EXIT_USAGE = 2
DEMO_KEY = "demo-key"
DEFAULT_DEMO_PORT = 8787


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, each starting ``batch-tui: error:`` (one rule
    for every command: a script greps for one prefix), naming the help to read."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"batch-tui: error: {message} (see {self.prog} --help)\n")


def _settings_parser(
    command: str, description: str, *, epilog: str = ""
) -> argparse.ArgumentParser:
    """A parser for a command that takes settings, with one option per setting of
    ``config.SETTINGS`` the command takes (its positional arguments are its own)."""
    key = SETTING["api_key"]
    sources = [s.env for s in SETTINGS if s.env and command in s.commands]
    parser = _Parser(
        prog="batch-tui" if command == "dashboard" else f"batch-tui {command}",
        description=description,
        epilog=" ".join(
            [
                f"The API key is read from ${key.env} or the config file, "
                "never from the command line.",
                f"Environment: {', '.join(sources)}.",
                epilog,
            ]
        ).strip(),
    )
    for setting in SETTINGS:
        if not setting.flag or command not in setting.commands:
            continue
        # Every default is None, "not given", so that the environment and the
        # config file are consulted; a switch given sets its value.
        help_text = option_help(setting).replace("%", "%%")
        if setting.switch is None:
            parser.add_argument(
                setting.flag, dest=setting.key, metavar=setting.metavar, help=help_text
            )
        else:
            parser.add_argument(
                setting.flag,
                dest=setting.key,
                action="store_const",
                const=setting.switch,
                default=None,
                help=help_text,
            )
    return parser


def _dashboard_parser() -> argparse.ArgumentParser:
    parser = _settings_parser(
        "dashboard",
        "A terminal dashboard for Check API batch verification jobs.",
        epilog=(
            "Also: 'batch-tui status' (one snapshot, --json), 'batch-tui watch BATCH_ID ...' "
            "(follow batches, --exit-status, --wait, --timeout), "
            "'batch-tui demo-server' (the demo API)."
        ),
    )
    parser.add_argument("batch_ids", nargs="*", metavar="BATCH_ID", help="batches to watch")
    parser.add_argument("--version", action="version", version=f"batch-tui {__version__}")
    return parser


def _demo_parser() -> argparse.ArgumentParser:
    from batch_tui.demo.faults import HELP

    kinds = "\n".join(f"  {spec:<23} {meaning}" for spec, meaning in HELP)
    parser = _Parser(
        prog="batch-tui demo-server",
        description="Serve the simulated Check batch API on 127.0.0.1.",
        # Raw, so the table of fault kinds keeps one kind a line.
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "fault kinds for --faults (SHARE is 0 to 1 of requests; a SHARE kind named\n"
            "alone means 1; e.g. 'endless,gzipbomb=0.1,trickle=0.5,trickle-every=5'):\n" + kinds
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_DEMO_PORT, help="port (default 8787)")
    _add_demo_fleet_options(parser)
    _add_demo_service_options(parser)
    return parser


def _add_demo_fleet_options(parser: argparse.ArgumentParser) -> None:
    """What the demo-server's batches are: the seed, the story or a steady fleet."""
    parser.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    parser.add_argument(
        "--batches",
        type=int,
        metavar="N",
        help=(
            "serve a steady fleet of N batches (up to 100000) instead of the story, "
            "for benchmarks and load"
        ),
    )
    parser.add_argument(
        "--active",
        type=int,
        default=0,
        metavar="N",
        help=(
            "with --batches: how many are running; each one that finishes is followed "
            "by a new arrival, so N stay active (default 0)"
        ),
    )
    parser.add_argument(
        "--churn",
        type=float,
        metavar="RATE",
        help=(
            "serve a stream instead of the story: RATE new batches a second, each "
            "finished about 10 s after it was created (some fail)"
        ),
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="names and errors full of markup and escape sequences (for testing clients)",
    )


def _add_demo_service_options(parser: argparse.ArgumentParser) -> None:
    """How the demo-server answers: rate limit, other clients, faults and the key."""
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=200,
        metavar="N",
        help="requests per minute before 429 (default 200; 0 turns it off)",
    )
    parser.add_argument(
        "--foreign-load",
        type=float,
        default=0,
        metavar="N",
        help="requests a minute spent by simulated other clients of the organisation",
    )
    parser.add_argument(
        "--faults",
        metavar="SPEC",
        default=os.environ.get("BATCH_TUI_DEMO_FAULTS", ""),
        help=(
            "misbehave on purpose: comma-separated KIND=VALUE, e.g. "
            "'5xx=0.2,hang=0.1,429=5' (kinds below); also $BATCH_TUI_DEMO_FAULTS"
        ),
    )
    parser.add_argument(
        "--require-key",
        action="store_true",
        help=f"accept only the key in ${ENV_KEY} (others get 401)",
    )


def _run_demo_server(argv: Sequence[str]) -> int:
    from batch_tui.demo.faults import Faults, FaultSpecError
    from batch_tui.demo.server import DemoApi, serve_forever
    from batch_tui.demo.simulator import Simulator

    args = _demo_parser().parse_args(argv)
    if not 0 < args.port < 65536:
        return _fail(f"--port must be from 1 to 65535, got {args.port}")
    if args.rate_limit < 0:
        return _fail("--rate-limit must be 0 (off) or more")
    if args.batches is not None and not 0 < args.batches <= 100_000:
        return _fail("--batches must be from 1 to 100000")
    if not 0 <= args.active <= (args.batches or 0):
        return _fail("--active must be from 0 to --batches")
    if args.churn is not None:
        if args.batches is not None:
            return _fail("--churn and --batches cannot be used together")
        if not 0 < args.churn <= 1000:
            return _fail("--churn must be more than 0 and at most 1000 batches a second")
    if args.foreign_load < 0:
        return _fail("--foreign-load must be 0 or more")
    try:
        faults = Faults.parse(args.faults)
    except FaultSpecError as exc:
        return _fail(f"--faults: {exc}")
    key = None
    if args.require_key:
        key = os.environ.get(ENV_KEY)
        if not key:
            return _fail(f"--require-key needs ${ENV_KEY} to be set")
    simulator = Simulator(
        seed=args.seed,
        fleet=args.batches,
        active=args.active,
        hostile=args.hostile,
        churn=args.churn,
    )
    api = DemoApi(
        simulator,
        api_key=key,
        rate_limit=args.rate_limit,
        foreign_load=args.foreign_load,
        faults=faults,
    )
    try:
        serve_forever(api, port=args.port)
    except OSError as exc:
        return _fail(f"cannot serve on port {args.port}: {exc.strerror or exc}")
    return 0


def _fail(message: str) -> int:
    print(f"batch-tui: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _given(args: argparse.Namespace, batch_ids: Sequence[str] = ()) -> dict[str, Any]:
    """The command-line values, by setting key, as ``resolve_settings`` takes them."""
    given = {s.key: getattr(args, s.key, None) for s in SETTINGS if s.flag}
    given[SETTING["batch_ids"].key] = list(batch_ids)
    return given


def _settings(command: str, args: argparse.Namespace, *, batch_ids: Sequence[str] = ()) -> Settings:
    """Resolve the command's settings from its parsed arguments (raises ConfigError)."""
    return resolve_settings(cli=_given(args, batch_ids), command=command)


def _warn(settings: Settings) -> None:
    """Problems that do not stop the start (a key file others can read), one line each."""
    for warning in settings.warnings:
        print(f"batch-tui: warning: {warning}", file=sys.stderr)


@contextmanager
def _connected(settings: Settings) -> Iterator[Settings]:
    """The settings to use: with ``--demo``, pointed at a demo server started for the run."""
    if not settings.demo:
        yield settings
        return
    from batch_tui.demo.server import DemoApi, DemoServer
    from batch_tui.demo.simulator import Simulator

    with DemoServer(DemoApi(Simulator())) as server:
        yield replace(settings, base_url=server.url, api_key=DEMO_KEY)


def _run_dashboard(argv: Sequence[str]) -> int:
    # Loading the dashboard (its modules, Textual's, the app) makes objects that live
    # as long as the process and next to no garbage: the collector, run every 700 of
    # them, would look a hundred times for nothing. It is on again before the app
    # runs (``_settle_garbage_collector``).
    gc.disable()
    try:
        return _dashboard(argv)
    finally:
        gc.enable()


def _dashboard(argv: Sequence[str]) -> int:
    args = _dashboard_parser().parse_args(argv)
    try:
        settings = _settings("dashboard", args, batch_ids=args.batch_ids)
    except ConfigError as exc:
        return _fail(str(exc))
    _warn(settings)

    from batch_tui.session import make_app, profile_watchlist

    given = _given(args, args.batch_ids)

    def resolve(profile: str) -> Settings:
        # Another profile, as if it had been named on this command line.
        return resolve_settings(cli={**given, SETTING["profile"].key: profile})

    with _connected(settings) as settings:
        watchlist = profile_watchlist(settings)
        try:
            app = make_app(settings, watchlist=watchlist, resolve=resolve)
        except ConfigError as exc:  # keys the config file rebinds that cannot be used
            return _fail(str(exc))
        if watchlist is not None and watchlist.problem:
            # Printed before the app takes the screen, so it is there after quitting.
            print(f"batch-tui: warning: {watchlist.problem}", file=sys.stderr)
        _settle_garbage_collector()
        app.run()
        return app.return_code or 0


#: Allocations between young collections (Python's default is 700): each poll makes
#: and drops thousands of short-lived objects, and the collector looking at them
#: every 700 cost a dashboard in a pane a tenth of its idle CPU.
GC_YOUNG = 10_000


def _settle_garbage_collector() -> None:
    """Set the collector for a process that lives all day: what start-up made (modules,
    styles, widgets' classes) is kept out of every later collection, and young
    objects are looked at less often. Cyclic garbage is still freed, a little later.
    The collector is switched back on (it was kept off while the dashboard loaded)."""
    gc.freeze()  # no collection first: it would cost start-up more than it frees
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, middle, old)
    gc.enable()


def _run_status(argv: Sequence[str]) -> int:
    parser = _settings_parser("status", "Print one snapshot of your batches and exit.")
    parser.add_argument("batch_ids", nargs="*", metavar="BATCH_ID", help="only these batches")
    parser.add_argument("--json", action="store_true", help="JSON instead of a table")
    parser.add_argument(
        "--all",
        action="store_true",
        dest="everything",
        help=(
            "every batch in the history, read within the rate budget (progress on "
            "stderr); without it, every unfinished batch and the newest 100"
        ),
    )
    args = parser.parse_args(argv)
    from batch_tui.headless.status import run_status

    return _headless(
        "status",
        args,
        args.batch_ids,
        lambda settings: run_status(
            settings, settings.batch_ids, as_json=args.json, everything=args.everything
        ),
    )


def _run_watch(argv: Sequence[str]) -> int:
    parser = _settings_parser(
        "watch",
        "Follow batches in plain lines until each is completed, failed or cancelled.",
    )
    parser.add_argument("batch_ids", nargs="+", metavar="BATCH_ID", help="the batches to follow")
    parser.add_argument(
        "--exit-status",
        action="store_true",
        help=(
            "exit with the outcome: 0 completed, 1 failed, 4 cancelled (of several, "
            "the worst); 3 cannot watch, 5 timed out"
        ),
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="a batch that does not exist yet is waited for (a 404 is asked again)",
    )
    parser.add_argument(
        "--timeout",
        type=_timeout_seconds,
        metavar="SECONDS",
        help="give up after this many seconds (exit 5)",
    )
    args = parser.parse_args(argv)
    from batch_tui.headless.status import run_watch

    return _headless(
        "watch",
        args,
        args.batch_ids,
        lambda settings: run_watch(
            settings,
            settings.batch_ids,
            exit_status=args.exit_status,
            wait=args.wait,
            timeout=args.timeout,
        ),
    )


def _timeout_seconds(text: str) -> float:
    """``--timeout``: a number of seconds above 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return seconds


def _headless(
    command: str,
    args: argparse.Namespace,
    batch_ids: Sequence[str],
    run: Callable[[Settings], int],
) -> int:
    """Resolve the settings of a script command, warn as the dashboard does, and run it."""
    try:
        settings = _settings(command, args, batch_ids=batch_ids)
    except ConfigError as exc:
        return _fail(str(exc))
    _warn(settings)
    with _connected(settings) as settings:
        return run(settings)


def _run_store(argv: Sequence[str]) -> int:
    parser = _Parser(
        prog="batch-tui store",
        description="Show or clear the local stores (what the dashboard remembers between runs).",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--info", action="store_true", help="where the stores are, whose they are, what they hold"
    )
    action.add_argument(
        "--clear",
        action="store_true",
        help="delete the local stores (only batch-tui's own; asks first on a terminal)",
    )
    parser.add_argument(
        "--yes", action="store_true", help="with --clear: remove without asking"
    )
    args = parser.parse_args(argv)
    from batch_tui.store.admin import clear_stores, store_info

    if args.info:
        print(store_info(owners=_store_owners()))
        return 0
    if args.yes:
        print(clear_stores())
        return 0
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return _fail("store --clear: no terminal to ask on; add --yes to remove without asking")
    print(clear_stores(confirm=_ask))
    return 0


def _ask(question: str) -> bool:
    print(question)
    try:
        return input("Remove them? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _store_owners() -> dict[Path, str]:
    """Each store this config knows of, by path: which profile's (or the default's)."""
    from batch_tui.store import store_path

    owners: dict[Path, str] = {}

    def add(cli: dict[str, object], label: str) -> list[str]:
        try:
            settings = resolve_settings(cli=cli)
        except ConfigError:
            return []
        if settings.api_key and not settings.demo:
            path = store_path(settings.base_url, settings.api_key, profile=settings.profile)
            owners.setdefault(path, label)
        return list(settings.profiles)

    for name in add({}, "the default settings"):
        add({"profile": name}, f"profile {name}")
    return owners


SUBCOMMANDS = {
    "demo-server": _run_demo_server,
    "status": _run_status,
    "watch": _run_watch,
    "store": _run_store,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``batch-tui`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return SUBCOMMANDS[argv[0]](argv[1:])
        return _run_dashboard(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``batch-tui status | head``): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
