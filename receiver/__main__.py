"""`python -m receiver --listen HOST:PORT --database URL [--config FILE] [--token-file FILE]`.

Each option may come from the environment instead (RECEIVER_LISTEN, RECEIVER_DATABASE,
RECEIVER_CONFIG, RECEIVER_TOKEN_FILE), which suits containers; the command line wins."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from receiver.app import Settings, read_token, serve
from receiver.config import ConfigError, load_config

USAGE_ERROR = 2


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="python -m receiver", description="Alertmanager webhook receiver")
    p.add_argument(
        "--listen", type=_listen, default=env("RECEIVER_LISTEN", "127.0.0.1:8080"), help="HOST:PORT"
    )
    p.add_argument(
        "--database",
        default=env("RECEIVER_DATABASE", "sqlite:///receiver.db"),
        help="sqlite:///path.db (default) or postgresql://user@host:port/name",
    )
    p.add_argument("--config", type=Path, default=env("RECEIVER_CONFIG"), help="YAML configuration file")
    p.add_argument(
        "--token-file",
        type=Path,
        default=env("RECEIVER_TOKEN_FILE"),
        help="require this bearer token on writes",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, port = args.listen if isinstance(args.listen, tuple) else _listen(args.listen)
    try:
        config = load_config(Path(args.config) if args.config else None)
        token = read_token(Path(args.token_file)) if args.token_file else None
    except (ConfigError, OSError, ValueError) as problem:
        print(f"receiver: {problem}", file=sys.stderr)
        return USAGE_ERROR
    try:
        serve(Settings(host=host, port=port, database_url=args.database, config=config, token=token))
    except (ValueError, OSError) as problem:
        print(f"receiver: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
