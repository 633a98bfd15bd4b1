"""The union of every definition kind, told apart by `kind`."""

from __future__ import annotations

import functools
from typing import Annotated

from pydantic import Field, TypeAdapter

from generator.spec.alertmanager import Alertmanager, Receiver, RoutingTest, TimeInterval
from generator.spec.dashboard import Dashboard
from generator.spec.exporters import BusinessKPIs, PushBridge
from generator.spec.overlay import Overlay
from generator.spec.prometheus import Prometheus, Settings
from generator.spec.scrape import ScrapeJob
from generator.spec.service import AlertGroup, Service
from generator.spec.team import Team

Document = Annotated[
    Service
    | AlertGroup
    | Team
    | ScrapeJob
    | Prometheus
    | Settings
    | Overlay
    | Alertmanager
    | Receiver
    | TimeInterval
    | RoutingTest
    | Dashboard
    | BusinessKPIs
    | PushBridge,
    Field(discriminator="kind"),
]


@functools.cache
def document_adapter() -> TypeAdapter[Document]:
    """The union's validator, built on first use: documents of a known kind are validated by
    their own model (`generator.spec.validate`), so most builds never need it."""
    return TypeAdapter(Document)


KINDS: tuple[str, ...] = (
    "Service",
    "AlertGroup",
    "Team",
    "ScrapeJob",
    "Prometheus",
    "Settings",
    "Overlay",
    "Alertmanager",
    "Receiver",
    "TimeInterval",
    "RoutingTest",
    "Dashboard",
    "BusinessKPIs",
    "PushBridge",
)
# Kinds of which a repository holds at most one document.
SINGLETONS = frozenset({"Prometheus", "Settings", "Alertmanager", "BusinessKPIs", "PushBridge"})
