"""Build time: compile monitoring definitions into Prometheus configuration, and check it.

`generator.pipeline.build()` is the library entry point; `gen` (generator.cli) is its thin client.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("monitoring-as-code")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0"
