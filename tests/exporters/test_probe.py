"""The probe exporter against real local targets: HTTP, HTTPS with real certificates, TCP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exporters.common.config import ConfigError, validate_config
from exporters.common.server import ExporterServer
from exporters.probe.app import make_app
from exporters.probe.certificate import not_after
from exporters.probe.config import ProbeConfig
from tests.exporters.helpers import exporter_process, http, promtool_check_metrics, sample_lines
from tests.exporters.targets import dead_port, http_target, openssl_not_after, self_signed


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    with http_target() as url:
        yield url


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("certs")
    short, short_tls = self_signed(directory, 5)
    long, _ = self_signed(directory, 15000)  # expires after 2049: encoded as GeneralizedTime
    return {"short": short, "short_tls": short_tls, "long": long}


@pytest.fixture(scope="module")
def tls_target(certs: dict[str, Any]) -> Iterator[str]:
    with http_target(certs["short_tls"]) as url:
        yield url


def scrape_probes(probes: list[dict[str, Any]], **settings: Any) -> tuple[dict[str, str], float]:
    config = validate_config({"probes": probes, **settings}, ProbeConfig)
    with ExporterServer(make_app(config)) as server:
        started = time.monotonic()
        status, _, body = http("GET", f"{server.url}/metrics")
        elapsed = time.monotonic() - started
    assert status == 200
    text = body.decode()
    promtool_check_metrics(text)
    return sample_lines(text), elapsed


def value(samples: dict[str, str], metric: str, probe: str) -> str | None:
    matches = [v for k, v in samples.items() if k.startswith(f'{metric}{{probe="{probe}",')]
    return matches[0] if matches else None


def test_http_checks_report_success_status_and_body_match(target: str) -> None:
    samples, _ = scrape_probes(
        [
            {"name": "ok", "http": {"url": f"{target}/ok", "body_regex": "all g..d"}},
            {"name": "chunked", "http": {"url": f"{target}/chunked", "body_regex": "^status: healthy$"}},
            {"name": "head", "http": {"url": f"{target}/ok", "method": "HEAD"}},
            {"name": "unhealthy", "http": {"url": f"{target}/fail"}},
            {"name": "maintenance-ok", "http": {"url": f"{target}/fail", "expected_status": [503]}},
            {"name": "wrong-body", "http": {"url": f"{target}/ok", "body_regex": "^healthy$"}},
            {"name": "dead", "http": {"url": f"http://127.0.0.1:{dead_port()}/"}},
        ]
    )
    success = {name: value(samples, "probe_success", name) for name in
               ("ok", "chunked", "head", "unhealthy", "maintenance-ok", "wrong-body", "dead")}  # fmt: skip
    assert success == {
        "ok": "1", "chunked": "1", "head": "1", "unhealthy": "0", "maintenance-ok": "1", "wrong-body": "0", "dead": "0"
    }  # fmt: skip
    assert samples[f'probe_http_status_code{{probe="ok",target="{target}/ok"}}'] == "200"
    assert value(samples, "probe_http_status_code", "unhealthy") == "503"
    assert value(samples, "probe_http_status_code", "dead") == "0"
    assert float(value(samples, "probe_duration_seconds", "ok") or "nan") > 0
    assert value(samples, "probe_ssl_earliest_cert_expiry", "ok") is None, "plain HTTP has no certificate"
    assert samples['probe_exporter_scrape_errors_total{collector="probes"}'] == "0"


def test_a_slow_target_times_out_alone_and_never_delays_the_scrape(target: str) -> None:
    probes = [{"name": f"slow-{i}", "timeout": "300ms", "http": {"url": f"{target}/slow"}} for i in range(20)]
    probes.append({"name": "ok", "http": {"url": f"{target}/ok"}})
    samples, elapsed = scrape_probes(probes)
    assert elapsed < 1.5, f"probes must run concurrently, the scrape took {elapsed:.2f}s"
    assert value(samples, "probe_success", "slow-7") == "0"
    assert 0.25 < float(value(samples, "probe_duration_seconds", "slow-7") or 0) < 1.0
    assert value(samples, "probe_success", "ok") == "1"


def test_the_scrape_deadline_caps_every_probe_timeout(target: str) -> None:
    samples, elapsed = scrape_probes(
        [{"name": "slow", "timeout": "10s", "http": {"url": f"{target}/slow"}}], scrape_timeout="500ms"
    )
    assert elapsed < 1.5
    assert value(samples, "probe_success", "slow") == "0"


def test_the_concurrency_gate_queues_probes_and_they_still_finish(target: str) -> None:
    probes = [{"name": f"ok-{i}", "http": {"url": f"{target}/ok"}} for i in range(10)]
    samples, _ = scrape_probes(probes, max_concurrency=2)
    assert [value(samples, "probe_success", f"ok-{i}") for i in range(10)] == ["1"] * 10


def test_https_reports_the_certificate_expiry_and_fails_when_it_is_too_close(
    tls_target: str, certs: dict[str, Any]
) -> None:
    ca = str(certs["short"])
    samples, _ = scrape_probes(
        [
            {"name": "verified", "http": {"url": f"{tls_target}/ok", "ca_file": ca, "tls_expiry_days": 1}},
            {"name": "expiring", "http": {"url": f"{tls_target}/ok", "ca_file": ca, "tls_expiry_days": 10}},
            {"name": "untrusted", "http": {"url": f"{tls_target}/ok"}},
            {"name": "skip-verify", "http": {"url": f"{tls_target}/ok", "insecure_skip_verify": True}},
        ]
    )
    expected_expiry = openssl_not_after(certs["short"])
    assert value(samples, "probe_success", "verified") == "1"
    assert float(value(samples, "probe_ssl_earliest_cert_expiry", "verified") or 0) == expected_expiry
    assert value(samples, "probe_success", "expiring") == "0"
    assert float(value(samples, "probe_ssl_earliest_cert_expiry", "expiring") or 0) == expected_expiry
    assert value(samples, "probe_success", "untrusted") == "0", (
        "a self-signed certificate is not trusted by default"
    )
    assert value(samples, "probe_success", "skip-verify") == "1"
    assert float(value(samples, "probe_ssl_earliest_cert_expiry", "skip-verify") or 0) == expected_expiry


def test_certificate_expiry_reads_both_der_time_encodings(certs: dict[str, Any]) -> None:
    import ssl

    for cert in (certs["short"], certs["long"]):  # UTCTime before 2050, GeneralizedTime after
        der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert not_after(der) == openssl_not_after(cert)
    with pytest.raises(ValueError, match="not a DER certificate"):
        not_after(b"\x02\x01\x00")
    with pytest.raises(ValueError, match="cannot read the certificate's expiry"):
        not_after(b"\x30\x03\x30\x01\x02")


def test_tcp_checks_connect(target: str) -> None:
    port = target.rsplit(":", 1)[1]
    samples, _ = scrape_probes(
        [
            {"name": "open", "tcp": {"address": f"127.0.0.1:{port}"}},
            {"name": "closed", "tcp": {"address": f"127.0.0.1:{dead_port()}"}},
        ]
    )
    assert value(samples, "probe_success", "open") == "1"
    assert value(samples, "probe_success", "closed") == "0"
    assert value(samples, "probe_http_status_code", "open") is None


def test_probe_endpoint_answers_one_target_without_labels_like_the_blackbox_exporter(target: str) -> None:
    dead = dead_port()
    config = validate_config(
        {
            "probes": [
                {"name": "ok", "http": {"url": f"{target}/ok"}},
                {"name": "x", "tcp": {"address": f"127.0.0.1:{dead}"}},
            ]
        },
        ProbeConfig,
    )
    with ExporterServer(make_app(config)) as server:
        status, _, body = http("GET", f"{server.url}/probe?target=ok")
        status_unknown, _, unknown = http("GET", f"{server.url}/probe?target=nope")
        _, _, debug = http("GET", f"{server.url}/probe?target=x&debug=true")
    assert debug.decode().startswith(f"Probe x (127.0.0.1:{dead}) failed: ConnectionRefusedError")
    samples = sample_lines(body.decode())
    assert status == 200
    assert samples["probe_success"] == "1"
    assert samples["probe_http_status_code"] == "200"
    assert "probe_exporter_scrape_duration_seconds_count" not in samples
    assert status_unknown == 400
    assert b"target must name one configured probe (known: ok, x)" in unknown


@pytest.mark.parametrize(
    ("probes", "message"),
    [
        ([{"name": "a"}], "a probe has exactly one of http or tcp"),
        (
            [{"name": "a", "tcp": {"address": "h:1"}, "http": {"url": "http://h/"}}],
            "exactly one of http or tcp",
        ),
        ([{"name": "a", "http": {"url": "ftp://h/"}}], "expected an http:// or https:// URL"),
        ([{"name": "a", "http": {"url": "http://h/", "body_regex": "("}}], "not a valid regular expression"),
        ([{"name": "a", "http": {"url": "http://h/", "method": "get"}}], "HTTP method in capitals"),
        ([{"name": "a", "tcp": {"address": "h"}}], "expected host:port"),
        ([{"name": "a", "tcp": {"address": "h:1"}}, {"name": "a", "tcp": {"address": "h:2"}}], "unique: a"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_config_mistakes_are_reported(probes: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        validate_config({"probes": probes}, ProbeConfig)


def test_the_real_process_probes_on_scrape(target: str, tmp_path: Path) -> None:
    (tmp_path / "probe.yaml").write_text(f"probes:\n  - name: ok\n    http:\n      url: {target}/ok\n")
    with exporter_process("probe", tmp_path / "probe.yaml") as url:
        status, _, body = http("GET", f"{url}/metrics")
        assert status == 200
        assert sample_lines(body.decode())[f'probe_success{{probe="ok",target="{target}/ok"}}'] == "1"
