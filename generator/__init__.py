"""Build time: compile monitoring definitions into Prometheus configuration, and check it.

`generator.pipeline.build()` is the library entry point; `gen` (generator.cli) is its thin client.
"""

from __future__ import annotations

import functools


@functools.cache
def version() -> str:
    """The installed package's version. Looked up when asked: importing importlib.metadata and
    scanning the installed distributions cost 30 ms of every `gen` run."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("monitoring-as-code")
    except PackageNotFoundError:  # running from a checkout without installing
        return "0.0.0"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
