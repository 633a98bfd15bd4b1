"""The small web page at `GET /`: active incidents with ack buttons, history, and one incident's
notification timeline. One self-contained document (no external scripts, styles or fonts, so it
works on an air-gapped network); data comes from the JSON API, and every value is inserted as
text (textContent), never as HTML, so labels and annotations cannot inject markup."""

from __future__ import annotations

PAGE = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alert receiver</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #ddd; }
  tr[data-id] { cursor: pointer; } tr[data-id]:hover { background: #f4f6fa; }
  .critical { color: #b00020; font-weight: bold; } .warning { color: #a66300; }
  #status { color: #666; } #token { width: 18em; }
  #timeline li { margin: 0.2em 0; }
</style>
</head>
<body>
<h1>Alert receiver</h1>
<p><label>Token (for acks): <input id="token" type="password" autocomplete="off"></label>
<span id="status"></span></p>
<h2>Active incidents (<span id="active-total">0</span>)</h2>
<table id="active"><thead><tr><th>id</th><th>rule</th><th>severity</th><th>team</th><th>service</th>
<th>since</th><th>notifications</th><th>escalation</th><th>acknowledged</th><th></th></tr></thead>
<tbody></tbody></table>
<h2>History (<span id="history-total">0</span>)</h2>
<table id="history"><thead><tr><th>id</th><th>rule</th><th>severity</th><th>team</th><th>status</th>
<th>started</th><th>ended</th><th>acknowledged</th></tr></thead><tbody></tbody></table>
<h2>Timeline <span id="timeline-title"></span></h2>
<ul id="timeline"></ul>
<script>
"use strict";
const tokenInput = document.getElementById("token");
tokenInput.value = sessionStorage.getItem("receiver-token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("receiver-token", tokenInput.value));

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function status(text) { document.getElementById("status").textContent = text; }

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": "Bearer " + tokenInput.value},
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const answer = await response.json();
  if (!answer.success) throw new Error(answer.error || response.statusText);
  return answer.data;
}

function button(label, action) {
  const b = document.createElement("button");
  b.textContent = label;
  b.addEventListener("click", async (event) => {
    event.stopPropagation();
    try { await action(); await refresh(); } catch (error) { status(error.message); }
  });
  return b;
}

async function ack(incident) {
  const who = prompt("Acknowledged by:");
  if (!who) return;
  const comment = prompt("Comment:") || "";
  const silence = prompt("Also silence in Alertmanager for (e.g. 2h; empty for no silence):") || null;
  await api("/api/alerts/" + incident.id + "/ack", {who, comment, silence});
}

async function unack(incident) {
  const who = prompt("Withdrawn by:");
  if (who) await api("/api/alerts/" + incident.id + "/unack", {who});
}

async function showTimeline(id) {
  const incident = await api("/api/alerts/" + id);
  document.getElementById("timeline-title").textContent = "#" + id + " " + incident.rule;
  const list = document.getElementById("timeline");
  list.replaceChildren();
  const entries = incident.notifications
    .map(n => [n.receivedAt, "notification " + n.status + " via " + n.receiver + " from " + n.externalURL])
    .concat(incident.events.map(e => [e.at, e.kind + " " + JSON.stringify(e.detail)]));
  entries.sort((a, b) => a[0] < b[0] ? -1 : 1);
  for (const [at, text] of entries) {
    const item = document.createElement("li");
    item.textContent = at + " \\u2014 " + text;
    list.appendChild(item);
  }
}

function fill(tableId, incidents, columns, actions) {
  const body = document.querySelector("#" + tableId + " tbody");
  body.replaceChildren();
  for (const incident of incidents) {
    const row = document.createElement("tr");
    row.dataset.id = incident.id;
    for (const column of columns) cell(row, incident[column], column === "severity" ? incident.severity : "");
    if (actions) {
      const td = cell(row, "");
      td.appendChild(incident.acknowledgedBy
        ? button("Unack", () => unack(incident))
        : button("Ack", () => ack(incident)));
    }
    row.addEventListener("click", () => showTimeline(incident.id).catch(error => status(error.message)));
    body.appendChild(row);
  }
}

async function refresh() {
  const [active, history] = await Promise.all(
    [api("/api/alerts/active?limit=500"), api("/api/alerts/history?limit=50")]);
  document.getElementById("active-total").textContent = active.total;
  document.getElementById("history-total").textContent = history.total;
  fill("active", active.alerts, ["id", "rule", "severity", "team", "service", "startsAt",
    "notificationCount", "escalationLevel", "acknowledgedBy"], true);
  fill("history", history.alerts,
    ["id", "rule", "severity", "team", "status", "startsAt", "endsAt", "acknowledgedBy"], false);
  status("updated " + new Date().toISOString());
}

refresh().catch(error => status(error.message));
setInterval(() => refresh().catch(error => status(error.message)), 10000);
</script>
</body>
</html>
"""
