// The scout app: my shift, my tasks in route order, a map, proof of work, damage reports.
// Every change is an action queued on the phone (localStorage; photos in IndexedDB) and sent to
// POST /api/v1/ops/sync, which applies each action once by its UUID: a lost answer or a bad
// connection only delays the work, it never counts it twice.
/* global L, jsQR */
import { openPhotoStore } from "./scout-store.js";

const API = "/api/v1/ops";
const QUEUE_KEY = "tartip.scout.queue.v1";
const PHOTO_MAP_KEY = "tartip.scout.photos.v1";
const COMPANIES_KEY = "tartip.scout.companies.v2";
const PREFILL_KEY = "tartip.scout.prefill.v1";
const REFRESH_MS = 20_000;
const POSITION_EVERY_MS = 30_000;
const PREFILL_FRESH_MS = 5 * 60_000;
const RETRY_FIRST_MS = 2_000;

const app = document.getElementById("app");
const S = JSON.parse(document.getElementById("scout-strings").textContent);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const timeFormat = new Intl.DateTimeFormat(app.dataset.locale, {
  timeZone: app.dataset.timezone, hour: "2-digit", minute: "2-digit",
});

const state = { tasks: [], shift: null, here: null, flushing: false, error: "", lastPosition: 0, retryMs: RETRY_FIRST_MS, retry: null };
let queue = JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]");
const photoStore = openPhotoStore();

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrf, ...(options.headers || {}) };
  let body = options.body;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const response = await fetch(path, { credentials: "same-origin", ...options, headers, body });
  if (response.status === 401) window.location.assign(`/login?next=${encodeURIComponent("/scout")}`);
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(data?.message || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

// ---- the queue -------------------------------------------------------------------------------

function saveQueue() {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
}

function enqueue(kind, taskId, payload = {}, photos = []) {
  queue.push({ id: uuid(), kind, task_id: taskId, at: new Date().toISOString(), payload, photos });
  saveQueue();
  render();
  flush();
}

const LOCAL_EFFECT = { accept: "accepted", start: "in_progress", finish: null, could_not_do: null };

function withPending(tasks) {
  // Server data plus what the phone did and has not sent yet, so the screen never goes back.
  let out = tasks.map((t) => ({ ...t }));
  for (const action of queue) {
    if (!(action.kind in LOCAL_EFFECT)) continue;
    const next = LOCAL_EFFECT[action.kind];
    out = next === null
      ? out.filter((t) => t.id !== action.task_id)
      : out.map((t) => (t.id === action.task_id ? { ...t, state: next } : t));
  }
  return out;
}

async function uploadPhotos(action) {
  const known = JSON.parse(localStorage.getItem(PHOTO_MAP_KEY) || "{}");
  const ids = [];
  for (const clientId of action.photos) {
    if (!known[clientId]) {
      const stored = await (await photoStore).get(clientId);
      if (!stored) continue; // lost with the browser's storage: finish without it
      const form = new FormData();
      form.append("file", stored.blob, "photo.jpg");
      form.append("client_id", clientId);
      form.append("stage", stored.stage);
      if (stored.taskId) form.append("task_id", String(stored.taskId));
      const photo = await api(`${API}/photos`, { method: "POST", body: form });
      known[clientId] = photo.id;
      localStorage.setItem(PHOTO_MAP_KEY, JSON.stringify(known));
      await (await photoStore).delete(clientId);
    }
    ids.push(known[clientId]);
  }
  if (action.kind === "damage") action.payload.photo_id = ids[0] ?? null;
  else action.payload.photo_ids = ids;
  action.photos = [];
  saveQueue();
}

async function flush() {
  if (state.flushing || !queue.length) return;
  state.flushing = true;
  try {
    while (queue.length) {
      if (queue[0].photos?.length) await uploadPhotos(queue[0]);
      const end = queue.findIndex((a, i) => i > 0 && a.photos?.length);
      const batch = queue.slice(0, end === -1 ? queue.length : end);
      const answer = await api(`${API}/sync`, {
        method: "POST",
        body: { actions: batch.map(({ id, kind, task_id, at, payload }) => ({ id, kind, task_id, at, payload })) },
      });
      const done = new Set(answer.results.map((r) => r.id));
      const refused = answer.results.filter((r) => r.status === "rejected" || r.status === "conflict");
      state.error = refused.length ? `${S.rejected}: ${refused.map((r) => r.message).join("; ")}` : "";
      queue = queue.filter((a) => !done.has(a.id));
      saveQueue();
    }
    state.retryMs = RETRY_FIRST_MS;
  } catch (error) {
    // Only a batch the server says is malformed is dropped (its head); anything else (no network,
    // an expired session, a server error) keeps the queue for the next try: work is never lost.
    state.error = error.message;
    if (error.status === 422) {
      queue.shift();
      saveQueue();
    }
    retryLater();
  } finally {
    state.flushing = false;
    render();
  }
  if (!queue.length) refresh();
}

function retryLater() {
  // A lost answer or a dropped connection while "online": try again soon, then less often. When
  // the phone knows it is offline, the "online" event flushes instead.
  if (state.retry || !navigator.onLine) return;
  state.retry = setTimeout(() => { state.retry = null; flush(); }, state.retryMs);
  state.retryMs = Math.min(state.retryMs * 2, REFRESH_MS);
}

// ---- reading -----------------------------------------------------------------------------------

function cachedPrefills() {
  return JSON.parse(localStorage.getItem(PREFILL_KEY) || "{}");
}

async function warmPrefills(tasks) {
  // The counts a finished task starts from, fetched while there is a connection, so a task
  // finished offline still opens with the companies and the live feed's counts.
  const cache = cachedPrefills();
  const open = new Set(tasks.map((t) => String(t.id)));
  for (const id of Object.keys(cache)) if (!open.has(id)) delete cache[id];
  for (const task of tasks) {
    if (task.state !== "accepted" && task.state !== "in_progress") continue;
    const known = cache[task.id];
    if (known && Date.now() - known.at < PREFILL_FRESH_MS) continue;
    try {
      const prefill = await api(`${API}/tasks/${task.id}/prefill`);
      cache[task.id] = { at: Date.now(), prefill };
      localStorage.setItem(COMPANIES_KEY, JSON.stringify(prefill.names));
    } catch (error) { break; /* offline again: keep what we have */ }
  }
  localStorage.setItem(PREFILL_KEY, JSON.stringify(cache));
  app.dataset.prefilled = Object.keys(cache).join(",");
}

async function refresh() {
  try {
    const [shift, tasks] = await Promise.all([api(`${API}/me/shift`), api(`${API}/me/tasks`)]);
    state.shift = shift;
    state.tasks = tasks;
    app.dataset.ready = "true";
  } catch (error) {
    app.dataset.ready = app.dataset.ready === "true" ? "true" : "offline";
  }
  render();
  if (navigator.onLine) warmPrefills(withPending(state.tasks));
}

// ---- the screen ------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function navLinks(task) {
  const ll = `${task.lat},${task.lon}`;
  const lonlat = `${task.lon},${task.lat}`;
  const links = [
    ["2GIS", `dgis://2gis.ru/routeSearch/rsType/pedestrian/to/${lonlat}`],
    ["2GIS web", `https://2gis.kz/routeSearch/rsType/pedestrian/to/${lonlat}`],
    ["Yandex", `yandexmaps://maps.yandex.ru/?rtext=~${ll}&rtt=pd`],
    ["Yandex web", `https://yandex.kz/maps/?rtext=~${ll}&rtt=pd`],
    ["Google", `https://www.google.com/maps/dir/?api=1&destination=${ll}&travelmode=walking`],
    ["geo:", `geo:${ll}`],
  ];
  return el("div", { class: "nav-links", "aria-label": S.navigate },
    ...links.map(([name, href]) => el("a", { href, rel: "noopener", dataset: { testid: "navigate-link" } }, name)));
}

function taskActions(task) {
  const buttons = [];
  const add = (label, kind, cls) =>
    buttons.push(el("button", { type: "button", class: cls || "", dataset: { testid: `task-${kind}` }, onclick: () => onAction(task, kind) }, label));
  if (task.state === "assigned") add(S.accept, "accept", "primary");
  if (task.state === "assigned" || task.state === "accepted") add(S.start, "start", task.state === "accepted" ? "primary" : "");
  if (task.state === "accepted" || task.state === "in_progress") add(S.finish, "finish", task.state === "in_progress" ? "primary" : "");
  add(S.could_not_do, "could_not_do", "danger");
  return el("div", { class: "actions" }, ...buttons);
}

function taskItem(task, index) {
  const when = task.eta ? `${S.eta} ${timeFormat.format(new Date(task.eta))}` : "";
  const deadline = task.deadline ? `${S.deadline} ${timeFormat.format(new Date(task.deadline))}` : "";
  return el("li", { class: "task", dataset: { testid: "task", taskId: String(task.id), state: task.state } },
    el("header", {},
      el("span", { class: "seq" }, String(index + 1)),
      el("span", { class: "title" }, task.title || S.kinds[task.kind] || task.kind),
      el("span", { class: `state ${task.state}`, dataset: { testid: "task-state" } }, S.states[task.state] || task.state)),
    el("div", { class: "meta" }, [S.kinds[task.kind], task.zone_name, when, deadline, task.companies.join(", ")].filter(Boolean).join(" · ")),
    task.explanation ? el("div", { class: "why" }, `${S.why}: ${task.explanation}`) : null,
    navLinks(task),
    taskActions(task));
}

function renderShift() {
  const text = document.getElementById("shift-text");
  const button = document.getElementById("check-button");
  const shift = state.shift;
  if (!shift) {
    text.textContent = S.no_shift;
    button.hidden = true;
    return;
  }
  const span = `${timeFormat.format(new Date(shift.starts_at))}–${timeFormat.format(new Date(shift.ends_at))}`;
  const pendingIn = queue.some((a) => a.kind === "check_in");
  const pendingOut = queue.some((a) => a.kind === "check_out");
  const inNow = (shift.checked_in_at && !shift.checked_out_at && !pendingOut) || pendingIn;
  text.textContent = `${S.shift} ${span}${shift.zone_names.length ? ` · ${S.zones}: ${shift.zone_names.join(", ")}` : ""}${inNow ? ` · ${S.checked_in}` : ""}`;
  button.hidden = false;
  button.textContent = inNow ? S.check_out : S.check_in;
  button.dataset.action = inNow ? "check_out" : "check_in";
}

function renderStatus() {
  const net = document.getElementById("net");
  const online = navigator.onLine;
  const waiting = queue.length ? `${S.pending}: ${queue.length}` : "";
  net.className = `net ${online ? (queue.length ? "pending" : "") : "offline"}`;
  net.textContent = !online ? [S.offline, waiting].filter(Boolean).join(" · ") : waiting || S.synced;
  net.dataset.pending = String(queue.length);
  net.title = state.error;
}

function render() {
  const tasks = withPending(state.tasks);
  const list = document.getElementById("tasks");
  list.replaceChildren(...(tasks.length ? tasks.map(taskItem) : [el("li", { class: "muted", dataset: { testid: "no-tasks" } }, S.no_tasks)]));
  renderShift();
  renderStatus();
  drawMap(tasks);
  const result = document.getElementById("vehicle-result");
  if (state.error) result.textContent = state.error;
}

// ---- the map ---------------------------------------------------------------------------------

let map = null;
let layer = null;

function drawMap(tasks) {
  if (!window.L) return;
  if (!map) {
    map = L.map("map", { zoomControl: true }).setView([Number(app.dataset.cityLat), Number(app.dataset.cityLon)], 13);
    L.tileLayer(app.dataset.tileUrl, { attribution: app.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
    layer = L.layerGroup().addTo(map);
  }
  layer.clearLayers();
  const points = [];
  tasks.forEach((t, i) => {
    const icon = L.divIcon({ className: "", html: `<div class="task-marker" data-testid="task-marker">${i + 1}</div>`, iconSize: [26, 26] });
    L.marker([t.lat, t.lon], { icon, title: t.title }).addTo(layer);
    points.push([t.lat, t.lon]);
  });
  if (state.here) {
    const icon = L.divIcon({ className: "", html: '<div class="me-marker" data-testid="me-marker"></div>', iconSize: [16, 16] });
    L.marker([state.here.lat, state.here.lon], { icon, title: S.me }).addTo(layer);
    points.push([state.here.lat, state.here.lon]);
  }
  if (points.length && !map._fitted) {
    map.fitBounds(points, { padding: [30, 30], maxZoom: 16 });
    map._fitted = true;
  }
}

// ---- actions ---------------------------------------------------------------------------------

function here() {
  return state.here ? { lon: state.here.lon, lat: state.here.lat } : {};
}

async function onAction(task, kind) {
  if (kind === "finish") return openFinish(task);
  if (kind === "could_not_do") {
    const reason = window.prompt(S.reason_prompt);
    if (!reason) return;
    return enqueue("could_not_do", task.id, { reason });
  }
  enqueue(kind, task.id, {});
}

async function openFinish(task) {
  const dialog = document.getElementById("finish-dialog");
  const form = document.getElementById("finish-form");
  form.reset();
  const known = JSON.parse(localStorage.getItem(COMPANIES_KEY) || "{}");
  let prefill = cachedPrefills()[task.id]?.prefill || { counts: {}, companies: Object.keys(known), names: known };
  try {
    prefill = await api(`${API}/tasks/${task.id}/prefill`);
    localStorage.setItem(COMPANIES_KEY, JSON.stringify(prefill.names));
  } catch (error) { /* offline: the counts fetched earlier, else zero for the companies seen last */ }
  const box = document.getElementById("finish-counts");
  box.replaceChildren(...prefill.companies.flatMap((slug) => [
    el("label", { for: `count-${slug}` }, prefill.names?.[slug] || slug),
    el("input", { id: `count-${slug}`, name: `count:${slug}`, type: "number", min: "0", max: "500", inputmode: "numeric", value: String(prefill.counts[slug] || 0), dataset: { testid: `count-${slug}` } }),
  ]));
  form.onsubmit = async (event) => {
    event.preventDefault();
    await submitFinish(task, new FormData(form));
    dialog.close();
  };
  document.getElementById("finish-cancel").onclick = () => dialog.close();
  dialog.showModal();
}

async function keepPhoto(file, stage, taskId) {
  if (!file || !file.size) return null;
  const clientId = uuid();
  await (await photoStore).put({ id: clientId, blob: file, stage, taskId });
  return clientId;
}

async function submitFinish(task, data) {
  const counts = [];
  for (const [name, value] of data.entries()) {
    if (name.startsWith("count:")) counts.push({ company: name.slice(6), count: Math.max(0, parseInt(value, 10) || 0) });
  }
  const photos = [
    await keepPhoto(data.get("before"), "before", task.id),
    await keepPhoto(data.get("after"), "after", task.id),
  ].filter(Boolean);
  enqueue("finish", task.id, { counts, notes: String(data.get("notes") || "") }, photos);
}

async function checkInOut() {
  const kind = document.getElementById("check-button").dataset.action;
  enqueue(kind, null, here());
}

async function identify(code) {
  const result = document.getElementById("vehicle-result");
  if (!code) return;
  try {
    const match = await api(`${API}/vehicles/identify/${encodeURIComponent(code)}`);
    result.textContent = match.in_feed
      ? `${match.company} · ${match.vehicle_id} · ${match.status}`
      : `${match.company || "?"} · ${S.unknown_vehicle}`;
    result.dataset.company = match.company || "";
  } catch (error) {
    result.textContent = error.message;
  }
}

async function reportDamage(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  const code = document.getElementById("vehicle-code").value.trim();
  if (!code) return document.getElementById("vehicle-code").focus();
  const photo = await keepPhoto(data.get("photo"), "damage", null);
  enqueue("damage", null, { code, kind: data.get("kind"), description: String(data.get("description") || ""), ...here() }, photo ? [photo] : []);
  form.reset();
  document.getElementById("damage").open = false;
  document.getElementById("vehicle-result").textContent = S.saved;
}

// ---- scanning the code on a vehicle -------------------------------------------------------------

async function scan() {
  const box = document.getElementById("scanner");
  const video = document.getElementById("scanner-video");
  if (!navigator.mediaDevices?.getUserMedia || (!("BarcodeDetector" in window) && !window.jsQR)) {
    document.getElementById("vehicle-result").textContent = S.scan_unsupported;
    return;
  }
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  box.hidden = false;
  await video.play();
  const detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  const canvas = document.createElement("canvas");
  const stop = () => { stream.getTracks().forEach((t) => t.stop()); box.hidden = true; };
  document.getElementById("scanner-close").onclick = stop;
  const tick = async () => {
    if (box.hidden) return;
    let text = null;
    if (detector) {
      const codes = await detector.detect(video).catch(() => []);
      text = codes[0]?.rawValue || null;
    } else if (video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0);
      const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      text = jsQR(image.data, image.width, image.height)?.data || null;
    }
    if (text) {
      stop();
      document.getElementById("vehicle-code").value = text;
      identify(text);
    } else {
      requestAnimationFrame(tick);
    }
  };
  requestAnimationFrame(tick);
}

// ---- position ------------------------------------------------------------------------------

function watchPosition() {
  if (!navigator.geolocation) return;
  navigator.geolocation.watchPosition((p) => {
    state.here = { lon: p.coords.longitude, lat: p.coords.latitude };
    const now = Date.now();
    if (navigator.onLine && now - state.lastPosition > POSITION_EVERY_MS) {
      state.lastPosition = now;
      api(`${API}/me/position`, { method: "POST", body: state.here }).catch(() => {});
    }
    drawMap(withPending(state.tasks));
  }, () => {}, { enableHighAccuracy: true, maximumAge: 15_000 });
}

// ---- start ---------------------------------------------------------------------------------

document.getElementById("check-button").addEventListener("click", checkInOut);
document.getElementById("identify-form").addEventListener("submit", (e) => {
  e.preventDefault();
  identify(document.getElementById("vehicle-code").value.trim());
});
document.getElementById("scan-button").addEventListener("click", () => scan().catch((e) => {
  document.getElementById("vehicle-result").textContent = e.message;
}));
document.getElementById("damage-form").addEventListener("submit", reportDamage);
window.addEventListener("online", () => { renderStatus(); flush(); });
window.addEventListener("offline", renderStatus);
setInterval(() => (queue.length ? flush() : refresh()), REFRESH_MS);
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/scout/sw.js", { scope: "/scout" }).catch(() => {});
watchPosition();
render();
refresh().then(flush);
