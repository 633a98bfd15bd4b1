"""``python -m exporters.probe --config FILE --listen HOST:PORT``."""

from __future__ import annotations

import sys

from exporters.common.cli import main
from exporters.probe.app import build

if __name__ == "__main__":
    sys.exit(main("exporters.probe", "Run HTTP and TCP health checks for Prometheus.", build))
