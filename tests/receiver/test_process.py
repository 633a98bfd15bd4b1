"""End to end with real processes: Debian's Alertmanager 0.25 posts to `python -m receiver` on
127.0.0.1; acks silence Alertmanager; escalation re-posts to it; `kill -9` under load loses
no delivery that was answered 2xx."""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.receiver.processes import (
    free_port,
    get_json,
    post_json,
    start_alertmanager,
    start_receiver,
    stop,
    wait_for,
)

pytestmark = pytest.mark.tools

TOKEN = "s3cr3t-token-from-file"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_real_alertmanager_delivers_acks_silence_and_escalation_reposts(tmp_path: Path) -> None:
    receiver_dir, am_dir = tmp_path / "receiver", tmp_path / "am"
    receiver_dir.mkdir()
    am_dir.mkdir()
    token_file = am_dir / "token"
    token_file.write_text(TOKEN + "\n")
    # The receiver must know Alertmanager's port before it starts, and Alertmanager the receiver's.
    am_port = free_port()
    receiver, base = start_receiver(
        receiver_dir,
        f"sqlite:///{receiver_dir / 'r.db'}",
        {
            "alertmanager_url": f"http://127.0.0.1:{am_port}",
            "tick": "1s",
            "reconcile_interval": "1s",
            "escalation": [
                {"name": "pay", "match": {"team": "payments"}, "steps": [{"target": "boss", "wait": "1s"}]}
            ],
        },
        token=TOKEN,
    )
    webhook = {
        "url": f"{base}/webhook",
        "send_resolved": True,
        "http_config": {"authorization": {"credentials_file": str(token_file)}},
    }
    config = {
        "route": {
            "receiver": "receiver",
            "group_by": ["alertname", "escalation_level"],
            "group_wait": "100ms",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [{"name": "receiver", "webhook_configs": [webhook]}],
    }
    am = None
    try:
        am, am_base = start_alertmanager(am_dir, config, port=am_port)
        now = datetime.now(UTC)
        alerts = [
            {"labels": {"alertname": "CartDown", "team": "payments", "instance": name}, "startsAt": _iso(now)}
            for name in ("a", "b")
        ]
        post_json(f"{am_base}/api/v2/alerts", alerts)

        def active() -> list[dict[str, Any]]:
            return list(get_json(f"{base}/api/alerts/active?team=payments")["data"]["alerts"])

        incidents = wait_for(lambda: len(active()) == 2 and active(), "both alerts as incidents")
        notes = get_json(f"{base}/api/notifications")["data"]["notifications"]
        assert notes[-1]["externalURL"].startswith("http://") and notes[-1]["status"] == "firing"

        # Escalation: the receiver re-posts each alert with escalation_level=1 to Alertmanager.
        def escalated() -> list[dict[str, Any]]:
            return [
                a for a in get_json(f"{am_base}/api/v2/alerts") if a["labels"].get("escalation_level") == "1"
            ]

        copies = wait_for(lambda: len(escalated()) == 2 and escalated(), "escalation copies in Alertmanager")
        assert {c["labels"]["escalation_target"] for c in copies} == {"boss"}
        # ... which Alertmanager routes back; they are linked to their incidents, not new ones.
        wait_for(
            lambda: all(i["notificationCount"] >= 2 for i in active()),
            "escalation copies linked to incidents",
        )
        assert len(active()) == 2

        # Ack one incident with a silence: Alertmanager holds an ACK! silence for exactly that alert.
        first = incidents[0]
        status, acked = post_json(
            f"{base}/api/alerts/{first['id']}/ack", {"who": "ann", "comment": "on it", "silence": "1h"}, TOKEN
        )
        assert status == 200 and acked["data"]["acknowledgedBy"] == "ann"
        silences = get_json(f"{am_base}/api/v2/silences")
        (silence,) = [s for s in silences if s["id"] == acked["data"]["silenceId"]]
        assert silence["comment"] == "ACK! on it" and silence["status"]["state"] == "active"
        assert {m["name"]: m["value"] for m in silence["matchers"]} == first["labels"]
        # The acked incident's escalation copy is resolved in Alertmanager; the other stays.
        wait_for(
            lambda: [c["labels"]["escalation_incident"] for c in escalated()] == [str(incidents[1]["id"])],
            "the acked incident's escalation copy resolved in Alertmanager",
        )

        # Resolve both in Alertmanager: the unsilenced one resolves by notification; the silenced
        # one gets no notification (alertmanager issue 226) and is closed by reconciling.
        resolved = [{**a, "endsAt": _iso(datetime.now(UTC) - timedelta(seconds=1))} for a in alerts]
        post_json(f"{am_base}/api/v2/alerts", resolved)
        wait_for(lambda: active() == [], "both incidents closed", timeout=90)
        history = get_json(f"{base}/api/alerts/history?status=resolved")["data"]["alerts"]
        assert len(history) == 2
        timeline = get_json(f"{base}/api/alerts/{first['id']}")["data"]
        kinds = [event["kind"] for event in timeline["events"]]
        assert "ack" in kinds and "escalation" in kinds
    finally:
        if am is not None:
            stop(am)
        stop(receiver)


def _post_until_killed(base: str, prefix: str, acknowledged: list[str], stop_at: float) -> None:
    """Post distinct deliveries on one keep-alive connection; remember those answered 2xx."""
    import http.client

    from tests.receiver.conftest import alert, body

    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    number = 0
    while time.monotonic() < stop_at:
        group_key = f"{prefix}-{number}"
        number += 1
        try:
            connection.request("POST", "/webhook", body(alert(group_key), group_key=group_key))
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            return  # the receiver was killed: this delivery got no answer, so it may be lost
        if 200 <= response.status < 300:
            acknowledged.append(group_key)


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_kill_9_during_sustained_load_loses_no_acknowledged_delivery(
    tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}" if store == "sqlite" else request.getfixturevalue("pg_url")
    receiver, base = start_receiver(tmp_path, url)
    acknowledged: list[str] = []
    stop_at = time.monotonic() + 10
    clients = [
        threading.Thread(target=_post_until_killed, args=(base, f"c{n}", acknowledged, stop_at))
        for n in range(6)
    ]
    try:
        for client in clients:
            client.start()
        wait_for(lambda: len(acknowledged) > 300, "sustained load", timeout=10)
        os.kill(receiver.pid, signal.SIGKILL)
        receiver.wait()
        for client in clients:
            client.join()
    finally:
        stop(receiver)
    assert receiver.returncode == -signal.SIGKILL
    restarted, base = start_receiver(tmp_path, url)
    try:
        stored: set[str] = set()
        offset = 0
        while True:
            page = get_json(f"{base}/api/notifications?limit=10000&offset={offset}")["data"]["notifications"]
            stored.update(note["groupKey"] for note in page)
            offset += len(page)
            if not page:
                break
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} deliveries answered 2xx were lost"
    finally:
        stop(restarted)


def test_the_command_line_refuses_bad_settings(tmp_path: Path) -> None:
    from receiver.__main__ import main

    bad = tmp_path / "bad.yml"
    bad.write_text("escalation: [{name: x, steps: []}]\nunknown_key: 1\n")
    assert main(["--listen", "127.0.0.1:0", "--config", str(bad)]) == 2
    empty = tmp_path / "empty.token"
    empty.write_text("\n")
    assert main(["--listen", "127.0.0.1:0", "--token-file", str(empty)]) == 2
    assert main(["--listen", "127.0.0.1:0", "--database", "mysql://x/y"]) == 1
    with pytest.raises(SystemExit) as exited:
        main(["--listen", "no-port"])
    assert exited.value.code == 2


def test_settings_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from receiver.__main__ import parser

    monkeypatch.setenv("RECEIVER_LISTEN", "0.0.0.0:9999")
    monkeypatch.setenv("RECEIVER_DATABASE", "postgresql://db/receiver")
    monkeypatch.setenv("RECEIVER_TOKEN_FILE", "/run/secrets/token")
    args = parser().parse_args([])
    assert (args.database, str(args.token_file)) == ("postgresql://db/receiver", "/run/secrets/token")
    assert args.listen in ("0.0.0.0:9999", ("0.0.0.0", 9999))
    assert parser().parse_args(["--database", "sqlite:///x.db"]).database == "sqlite:///x.db"


def test_an_ha_pair_of_real_alertmanagers_is_stored_once(tmp_path: Path) -> None:
    """Two Alertmanagers given the same alert by Prometheus (same labels, same startsAt) both
    notify; the receiver keeps one delivery and one incident."""
    receiver, base = start_receiver(tmp_path, f"sqlite:///{tmp_path / 'r.db'}")
    route = {"receiver": "r", "group_by": ["alertname"], "group_wait": "100ms", "group_interval": "1s"}
    config = {"route": route, "receivers": [{"name": "r", "webhook_configs": [{"url": f"{base}/webhook"}]}]}
    peers = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            peers.append(start_alertmanager(tmp_path / name, config))
        alert = {"labels": {"alertname": "HADup", "team": "payments"}, "startsAt": _iso(datetime.now(UTC))}
        for _, peer_base in peers:
            post_json(f"{peer_base}/api/v2/alerts", [alert])

        def senders() -> set[str]:
            notes = get_json(f"{base}/api/notifications")["data"]["notifications"]
            return {note["externalURL"] for note in notes}

        wait_for(lambda: len(senders()) == 1, "a delivery")
        metrics = ""
        deadline = time.monotonic() + 20
        while 'receiver_deliveries_total{outcome="duplicate"} 1' not in metrics:
            assert time.monotonic() < deadline, "the second peer's delivery never arrived"
            time.sleep(0.1)
            with urllib.request.urlopen(f"{base}/metrics", timeout=5) as answer:
                metrics = answer.read().decode()
        assert get_json(f"{base}/api/notifications")["data"]["total"] == 1
        assert get_json(f"{base}/api/alerts/history")["data"]["total"] == 1
    finally:
        for process, _ in peers:
            stop(process)
        stop(receiver)


def test_the_dead_mans_switch_alarms_through_the_fallback_webhook(tmp_path: Path) -> None:
    """Receiver A expects the Watchdog every second; when it stops, A tells the fallback (here a
    second receiver, B) and shows it on /metrics; when it returns, B's incident resolves."""
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    fallback, fallback_base = start_receiver(tmp_path / "b", f"sqlite:///{tmp_path / 'b' / 'r.db'}")
    config = {
        "tick": "1s",
        "watchdog": {"interval": "1s", "grace": "1s", "fallback_url": f"{fallback_base}/webhook"},
    }
    watched, base = start_receiver(tmp_path / "a", f"sqlite:///{tmp_path / 'a' / 'r.db'}", config)
    try:
        from tests.receiver.conftest import alert, body

        watchdog = orjson.loads(body(alert("wd", alertname="Watchdog", severity="none"), group_key="wd"))
        post_json(f"{base}/webhook", watchdog)

        def metric() -> str:
            with urllib.request.urlopen(f"{base}/metrics", timeout=5) as answer:
                text = answer.read().decode()
            return next(line for line in text.splitlines() if line.startswith("receiver_watchdog_missing "))

        assert metric() == "receiver_watchdog_missing 0"
        alarms = wait_for(
            lambda: get_json(f"{fallback_base}/api/alerts/active")["data"]["alerts"],
            "the alarm at the fallback",
        )
        assert alarms[0]["rule"] == "DeadMansSwitch" and alarms[0]["labels"]["watchdog"] == "Watchdog"
        assert metric() == "receiver_watchdog_missing 1"
        post_json(f"{base}/webhook", {**watchdog, "groupKey": "wd-again"})
        wait_for(
            lambda: get_json(f"{fallback_base}/api/alerts/history?status=resolved")["data"]["total"] == 1,
            "the all-clear at the fallback",
        )
        # The alarm and its all-clear made one incident there (same fingerprint and startsAt).
        resolved = get_json(f"{fallback_base}/api/alerts/{alarms[0]['id']}")["data"]
        assert resolved["status"] == "resolved" and resolved["notificationCount"] == 2
    finally:
        stop(watched)
        stop(fallback)
