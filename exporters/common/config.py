"""Reading an exporter's YAML config into its pydantic model, with readable errors.

The config files are what the generator emits from the definitions (or what users write by hand),
so a mistake is reported like the generator reports one: the file, the field path, the value and
what was expected, never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


class ConfigError(Exception):
    """A config file that cannot be used; the message is meant for the user as it is."""


def parse_duration(value: Any) -> float:
    """Seconds from a Prometheus-style duration (``500ms``, ``30s``, ``1h30m``) or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION.match(value.strip()):
        seconds = sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(value))
    else:
        raise ValueError(f"expected a duration such as 30s, 5m or 1h, got {value!r}")
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not silently fall back to a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Model = TypeVar("Model", bound=BaseModel)


def load_config(path: Path, model: type[Model]) -> Model:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    return validate_config(data if data is not None else {}, model, str(path))


def validate_config(data: Any, model: type[Model], source: str = "config") -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
            shown = "" if problem["type"] == "missing" else f" (got {problem['input']!r})"
            lines.append(f"{source}: {where}: {problem['msg']}{shown}")
        raise ConfigError("\n".join(lines)) from error


def read_secret_file(path: Path) -> str:
    """A token from a file (secrets are never written inline in configs), without its line end."""
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the secret file: {error.strerror}") from error
    if not secret:
        raise ConfigError(f"{path}: the secret file is empty")
    return secret
