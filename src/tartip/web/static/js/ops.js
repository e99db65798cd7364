// The supervisor's console: scouts (last known position) and their routes, open tasks, open
// violations and the duty zones' coverage, read from the public API; a task is reassigned by
// clicking it and choosing a scout (POST /api/v1/ops/tasks/{id}/assign, pinned).
/* global L */
const REFRESH_MS = 10_000;
const STATE_COLOURS = { new: "#d62828", assigned: "#f77f00", accepted: "#1982c4", in_progress: "#2a9d8f" };
const COVERAGE_COLOURS = { covered: "#1e8e3e", expected: "#f5b800", uncovered: "#c0392b" };

const box = document.getElementById("ops-map");
const S = JSON.parse(document.getElementById("ops-strings").textContent);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const map = L.map(box).setView([Number(box.dataset.cityLat), Number(box.dataset.cityLon)], 13);
L.tileLayer(box.dataset.tileUrl, { attribution: box.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
const layers = {
  zones: L.layerGroup().addTo(map),
  violations: L.layerGroup().addTo(map),
  routes: L.layerGroup().addTo(map),
  tasks: L.layerGroup().addTo(map),
  scouts: L.layerGroup().addTo(map),
};
const data = { scouts: [], tasks: [], selected: null };

async function get(path) {
  const r = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

function li(text, attrs = {}) {
  const item = document.createElement("li");
  item.textContent = text;
  for (const [k, v] of Object.entries(attrs)) item.dataset[k] = v;
  return item;
}

function drawCoverage(zones) {
  layers.zones.clearLayers();
  const list = document.getElementById("coverage");
  list.replaceChildren(...zones.map((z) => {
    const item = li(`${z.name}: ${S.coverage[z.state]}${z.scouts.length ? ` (${z.scouts.join(", ")})` : ""}`, { testid: "coverage-item", state: z.state });
    item.className = `cov-${z.state}`;
    return item;
  }));
  for (const z of zones) {
    L.geoJSON(z.geometry, { style: { color: COVERAGE_COLOURS[z.state], weight: 2, fillOpacity: 0.08 } })
      .bindTooltip(`${z.name}: ${S.coverage[z.state]}`).addTo(layers.zones);
  }
}

function drawScouts(scouts) {
  layers.scouts.clearLayers();
  layers.routes.clearLayers();
  const list = document.getElementById("scouts");
  list.replaceChildren(...scouts.map((s) => li(
    `${s.name} · ${s.checked_in ? S.checked_in : S.not_checked_in} · ${s.task_ids.length}`, { testid: "scout-item", userId: String(s.user_id) },
  )));
  for (const s of scouts) {
    if (s.lon == null) continue;
    const icon = L.divIcon({ className: "", html: `<div class="scout-dot ${s.checked_in ? "" : "off"}" data-testid="scout-marker"></div>`, iconSize: [14, 14] });
    L.marker([s.lat, s.lon], { icon }).bindTooltip(s.name).addTo(layers.scouts);
    if (s.route.length) {
      L.polyline([[s.lat, s.lon], ...s.route.map(([lon, lat]) => [lat, lon])], { color: "#14213d", weight: 2, dashArray: "4 4" }).addTo(layers.routes);
    }
  }
}

function select(task) {
  data.selected = task;
  const holder = document.getElementById("assign-box");
  const choose = document.createElement("select");
  choose.dataset.testid = "assign-select";
  choose.append(new Option(S.pool, ""));
  for (const s of data.scouts) choose.append(new Option(s.name, String(s.user_id), false, s.user_id === task.scout?.id));
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = S.assign;
  button.dataset.testid = "assign-button";
  button.onclick = () => assign(task, choose.value ? Number(choose.value) : null);
  const title = document.createElement("p");
  title.textContent = `#${task.id} ${task.title || S.kinds[task.kind]}${task.explanation ? ` — ${S.why}: ${task.explanation}` : ""}`;
  holder.replaceChildren(title, choose, button);
}

async function assign(task, scoutId) {
  const r = await fetch(`/api/v1/ops/tasks/${task.id}/assign`, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ scout_id: scoutId, pinned: true }),
  });
  const body = await r.json();
  if (!r.ok) window.alert(body.message);
  refresh();
}

function drawTasks(tasks) {
  layers.tasks.clearLayers();
  const list = document.getElementById("task-list");
  list.replaceChildren(...tasks.map((t) => {
    const item = li(`#${t.id} ${t.title || S.kinds[t.kind]} · ${S.states[t.state] || t.state} · ${t.scout ? t.scout.name : S.unassigned}${t.pinned ? " 📌" : ""}`, { testid: "console-task", taskId: String(t.id) });
    item.onclick = () => select(t);
    return item;
  }));
  for (const t of tasks) {
    const icon = L.divIcon({ className: "", html: `<div class="task-dot" style="background:${STATE_COLOURS[t.state] || "#555"}"></div>`, iconSize: [12, 12] });
    L.marker([t.lat, t.lon], { icon }).bindTooltip(`#${t.id} ${t.title}`).on("click", () => select(t)).addTo(layers.tasks);
  }
}

function drawViolations(collection) {
  layers.violations.clearLayers();
  L.geoJSON(collection, {
    pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 4, color: "#6a4c93", weight: 1, fillOpacity: 0.6 }),
  }).addTo(layers.violations);
}

async function refresh() {
  const [coverage, scouts, tasks, violations] = await Promise.all([
    get("/api/v1/ops/coverage"),
    get("/api/v1/ops/scouts/live"),
    get("/api/v1/ops/tasks?open_only=true&size=1000"),
    get("/api/v1/violations?size=1000").catch(() => ({ type: "FeatureCollection", features: [] })),
  ]);
  data.scouts = scouts;
  data.tasks = tasks.items;
  drawCoverage(coverage);
  drawScouts(scouts);
  drawTasks(tasks.items);
  drawViolations(violations);
  box.dataset.ready = "true";
}

refresh().catch((e) => console.warn(e));
setInterval(() => refresh().catch((e) => console.warn(e)), REFRESH_MS);
