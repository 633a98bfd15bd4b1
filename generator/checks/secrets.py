"""Secret files: where definitions point, the file must exist on the host that runs the stack.

amtool and promtool do not check these paths, and Alertmanager refuses to start when one is
missing (TOOL-FACTS). The check runs only where the secrets are present, that is when at least one
referenced file exists here: then every other one must exist too (a typo, a file not mounted).
On a CI machine without any of them it reports nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from generator.checks import Finding, check
from generator.diagnostics import Location, Severity
from generator.model import HTTPClient, Model


def _client_files(client: HTTPClient) -> Iterator[str]:
    if client.basic_auth is not None:
        yield client.basic_auth.password_file
    if client.authorization is not None:
        yield client.authorization.credentials_file
    if client.tls is not None:
        yield from (f for f in (client.tls.ca_file, client.tls.cert_file, client.tls.key_file) if f)


def secret_files(model: Model) -> list[tuple[str, Location]]:
    """Every file path the generated configuration reads at run time, with where it was defined."""
    found: list[tuple[str, Location]] = []
    server = model.prometheus
    for job in model.scrape_jobs:
        found += [(f, job.location) for f in _client_files(job.http)]
    for target in server.alertmanagers:
        found += [(f, server.location) for f in _client_files(target.http)]
    for remote in server.remote_write:
        found += [(f, server.location) for f in _client_files(remote.http)]
    config = model.alertmanager
    if config is not None:
        for path in (
            config.smtp.auth_password_file if config.smtp else None,
            config.slack_api_url_file,
            config.history.credentials_file if config.history else None,
        ):
            if path:
                found.append((path, config.location))
        for receiver in config.receivers:
            found += [(s.api_url_file, receiver.location) for s in receiver.slack if s.api_url_file]
            found += [(p.routing_key_file, receiver.location) for p in receiver.pagerduty]
            found += [(w.credentials_file, receiver.location) for w in receiver.webhook if w.credentials_file]
    return found


@check("secrets/files-exist", Severity.ERROR)
def files_exist(model: Model) -> Iterator[Finding]:
    """Where the secret files are present (the stack's host), every referenced one exists."""
    files = secret_files(model)
    present = {path for path, _ in files if Path(path).is_file()}
    if not present:
        return
    for path, location in files:
        if path not in present:
            yield Finding(
                location,
                f"secret file {path} does not exist on this host, though "
                f"{len(present)} other referenced file(s) do",
                hint="Alertmanager and Prometheus refuse to start, or fail every request, without it",
            )
