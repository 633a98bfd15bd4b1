"""The receiver's configuration file (YAML, emitted by the generator from the definitions).

Unknown keys are refused so a typo is an error at start-up, not a policy that silently never
runs. Durations are written like Prometheus's (`30s`, `5m`, `1h`) and held as seconds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from receiver.timeutil import parse_duration


def _seconds(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Seconds = Annotated[float, BeforeValidator(_seconds), Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    target: str = Field(description="Value of the escalation_target label; routing sends it to a receiver.")
    wait: Seconds = Field(
        description="How long after the previous step (or the first firing) this step runs."
    )


class Policy(_Strict):
    name: str = Field(description="Recorded on the incident and in every step's event.")
    match: dict[str, str] = Field(
        default_factory=dict, description="Labels an alert must carry (all of them)."
    )
    steps: list[Step] = Field(
        min_length=1, description="Run in order while the incident is open and not acked."
    )
    repeat: int = Field(default=1, ge=1, description="How many times the whole list of steps runs.")

    def matches(self, labels: dict[str, str]) -> bool:
        return all(labels.get(name) == value for name, value in self.match.items())

    def after(self, level: int) -> tuple[Step, float] | None:
        """The step run at escalation `level` (0 = none yet) and its wait, or None when done."""
        if level >= len(self.steps) * self.repeat:
            return None
        step = self.steps[level % len(self.steps)]
        return step, step.wait


class Watchdog(_Strict):
    alertname: str = Field(default="Watchdog", description="The always-firing alert's name.")
    interval: Seconds = Field(
        default=300.0, description="How often it arrives (its route's repeat_interval)."
    )
    grace: Seconds = Field(default=60.0, description="Extra time allowed before raising the alarm.")
    fallback_url: str | None = Field(default=None, description="Webhook told when the heartbeat stops.")


class Config(_Strict):
    alertmanager_url: str | None = Field(
        default=None, description="For silences, escalation and reconciling."
    )
    dedup_window: Seconds = Field(
        default=300.0, description="Identical deliveries within it are stored once."
    )
    starts_tolerance: Seconds = Field(
        default=2.0, description="startsAt jitter that still means the same incident."
    )
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    tick: Seconds = Field(default=5.0, description="How often escalation, reconciling and the watchdog run.")
    reconcile_interval: Seconds = Field(default=60.0)
    watchdog: Watchdog = Field(default_factory=Watchdog)
    escalation: list[Policy] = Field(default_factory=list, description="First matching policy applies.")

    @property
    def watchdog_alertname(self) -> str:
        return self.watchdog.alertname

    def policy_for(self, labels: dict[str, str]) -> Policy | None:
        return next((policy for policy in self.escalation if policy.matches(labels)), None)

    def policy_named(self, name: str | None) -> Policy | None:
        return next((policy for policy in self.escalation if policy.name == name), None)


class ConfigError(ValueError):
    pass


def load_config(path: Path | None) -> Config:
    """The configuration in `path` (an empty or absent file means all defaults)."""
    if path is None:
        return Config()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Config.model_validate(raw)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
