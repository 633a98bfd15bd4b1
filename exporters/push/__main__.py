"""``python -m exporters.push --config FILE --listen HOST:PORT``."""

from __future__ import annotations

import sys

from exporters.common.cli import main
from exporters.push.app import build

if __name__ == "__main__":
    sys.exit(main("exporters.push", "Accept pushed JSON samples and expose them to Prometheus.", build))
