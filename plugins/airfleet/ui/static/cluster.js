// The Cluster page: fetches ../api/cluster every few seconds and renders it. Times arrive
// formatted by the server in the zone asked for (?tz=), so the cluster's zone, UTC and this
// browser's zone all use one set of rules (Python's zoneinfo) and show the same offsets.
"use strict";

const REFRESH_MS = 10000;
const TIMEOUT_MS = 30000;  // a slow answer shows as an error; the next refresh tries again
const STORAGE_KEY = "airfleet.cluster.zone";
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const select = document.getElementById("zone");

// ?tz= in the address (a shared link) wins over the zone this browser chose last time.
function initialChoice() {
  const linked = new URLSearchParams(location.search).get("tz");
  if (linked) {
    if (!["cluster", "UTC", "browser"].includes(linked)) {
      select.add(new Option(linked, linked));
    }
    return linked;
  }
  return localStorage.getItem(STORAGE_KEY) || "cluster";
}

function zoneParam(choice) {
  if (choice === "cluster") return null;
  return choice === "browser" ? browserZone : choice;
}

// Reloads with ?tz= in the address: the Airflow UI mirrors the embedded page's address into its
// own when the page loads, so the UI's link keeps the zone.
function switchZone(choice) {
  localStorage.setItem(STORAGE_KEY, choice);
  const url = new URL(location.href);
  if (choice === "cluster") url.searchParams.delete("tz");
  else url.searchParams.set("tz", choice);
  location.replace(url);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function timeCell(stamp) {
  if (!stamp) return el("td", { class: "empty" }, "—");
  const time = el("time", { datetime: stamp.utc, title: `${stamp.utc} (${stamp.abbreviation})` },
    stamp.local, " ", el("span", { class: "offset" }, `UTC${stamp.offset}`));
  return el("td", {}, time);
}

function stateBadge(state) {
  return el("span", { class: `state ${state || "none"}` }, state || "none");
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

// Links to Airflow pages open in the whole UI, not inside this frame; links to Flower open in a
// new tab. The UI's frame sandbox forbids both from here, so the click is made by an anchor in
// the (same-origin) parent page. Opened on its own, the page just follows the link.
function openOutside(event) {
  const link = event.target.closest("a[data-outside]");
  if (!link || window.top === window || event.button !== 0) return;
  try {
    const anchor = window.top.document.createElement("a");
    anchor.href = link.href;
    if (link.dataset.outside === "tab") {
      anchor.target = "_blank";
      anchor.rel = "noopener";
    }
    window.top.document.body.append(anchor);
    anchor.click();
    anchor.remove();
    event.preventDefault();
  } catch (error) {
    // not same-origin after all: follow the link inside the frame
  }
}

function airflowUrl(path) {
  // The page lives at <base>/airfleet/cluster/; Airflow's UI at <base>/.
  return new URL(`../../${path}`, location.href).href;
}

function logLink(task) {
  return el("a", { href: airflowUrl(task.log), "data-outside": "page" }, "log");
}

function fill(tableId, rows, columns, empty) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...rows.map((row) => el("tr", row.attrs, ...row.cells)));
  if (rows.length === 0) {
    body.append(el("tr", {}, el("td", { class: "empty", colspan: String(columns) }, empty)));
  }
}

function renderWorkers(data) {
  const flower = document.getElementById("flower");
  flower.href = data.flower_url || "#";
  flower.hidden = !data.flower_url;
  const error = document.getElementById("workers-error");
  error.hidden = !data.workers_error;
  error.textContent = data.workers_error || "";
  fill("workers", data.workers.map((w) => ({
    attrs: { "data-node": w.node },
    cells: [
      el("td", {}, w.flower ? el("a", { href: w.flower, "data-outside": "tab" }, w.node) : w.node,
        w.answering ? null : el("span", { class: "state silent", title: "did not answer the broker" }, "silent")),
      el("td", { class: "hostname" }, w.hostname),
      el("td", {}, w.queues.join(", ") || "—"),
      el("td", { class: "running" }, w.concurrency ? `${w.running} / ${w.concurrency}` : String(w.running)),
      el("td", {}, w.tasks.length ? el("ul", { class: "tasks" }, ...w.tasks.map((t) =>
        el("li", {}, `${t.dag_id}.${t.task_id} `, logLink(t)))) : "—"),
      el("td", { class: "heartbeat" }, age(w.heartbeat_age)),
    ],
  })), 6, "No worker answered.");
}

function renderTasks(data) {
  fill("tasks", data.tasks.map((t) => ({
    attrs: { "data-dag-id": t.dag_id, "data-task-id": t.task_id, "data-run-id": t.run_id },
    cells: [
      el("td", {}, t.dag_id),
      el("td", {}, t.map_index >= 0 ? `${t.task_id} [${t.map_index}]` : t.task_id),
      el("td", {}, t.run_id),
      el("td", {}, stateBadge(t.state)),
      timeCell(t.start),
      el("td", { class: "host" }, t.host || (t.state === "deferred" ? "waiting for a triggerer" : "—")),
      el("td", { class: "worker" }, t.worker || "—"),
      el("td", {}, logLink(t)),
    ],
  })), 8, "Nothing is running or deferred.");
  const more = document.getElementById("tasks-more");
  more.hidden = data.tasks_total <= data.tasks.length;
  more.textContent = `${data.tasks_total - data.tasks.length} more not shown.`;
}

function renderDags(data) {
  fill("dags", data.dags.map((d) => {
    const run = d.last_run;
    return {
      attrs: { "data-dag-id": d.dag_id },
      cells: [
        el("td", {}, d.dag_id, d.paused ? el("span", { class: "paused" }, "paused") : null),
        el("td", {}, d.schedule || "—"),
        el("td", {}, run ? stateBadge(run.state) : "—"),
        timeCell(run && (run.start || run.run_after)),
        timeCell(run && run.end),
        timeCell(d.next_run),
      ],
    };
  }), 6, "No DAGs.");
}

function renderZones(data) {
  select.options[0].text = `the cluster's zone (${data.cluster_zone.name})`;
  select.options[2].text = `this browser's zone (${browserZone})`;
  document.getElementById("zone-label").textContent =
    `${data.zone.name}, UTC${data.zone.offset} now (${data.zone.abbreviation})`;
}

let timer = null;

async function refresh() {
  clearTimeout(timer);
  const status = document.getElementById("status");
  const tz = zoneParam(select.value);
  try {
    const response = await fetch(`../api/cluster${tz ? `?tz=${encodeURIComponent(tz)}` : ""}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      const detail = await response.json().then((body) => body.detail, () => response.statusText);
      throw new Error(response.status === 401 ? "not logged in: log in to Airflow and reload" : `${response.status}: ${detail}`);
    }
    const data = await response.json();
    renderZones(data);
    renderWorkers(data);
    renderTasks(data);
    renderDags(data);
    status.className = "";
    status.replaceChildren("Updated ", el("time", { datetime: data.now.utc }, data.now.local, " ",
      el("span", { class: "offset" }, `UTC${data.now.offset}`)), ` · every ${REFRESH_MS / 1000} s`);
    document.body.dataset.loaded = data.zone.name;
  } catch (error) {
    status.className = "error";
    status.textContent = `Could not load the cluster's state: ${error.message}`;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

// Inside the UI, follow its light/dark mode; on its own, the system's.
function followColorMode() {
  let dark = matchMedia("(prefers-color-scheme: dark)").matches;
  try {
    if (window.top !== window) dark = window.top.document.documentElement.classList.contains("dark");
  } catch (error) {
    // not same-origin: keep the system's mode
  }
  document.documentElement.classList.toggle("dark", dark);
}

select.value = initialChoice();
if (!select.value) select.value = "cluster";  // a stale stored choice
select.addEventListener("change", () => switchZone(select.value));
document.addEventListener("click", openOutside);
followColorMode();
refresh();
