"""``python -m exporters.sql --config FILE --listen HOST:PORT``."""

from __future__ import annotations

import sys

from exporters.common.cli import main
from exporters.sql.app import build

if __name__ == "__main__":
    sys.exit(main("exporters.sql", "Expose business KPIs from SQL queries to Prometheus.", build))
