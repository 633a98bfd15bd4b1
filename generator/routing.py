"""Alertmanager's routing, evaluated in Python: which receivers an alert with given labels reaches.

Semantics of Alertmanager's `Route.Match` (dispatch/route.go): the root matches everything; a
route matches when all its matchers hold; its children are tried in order and the first matching
child ends the search unless it has `continue`; a matching route whose children all miss delivers
to its own receiver, inherited from the parent when it names none. Time intervals are not
considered (neither does `amtool config routes test`).
"""

from __future__ import annotations

from generator.model import Route


def receivers_for(root: Route, labels: dict[str, str]) -> list[str]:
    """The receivers, in order, that an alert with `labels` is sent to."""
    found = _visit(root, labels, root.receiver or "")
    return found or [root.receiver or ""]


def _visit(route: Route, labels: dict[str, str], inherited: str) -> list[str] | None:
    if not all(matcher.matches(labels) for matcher in route.matchers):
        return None
    receiver = route.receiver or inherited
    matched: list[str] = []
    for child in route.routes:
        found = _visit(child, labels, receiver)
        if found is not None:
            matched.extend(found)
            if not child.continue_:
                break
    return matched or [receiver]


def walk(root: Route) -> list[Route]:
    """Every route of the tree, depth first."""
    out = [root]
    for child in root.routes:
        out.extend(walk(child))
    return out
