"""Stage 2, spec: pydantic models of exactly what users write (`extra="forbid"`, documented fields)."""

from generator.spec.alertmanager import (
    Alertmanager,
    Digest,
    InhibitRule,
    Receiver,
    Route,
    RoutingCase,
    RoutingTest,
    TeamRouting,
    TimeInterval,
    TimeRange,
)
from generator.spec.alerts import AbsentAlert, Alert, PromQLAlert, RecordingRule, ThresholdAlert
from generator.spec.dashboard import Dashboard
from generator.spec.documents import KINDS, SINGLETONS, Document, document_adapter
from generator.spec.exporters import BusinessKPIs, PushBridge
from generator.spec.overlay import Overlay, Patch
from generator.spec.prometheus import Prometheus, Settings
from generator.spec.scrape import ScrapeJob, ScrapeOptions
from generator.spec.service import AlertGroup, MetricShortcut, Service
from generator.spec.team import Team

__all__ = [
    "KINDS",
    "SINGLETONS",
    "AbsentAlert",
    "Alert",
    "AlertGroup",
    "Alertmanager",
    "BusinessKPIs",
    "Dashboard",
    "Digest",
    "Document",
    "InhibitRule",
    "MetricShortcut",
    "Overlay",
    "Patch",
    "PromQLAlert",
    "Prometheus",
    "PushBridge",
    "Receiver",
    "RecordingRule",
    "Route",
    "RoutingCase",
    "RoutingTest",
    "ScrapeJob",
    "ScrapeOptions",
    "Service",
    "Settings",
    "Team",
    "TeamRouting",
    "ThresholdAlert",
    "TimeInterval",
    "TimeRange",
    "document_adapter",
]
