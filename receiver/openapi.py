"""The receiver's HTTP API as an OpenAPI 3.0 document, served at GET /openapi.json.

It describes what clients may send (Alertmanager's webhook payload, version 4, from
https://prometheus.io/docs/alerting/latest/configuration/#webhook_config, and the query and ack
APIs) so that tools can generate clients, and so that the tests can fuzz every operation with
schemathesis: nothing a client sends may produce a 5xx.
"""

from __future__ import annotations

from typing import Any

from receiver.queries import MAX_LIMIT

_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_TIME = {"type": "string", "description": "RFC 3339 time"}
_ALERT = {
    "type": "object",
    "required": ["status", "labels", "startsAt"],
    "properties": {
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "labels": _STRINGS,
        "annotations": _STRINGS,
        "startsAt": _TIME,
        "endsAt": _TIME,
        "generatorURL": {"type": "string"},
        "fingerprint": {"type": "string"},
    },
}
_WEBHOOK = {
    "type": "object",
    "required": ["version", "groupKey", "status", "receiver", "alerts"],
    "properties": {
        "version": {"type": "string", "enum": ["4"]},
        "groupKey": {"type": "string"},
        "truncatedAlerts": {"type": "integer", "minimum": 0},
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "receiver": {"type": "string"},
        "groupLabels": _STRINGS,
        "commonLabels": _STRINGS,
        "commonAnnotations": _STRINGS,
        "externalURL": {"type": "string"},
        "alerts": {"type": "array", "items": _ALERT},
    },
}
_ENVELOPE = {
    "type": "object",
    "required": ["success"],
    "properties": {"success": {"type": "boolean"}, "data": {"type": "object"}, "error": {"type": "string"}},
}


def _page() -> list[dict[str, Any]]:
    return [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ]


def _filters() -> list[dict[str, Any]]:
    text = {"type": "string"}
    return [
        *({"name": name, "in": "query", "schema": text} for name in ("team", "service", "severity")),
        {"name": "since", "in": "query", "schema": _TIME},
        {"name": "until", "in": "query", "schema": _TIME},
        *_page(),
    ]


def _json(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ENVELOPE}}}


_ERRORS = {
    "400": _json("bad request"),
    "401": _json("bearer token missing or wrong"),
    "404": _json("no such incident"),
    "413": _json("body too large"),
}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def openapi_document() -> dict[str, Any]:
    who = {"type": "string", "minLength": 1}
    ack: dict[str, Any] = {
        "type": "object",
        "required": ["who"],
        "properties": {
            "who": who,
            "comment": {"type": "string"},
            "silence": {"type": "string", "description": "also silence in Alertmanager for this long (2h)"},
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Alert receiver", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/webhook": {
                "post": {
                    "summary": "Alertmanager's webhook (payload version 4)",
                    "security": [{"bearer": []}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _WEBHOOK}}},
                    "responses": {"200": _json("stored (durably)"), **_ERRORS},
                }
            },
            "/api/alerts/active": {
                "get": {"parameters": _filters(), "responses": {"200": _json("open incidents"), **_ERRORS}}
            },
            "/api/alerts/history": {
                "get": {
                    "parameters": [
                        *_filters(),
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["firing", "resolved"]},
                        },
                    ],
                    "responses": {"200": _json("incidents"), **_ERRORS},
                }
            },
            "/api/alerts/{id}": {
                "get": {"parameters": [_ID], "responses": {"200": _json("one incident"), **_ERRORS}}
            },
            "/api/alerts/{id}/ack": {
                "post": {
                    "security": [{"bearer": []}],
                    "parameters": [_ID],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": ack}}},
                    "responses": {
                        "200": _json("acknowledged"),
                        "502": _json("Alertmanager refused"),
                        **_ERRORS,
                    },
                }
            },
            "/api/alerts/{id}/unack": {
                "post": {
                    "security": [{"bearer": []}],
                    "parameters": [_ID],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {**ack, "properties": {"who": who}}}},
                    },
                    "responses": {"200": _json("acknowledgement withdrawn"), **_ERRORS},
                }
            },
            "/api/notifications": {
                "get": {
                    "parameters": [
                        {"name": "receiver", "in": "query", "schema": {"type": "string"}},
                        {"name": "since", "in": "query", "schema": _TIME},
                        {"name": "until", "in": "query", "schema": _TIME},
                        *_page(),
                    ],
                    "responses": {"200": _json("deliveries"), **_ERRORS},
                }
            },
            "/health/live": {"get": {"responses": {"200": _json("alive")}}},
            "/health/ready": {
                "get": {"responses": {"200": _json("ready"), "503": _json("database unavailable")}}
            },
            "/metrics": {"get": {"responses": {"200": {"description": "Prometheus text exposition"}}}},
        },
    }
