"""Validate raw documents against the spec models and turn pydantic's errors into diagnostics.

A pydantic error carries a path (`('Service', 'alerts', 0, 'threshold', 'for')`), a type and the
input. We map the path back into the positioned tree for `file:line:col`, print the path the way
the user wrote it, and say what was expected in words, with a "did you mean" for typos.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.diagnostics import Diagnostic, Location, quote
from generator.load import IncludeFailed, RawDocument
from generator.source import format_path, locate, step, value_at
from generator.spec.alertmanager import Alertmanager, Receiver, RoutingTest, TimeInterval
from generator.spec.alerts import ALERT_KINDS
from generator.spec.common import PATTERN_MEANINGS, SECRET_KEYS
from generator.spec.dashboard import Dashboard
from generator.spec.documents import KINDS, Document, document_adapter
from generator.spec.exporters import BusinessKPIs, PushBridge
from generator.spec.overlay import Overlay
from generator.spec.prometheus import Prometheus, Settings
from generator.spec.scrape import ScrapeJob
from generator.spec.service import AlertGroup, Service
from generator.spec.team import Team

MODELS: dict[str, type[BaseModel]] = {
    "Service": Service,
    "AlertGroup": AlertGroup,
    "Team": Team,
    "ScrapeJob": ScrapeJob,
    "Prometheus": Prometheus,
    "Settings": Settings,
    "Overlay": Overlay,
    "Alertmanager": Alertmanager,
    "Receiver": Receiver,
    "TimeInterval": TimeInterval,
    "RoutingTest": RoutingTest,
    "Dashboard": Dashboard,
    "BusinessKPIs": BusinessKPIs,
    "PushBridge": PushBridge,
}


@dataclass(frozen=True)
class ParsedDocument:
    """A validated definition with the raw tree it came from (for locations)."""

    raw: RawDocument
    spec: Document

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def location(self) -> Location:
        return self.raw.data.location


def validate(raw: RawDocument) -> tuple[ParsedDocument | None, list[Diagnostic]]:
    """Validate one document; on failure return every problem in it."""
    kind = raw.data.get("kind")
    # A known kind is validated by its own model (the same validator the union would pick, so the
    # same errors); only a missing or unknown kind needs the union, for its message.
    model = MODELS.get(kind) if isinstance(kind, str) else None
    try:
        spec: Document = (
            model.model_validate(raw.data)  # type: ignore[assignment]
            if model is not None
            else document_adapter().validate_python(raw.data)
        )
    except ValidationError as error:
        errors = _relevant(error.errors(include_url=False))
        return None, [_with_origin(raw, _diagnostic(raw, e)) for e in errors]
    return ParsedDocument(raw, spec), []


def _relevant(errors: list[Any]) -> list[Any]:
    """Drop errors that only restate a mistake reported already: a value that stands for a failed
    `!include`, and the missing `password_file` next to an inline `password`."""
    kept = [e for e in errors if not isinstance(e.get("input"), IncludeFailed)]
    secrets = {
        (tuple(e["loc"][:-1]), str(e["loc"][-1]))
        for e in kept
        if e["type"] == "extra_forbidden" and SECRET_KEYS.match(str(e["loc"][-1]))
    }
    if not secrets:
        return kept
    replaced = {(parent, field) for parent, key in secrets for field in (f"{key}_file", "credentials_file")}
    return [
        e
        for e in kept
        if not (e["type"] == "missing" and (tuple(e["loc"][:-1]), str(e["loc"][-1])) in replaced)
    ]


def _with_origin(raw: RawDocument, diagnostic: Diagnostic) -> Diagnostic:
    """A value an overlay patched in is reported in the overlay; say which definition it patched."""
    if diagnostic.location.file in (raw.file, "<unknown>") or raw.index < 0:
        return diagnostic
    origin = f"{raw.data.get('kind')}/{raw.data.get('name', '')}".rstrip("/")
    note = f"this value belongs to {origin} ({raw.file})"
    return dataclasses.replace(diagnostic, hint=f"{diagnostic.hint}; {note}" if diagnostic.hint else note)


def _model_at(kind: str, path: Sequence[str | int]) -> type[BaseModel] | None:
    """The spec model that owns the last key of `path`, for listing its known keys."""
    current: Any = MODELS.get(kind)
    for part in path:
        if current is None:
            return None
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str):
                continue  # a list index: the list was unwrapped to its item model already
            field = _field(current, part)
            if field is None:
                # A union tag (`threshold`) or the key itself: stay on this model.
                continue
            current = _unwrap(field, part)
        else:
            current = None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _unwrap(annotation: Any, tag: str) -> Any:
    """Reduce `list[X] | None`, `dict[str, X]` and tagged unions to the model X."""
    for _ in range(6):
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [
                typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a for a in options
            ]
            models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
            return models[0] if len(models) == 1 else (models or None) and _common_base(models)
        else:
            return annotation
    return annotation


def _common_base(models: list[type[BaseModel]]) -> type[BaseModel]:
    """The alert kinds share `AlertBase`; offer all their keys for typo hints."""
    return models[0].__mro__[1] if all(issubclass(m, models[0].__mro__[1]) for m in models) else models[0]


def known_keys(kind: str, path: Sequence[str | int]) -> list[str]:
    model = _model_at(kind, path)
    if model is None:
        return []
    keys = [info.alias or name for name, info in model.model_fields.items()]
    if model.__name__ == "AlertBase":
        keys += [*ALERT_KINDS, "op", "value", "per", "quantile", "rate", "by", "aggregate"]
    return keys


def _user_path(tree: Any, path: Sequence[str | int]) -> list[str | int]:
    """The path as the user wrote it: parts that are not in the tree (union tags) are dropped,
    except the last one, which names a missing or unknown key."""
    kept: list[str | int] = []
    current = tree
    for index, part in enumerate(path):
        found, child = step(current, part)
        if found:
            current = child
        elif index != len(path) - 1:
            continue
        kept.append(part)
    return kept


def _did_you_mean(value: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _diagnostic(raw: RawDocument, error: Any) -> Diagnostic:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind = str(raw.data.get("kind", ""))
    # Drop the union tag pydantic puts first (the kind) and the dict-key marker.
    path = [p for p in loc if p != "[key]"]
    if path and path[0] == kind:
        path = path[1:]
    user_path = _user_path(raw.data, path)
    shown_path = format_path(user_path)
    kind_of_error: str = error["type"]
    exists, value = value_at(raw.data, user_path)
    if "[key]" in loc and user_path:
        exists, value = True, user_path[-1]  # the key itself is what is wrong

    if kind_of_error == "extra_forbidden":
        key = str(user_path[-1]) if user_path else "?"
        location = locate(raw.data, user_path, key=True)
        if SECRET_KEYS.match(key):
            options = known_keys(kind, user_path[:-1])
            instead = (
                f"`{key}_file`"
                if f"{key}_file" in options
                else (
                    "`authorization: {credentials_file: ...}`"
                    if key in ("token", "bearer_token", "credentials")
                    else "a `*_file` field"
                )
            )
            return Diagnostic(
                location,
                f"{key!r} would put a secret into the definitions",
                path=shown_path,
                hint=f"write the secret to a file and use {instead}, "
                "so it never lands in git or generated files",
            )
        options = known_keys(kind, user_path[:-1])
        hint = _did_you_mean(key, options)
        if not hint and options:
            hint = "known keys here: " + ", ".join(sorted(options))
        return Diagnostic(location, f"unknown key {key!r}", path=shown_path, hint=hint)

    location = locate(raw.data, user_path, key="[key]" in loc)
    ctx = error.get("ctx") or {}
    got = f", got {quote(value)}" if exists and not isinstance(value, dict | list) else ""
    if kind_of_error == "missing":
        field = str(user_path[-1]) if user_path else "?"
        return Diagnostic(location, f"missing required key {field!r}", path=format_path(user_path[:-1]))
    if kind_of_error == "union_tag_invalid":
        tag = str(ctx.get("tag", ""))
        return Diagnostic(
            locate(raw.data, ["kind"]),
            f"unknown kind {quote(tag)}",
            path="kind",
            hint=_did_you_mean(tag, KINDS) or "kinds: " + ", ".join(KINDS),
        )
    if kind_of_error == "union_tag_not_found":
        return Diagnostic(
            location,
            "missing `kind`: every definition says what it is",
            path="kind",
            hint="kinds: " + ", ".join(KINDS),
        )
    if kind_of_error == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
        text = str(value)
        # `=>` for `>=`: a reversed operator is a likelier mistake than the closest spelling.
        hint = f"did you mean {text[::-1]!r}?" if text[::-1] in options else _did_you_mean(text, options)
        return Diagnostic(
            location, f"expected one of {expected}{got}", path=shown_path, hint=hint if exists else ""
        )
    if kind_of_error == "alert_kind":
        given = [k for k in ALERT_KINDS if isinstance(value, dict) and k in value]
        if len(given) > 1:
            return Diagnostic(
                locate(raw.data, [*user_path, given[1]], key=True),
                f"an alert is one kind, but this one gives both `{given[0]}` and `{given[1]}`",
                path=shown_path,
                hint="`metric` makes a threshold alert, `expr` a PromQL alert, `absent` a no-data alert, "
                "`anomaly` a dynamic threshold, `forecast` a capacity forecast; keep one",
            )
        return Diagnostic(
            location,
            str(error["msg"]),
            path=shown_path,
            hint='for example `metric: errors`, `op: ">"`, `value: 0.05`',
        )
    if kind_of_error in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return Diagnostic(location, f"expected a number{got}", path=shown_path)
    if kind_of_error == "less_than" and user_path and user_path[-1] == "objective":
        return Diagnostic(
            location,
            f"an objective must be below 100%{got}",
            path=shown_path,
            hint="100% leaves no error budget, so every single failure would page; "
            "use 99.99 or whatever users truly need",
        )
    if kind_of_error in ("less_than", "greater_than") and user_path and user_path[-1] == "quantile":
        hint = (
            f"a fraction: {quote(float(value) / 100)} for the {value}th percentile"
            if (isinstance(value, int | float) and 1 < value < 100)
            else "a fraction between 0 and 1, such as 0.99"
        )
        return Diagnostic(location, f"a quantile is between 0 and 1{got}", path=shown_path, hint=hint)
    if kind_of_error == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        meaning = PATTERN_MEANINGS.get(pattern, f"text matching {pattern}")
        return Diagnostic(location, f"expected {meaning}{got}", path=shown_path)
    if kind_of_error == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return Diagnostic(location, message, path=shown_path)
    message = str(error["msg"])
    message = message[0].lower() + message[1:] if message else message
    message = message.replace("input should be", "expected").replace("Input should be", "expected")
    return Diagnostic(location, f"{message}{got}", path=shown_path)
