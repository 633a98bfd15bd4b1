#!/usr/bin/env bash
# Set up a fresh machine for this repository: the real Prometheus and Alertmanager tools from
# Debian (promtool and amtool check what we generate), and a virtual environment with the `gen`
# command. With --test, the test dependencies too. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
# The receiver's tests start a throw-away PostgreSQL cluster (tests/pg.py) and render its web
# page in headless Chromium; the stack's tests run node_exporter and validate docker-compose.yml
# with docker-compose 1.29 (`config` needs no Docker engine).
if [ "$want_tests" -eq 1 ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v prometheus-node-exporter >/dev/null 2>&1 || missing+=(prometheus-node-exporter)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages start their services; the tools are all we need, and tests start their own.
  for service in prometheus prometheus-alertmanager prometheus-node-exporter postgresql; do
    $sudo systemctl stop "$service" >/dev/null 2>&1 || $sudo service "$service" stop >/dev/null 2>&1 || true
  done
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$want_tests" -eq 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi
