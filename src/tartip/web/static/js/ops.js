// The supervisor's console: scouts (last known position) and their routes, open tasks, open
// violations and the duty zones' coverage, read from the public API. A task is reassigned by
// clicking it and choosing a scout, or by dragging it (its row onto a scout's row, or its marker
// onto a scout's marker): POST /api/v1/ops/tasks/{id}/assign, pinned, so the planner keeps it.
// Work in progress is not dragged: the scout is there and finishes it.
/* global L */
const REFRESH_MS = 10_000;
const DROP_PX = 30; // how near a scout's marker a dropped task marker must land
const TASK_TYPE = "application/x-tartip-task";
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
const data = { scouts: [], tasks: [], selected: null, dragging: false };

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
  list.replaceChildren(...scouts.map((s) => dropTarget(li(
    `${s.name} · ${s.checked_in ? S.checked_in : S.not_checked_in} · ${s.task_ids.length}`, { testid: "scout-item", userId: String(s.user_id) },
  ), s)));
  for (const s of scouts) {
    if (s.lon == null) continue;
    const icon = L.divIcon({ className: "", html: `<div class="scout-dot ${s.checked_in ? "" : "off"}" data-testid="scout-marker" data-user-id="${s.user_id}"></div>`, iconSize: [14, 14] });
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
  else {
    const name = data.scouts.find((s) => s.user_id === scoutId)?.name || S.pool;
    const note = document.createElement("p");
    note.dataset.testid = "assign-done";
    note.textContent = `#${task.id} → ${name} 📌`;
    document.getElementById("assign-box").replaceChildren(note);
  }
  refresh();
}

// ---- dragging a task onto a scout --------------------------------------------------------------

const movable = (task) => task.state !== "in_progress";

function draggableRow(item, task) {
  if (!movable(task)) return item;
  item.draggable = true;
  item.addEventListener("dragstart", (event) => {
    data.dragging = true;
    event.dataTransfer.setData(TASK_TYPE, String(task.id));
    event.dataTransfer.setData("text/plain", `#${task.id}`);
    event.dataTransfer.effectAllowed = "move";
  });
  item.addEventListener("dragend", () => { data.dragging = false; });
  return item;
}

function dropTarget(item, scout) {
  const carriesTask = (event) => event.dataTransfer.types.includes(TASK_TYPE);
  item.addEventListener("dragover", (event) => {
    if (!carriesTask(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    item.classList.add("drop-target");
  });
  item.addEventListener("dragleave", () => item.classList.remove("drop-target"));
  item.addEventListener("drop", (event) => {
    item.classList.remove("drop-target");
    if (!carriesTask(event)) return;
    event.preventDefault();
    data.dragging = false;
    const task = data.tasks.find((t) => String(t.id) === event.dataTransfer.getData(TASK_TYPE));
    if (task && task.scout?.id !== scout.user_id) assign(task, scout.user_id);
  });
  return item;
}

function scoutNear(point) {
  let best = null;
  let bestPx = DROP_PX;
  for (const s of data.scouts) {
    if (s.lon == null) continue;
    const px = map.latLngToContainerPoint([s.lat, s.lon]).distanceTo(point);
    if (px <= bestPx) { best = s; bestPx = px; }
  }
  return best;
}

function taskMarker(task) {
  const icon = L.divIcon({ className: "", html: `<div class="task-dot" style="background:${STATE_COLOURS[task.state] || "#555"}" data-testid="task-marker" data-task-id="${task.id}"></div>`, iconSize: [12, 12] });
  const home = L.latLng(task.lat, task.lon);
  const marker = L.marker(home, { icon, draggable: movable(task), autoPan: true }).bindTooltip(`#${task.id} ${task.title}`);
  marker.on("click", () => select(task));
  marker.on("dragstart", () => { data.dragging = true; });
  marker.on("dragend", () => {
    data.dragging = false;
    const scout = scoutNear(map.latLngToContainerPoint(marker.getLatLng()));
    marker.setLatLng(home); // the task stays where the work is; only its scout changes
    if (scout && task.scout?.id !== scout.user_id) assign(task, scout.user_id);
  });
  return marker;
}

function drawTasks(tasks) {
  layers.tasks.clearLayers();
  const list = document.getElementById("task-list");
  list.replaceChildren(...tasks.map((t) => {
    const item = li(`#${t.id} ${t.title || S.kinds[t.kind]} · ${S.states[t.state] || t.state} · ${t.scout ? t.scout.name : S.unassigned}${t.pinned ? " 📌" : ""}`, { testid: "console-task", taskId: String(t.id), scoutId: String(t.scout?.id ?? ""), pinned: String(t.pinned) });
    item.onclick = () => select(t);
    return draggableRow(item, t);
  }));
  for (const t of tasks) taskMarker(t).addTo(layers.tasks);
}

function drawViolations(collection) {
  layers.violations.clearLayers();
  L.geoJSON(collection, {
    pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 4, color: "#6a4c93", weight: 1, fillOpacity: 0.6 }),
  }).addTo(layers.violations);
}

async function refresh() {
  if (data.dragging) return; // redrawing would drop what the supervisor is holding
  const [coverage, scouts, tasks, violations] = await Promise.all([
    get("/api/v1/ops/coverage"),
    get("/api/v1/ops/scouts/live"),
    get("/api/v1/ops/tasks?open_only=true&size=1000"),
    get("/api/v1/violations?size=1000").catch(() => ({ type: "FeatureCollection", features: [] })),
  ]);
  if (data.dragging) return;
  data.scouts = scouts;
  data.tasks = tasks.items;
  drawCoverage(coverage);
  drawScouts(scouts);
  drawTasks(tasks.items);
  drawViolations(violations);
  box.dataset.ready = "true";
}

// A task made by hand: the supervisor clicks the map for its place, then sends the form.
const form = document.getElementById("new-task");
const placeMarker = L.circleMarker([0, 0], { radius: 8, color: "#14213d", fillOpacity: 0.2 });
map.on("click", (event) => {
  form.elements.lon.value = event.latlng.lng.toFixed(6);
  form.elements.lat.value = event.latlng.lat.toFixed(6);
  placeMarker.setLatLng(event.latlng).addTo(map);
  document.getElementById("new-task-place").textContent =
    `${event.latlng.lat.toFixed(5)}, ${event.latlng.lng.toFixed(5)}`;
});
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("new-task-error");
  const f = form.elements;
  if (!f.lon.value) {
    error.textContent = S.pick_place;
    error.hidden = false;
    return;
  }
  const minutes = Number(f.deadline_min.value);
  const body = {
    kind: f.kind.value,
    title: f.title.value,
    priority: Number(f.priority.value),
    lon: Number(f.lon.value),
    lat: Number(f.lat.value),
    deadline: minutes ? new Date(Date.now() + minutes * 60_000).toISOString() : null,
  };
  const r = await fetch("/api/v1/ops/tasks", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  if (!r.ok) {
    const problem = await r.json().catch(() => ({}));
    const details = (problem.problems || []).map((p) => `${p.where}: ${p.message}`).join("; ");
    error.textContent = [problem.message, details].filter(Boolean).join(" — ") || `HTTP ${r.status}`;
    error.hidden = false;
    return;
  }
  error.hidden = true;
  form.reset();
  placeMarker.remove();
  document.getElementById("new-task-place").textContent = S.pick_place;
  await refresh();
});

refresh().catch((e) => console.warn(e));
setInterval(() => refresh().catch((e) => console.warn(e)), REFRESH_MS);
