"""`gen report`: reports people read, computed from what the generated rules record in Prometheus.

- `sla`: per service and SLO, the compliance achieved over a period or a calendar month, the
  error budget consumed and left, the worst days, the alerts that fired (and, from the receiver,
  how fast they were acknowledged and resolved);
- `capacity`: the resources with a forecast alert, ordered by how soon they run out.

Stages: periods (which time window), prometheus (HTTP API client), sla / capacity (figures),
render (Markdown, HTML with inline SVG charts, JSON, CSV).
"""
