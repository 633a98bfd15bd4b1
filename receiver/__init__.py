"""The Alertmanager webhook receiver: durable notification history, incidents, acknowledgements,
escalation policies and a dead man's switch (issue 7). Run it with `python -m receiver`."""
