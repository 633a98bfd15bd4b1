"""Small custom Prometheus exporters run next to the stack.

Each exporter is a package run as ``python -m exporters.<name> --config FILE --listen HOST:PORT``:
``probe`` (HTTP and TCP health checks), ``sql`` (business KPIs from SQL queries) and ``push``
(a bridge that turns pushed JSON samples into series Prometheus scrapes). They share
``exporters.common``: the HTTP server, the exposition renderer and the command line.
"""
