"""Building blocks shared by every definition kind: the base model and constrained types.

Each field's docstring becomes its description in the JSON Schema (`gen schema`), which editors
show while the user types; write them for the user, not for us. (`generator.schema` reads them.)
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from generator.durations import DurationError, parse_duration


class SpecModel(BaseModel):
    """Base of every definition model: unknown keys are errors, docstrings document fields.

    A model's validator is built the first time a document of its kind is validated
    (`defer_build`), and attribute docstrings are read only when the JSON Schema is generated
    (`generator.schema`): at import, the two cost 85 ms of every `gen build` (bench/RESULTS.md),
    for kinds the repository may not even use.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        populate_by_name=True,
        defer_build=True,
    )


def _check_duration(value: str) -> str:
    try:
        parse_duration(value)
    except DurationError as error:
        raise ValueError(str(error)) from None
    return value


DURATION_PATTERN = r"^([0-9]+(ms|y|w|d|h|m|s))+$"
DurationText = Annotated[
    str,
    AfterValidator(_check_duration),
    Field(json_schema_extra={"pattern": DURATION_PATTERN, "examples": ["30s", "5m", "1h30m"]}),
]
"""A Prometheus duration string, validated; the resolver turns it into a `Duration`."""

# Names that end up in file names, label values and Grafana uids: lower case, digits, dashes.
NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$"
ResourceName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]

# Prometheus label names (https://prometheus.io/docs/concepts/data_model/); `__` is reserved.
LABEL_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
LabelName = Annotated[str, StringConstraints(pattern=LABEL_NAME_PATTERN)]
Labels = dict[LabelName, str]

# Alert names must be valid metric names for Prometheus (rulefmt); colons are for recording rules.
ALERT_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
AlertName = Annotated[str, StringConstraints(pattern=ALERT_NAME_PATTERN)]

# Recording rule names: valid metric names, `level:metric:operations` by convention (checked).
RECORD_NAME_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
RecordName = Annotated[str, StringConstraints(pattern=RECORD_NAME_PATTERN)]

# A short identifier users choose for a metric shortcut and refer to from alerts.
SHORTCUT_PATTERN = r"^[a-z][a-z0-9_]*$"
ShortcutName = Annotated[str, StringConstraints(pattern=SHORTCUT_PATTERN)]

Severity = Literal["info", "warning", "critical"]
"""The three severities routing understands; `critical` pages, `warning` makes a ticket."""

Unit = Literal["ratio", "percent", "seconds", "bytes", "count", "requests_per_second", "none"]

# Receiver names appear regex-escaped in webhook payloads; keep them plain (TOOL-FACTS).
RECEIVER_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
TIME_RANGE_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
# `label="value"`, `label=~"regex"`, `label!="value"`, `label!~"regex"`; quotes optional.
MATCHER_PATTERN = r'^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*("([^"\\]|\\.)*"|[^"\s,{}]*)\s*$'

# What each constrained pattern means, in words, for diagnostics.
PATTERN_MEANINGS = {
    NAME_PATTERN: "lower-case letters, digits and dashes, starting and ending with a letter or digit, "
    "at most 40 characters",
    LABEL_NAME_PATTERN: "a Prometheus label name: letters, digits and underscores, not starting with a digit",
    ALERT_NAME_PATTERN: "an alert name: letters, digits and underscores, not starting with a digit "
    "(for example HighErrorRatio)",
    RECORD_NAME_PATTERN: "a metric name: letters, digits, underscores and colons",
    SHORTCUT_PATTERN: "lower-case letters, digits and underscores, starting with a letter",
    DURATION_PATTERN: "a Prometheus duration such as 30s, 5m or 1h30m",
    RECEIVER_NAME_PATTERN: "lower-case letters, digits, `-` and `_` (Alertmanager escapes anything else "
    "in webhook payloads)",
    TIME_RANGE_PATTERN: "a time range such as 09:00-17:30 (24-hour clock)",
    MATCHER_PATTERN: 'an Alertmanager matcher such as severity="critical" or service=~"cart|checkout"',
}

SECRET_KEYS = re.compile(
    r"^(password|passwd|auth_password|auth_secret|secret|token|api_key|apikey|bearer_token|credentials|"
    r"auth_token|service_key|routing_key|api_url|webhook_url)$"
)
"""Keys whose values are secrets: definitions must name a file instead (`<key>_file`)."""


class BasicAuth(SpecModel):
    """HTTP basic authentication; the password is read from a file at run time."""

    username: str
    """User name sent with every request."""
    password_file: str
    """Path (as seen by the server) of a file holding the password. Never write the password itself."""


class Authorization(SpecModel):
    """The HTTP `Authorization` header, with credentials read from a file."""

    type: str = "Bearer"
    """Authentication scheme, `Bearer` unless the target expects another."""
    credentials_file: str
    """Path (as seen by the server) of a file holding the token."""


class TLSConfig(SpecModel):
    """TLS settings for HTTPS targets (Prometheus `tls_config`)."""

    ca_file: str | None = None
    """CA certificate used to verify the server."""
    cert_file: str | None = None
    """Client certificate for mutual TLS."""
    key_file: str | None = None
    """Client key for mutual TLS."""
    server_name: str | None = None
    """Server name to verify the certificate against, when it differs from the target host."""
    insecure_skip_verify: bool = False
    """Skip certificate verification. Only for tests; a check warns about it."""
