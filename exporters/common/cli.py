"""The shared command line: ``python -m exporters.<name> --config FILE --listen HOST:PORT``.

Each exporter passes a function that turns its config file into an ``App`` (plus a stop
function for its background workers); this module parses arguments, serves until SIGTERM or
SIGINT, and maps config errors to exit status 1 and usage errors to 2, as ``gen`` does.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from exporters.common.config import ConfigError
from exporters.common.server import App, ExporterServer

Build = Callable[[Path], tuple[App, Callable[[], None]]]


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9100`` for IPv6) to its parts."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not host or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def main(prog: str, description: str, build: Build, argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", required=True, type=Path, help="the exporter's YAML config file")
    parser.add_argument(
        "--listen", required=True, type=parse_listen, help="HOST:PORT to serve on (port 0: any free port)"
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app, stop_workers = build(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    host, port = args.listen
    try:
        server = ExporterServer(app, host, port)
    except OSError as error:
        stop_workers()
        print(f"{prog}: cannot listen on {host}:{port}: {error.strerror}", file=sys.stderr)
        return 1
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    server.start()
    # Tests and supervisors read this line to learn the port when --listen asked for port 0.
    print(f"{prog} listening on {server.url}", flush=True)
    # A timed wait keeps the main thread returning to the interpreter, where signal handlers run.
    while not stopping.wait(0.5):
        pass
    server.stop()
    stop_workers()
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    return 0
