// The supervisor's live map. It reads only the public JSON API (/api/v1), with the session cookie:
// vehicles of the visible box every 10 s, counted per grid cell by the server when the view is
// too wide to draw each one (docs/decisions/0003-map-aggregation.md), and feed health every 10 s.
/* global L */

import {
  T,
  api,
  clockFormat,
  el,
  feedRow,
  numberFormat,
  shortCount,
  vehicleDetails,
} from "./map-ui.js";
import { addViolationLayer } from "./compliance_map.js";

const REFRESH_MS = 10_000;
// From this zoom on, single vehicles are drawn if the view holds at most MAX_VEHICLES.
const DETAIL_ZOOM = 15;
// Below DETAIL_ZOOM, a view holding this few vehicles is drawn vehicle by vehicle all the same.
const FEW_VEHICLES = 600;
const MAX_VEHICLES = 1000;
// Tiles that fail with none loaded: the tile server cannot be reached.
const TILE_ERRORS_BEFORE_NOTE = 4;

const mapEl = document.getElementById("map");

const state = {
  companies: new Map(), // slug -> {id, slug, name, colour}
  hiddenCompanies: new Set(),
  selectedId: null,
  userMoved: false,
  vehiclesAbort: null,
  tileErrors: 0,
  tileLoads: 0,
};

function companyColour(slug) {
  return state.companies.get(slug)?.colour || "#555555";
}

function setStatus(text, isError = false) {
  const node = document.getElementById("map-status");
  node.textContent = text;
  node.classList.toggle("error", isError);
}

const [centreLat, centreLon] = (mapEl.dataset.center || "43.2567,76.9286").split(",").map(Number);
const map = L.map(mapEl, { zoomControl: true, minZoom: 3, maxZoom: 19 }).setView(
  [centreLat, centreLon],
  13,
);
map.attributionControl.setPrefix(false);
const vehicleLayer = L.layerGroup().addTo(map);
const clusterLayer = L.layerGroup().addTo(map);
let cityBounds = null;

function addTiles() {
  const url = mapEl.dataset.tileUrl;
  const note = document.getElementById("tiles-note");
  if (!url) {
    note.hidden = false;
    return;
  }
  const tiles = L.tileLayer(url, { maxZoom: 19, attribution: mapEl.dataset.tileAttribution });
  tiles.on("tileload", () => {
    state.tileLoads += 1;
    note.hidden = true;
  });
  tiles.on("tileerror", () => {
    state.tileErrors += 1;
    if (state.tileLoads === 0 && state.tileErrors >= TILE_ERRORS_BEFORE_NOTE) note.hidden = false;
  });
  tiles.addTo(map);
}

async function drawCity() {
  try {
    const city = await api("/cities/current");
    if (!city.geometry) return;
    const outline = L.geoJSON(city, {
      interactive: false,
      className: "city-boundary",
      style: { color: "#14213d", weight: 2, opacity: 0.8, fillColor: "#14213d", fillOpacity: 0.03 },
    }).addTo(map);
    outline.bringToBack();
    cityBounds = outline.getBounds();
    // Open on the whole city unless the supervisor has already moved the map.
    if (!state.userMoved) map.fitBounds(cityBounds, { padding: [12, 12], animate: false });
    mapEl.dataset.city = city.properties.slug;
  } catch (error) {
    console.warn("city boundary", error);
  }
}

function checkedValues(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function filterParams() {
  const params = new URLSearchParams();
  const visible = [...state.companies.keys()].filter((s) => !state.hiddenCompanies.has(s));
  if (state.hiddenCompanies.size > 0) visible.forEach((slug) => params.append("company", slug));
  const statuses = checkedValues("status");
  if (statuses.length < document.querySelectorAll('input[name="status"]').length) {
    statuses.forEach((status) => params.append("status", status));
  }
  const stale = checkedValues("stale")[0];
  if (stale) params.set("stale", stale);
  return { params, nothing: visible.length === 0 || statuses.length === 0 };
}

function renderCompanyFilters(companies) {
  const list = document.getElementById("company-filters");
  list.replaceChildren(
    ...companies.map((company) =>
      el(
        "li",
        {},
        el(
          "label",
          { class: "check" },
          el("input", {
            type: "checkbox",
            name: "company",
            value: company.slug,
            checked: !state.hiddenCompanies.has(company.slug),
            "data-testid": `company-filter-${company.slug}`,
            onchange: (event) => {
              if (event.target.checked) state.hiddenCompanies.delete(company.slug);
              else state.hiddenCompanies.add(company.slug);
              refreshVehicles();
            },
          }),
          el("span", { class: "swatch", style: `background:${company.colour}` }),
          el("span", { class: "grow" }, company.name),
          el("span", { class: "count", "data-company-count": company.slug }, "–"),
        ),
      ),
    ),
  );
}

async function loadCompanies() {
  const companies = await api("/companies");
  state.companies = new Map(companies.map((c) => [c.slug, c]));
  renderCompanyFilters(companies);
}

function vehicleStyle(p) {
  const colour = companyColour(p.company);
  const style = { radius: 7, weight: 2, color: "#ffffff", fillColor: colour, fillOpacity: 0.95 };
  if (p.status === "reserved") {
    Object.assign(style, { color: colour, fillColor: "#ffffff", weight: 3 });
  }
  if (p.status === "disabled") Object.assign(style, { color: "#1d2430", weight: 3 });
  if (p.stale) Object.assign(style, { fillOpacity: 0.35, opacity: 0.6, dashArray: "3 3" });
  if (p.id === state.selectedId) Object.assign(style, { radius: 11, weight: 4, color: "#0b6bcb" });
  return style;
}

// What was drawn last: a refresh that brings the same picture leaves the markers alone, so a
// click in progress is not lost and the DOM does not churn every 10 s.
let drawnKey = "";

function unchanged(kind, collection, describe) {
  const key = `${kind}|${collection.features.map(describe).join(";")}`;
  if (key === drawnKey) return true;
  drawnKey = key;
  return false;
}

function drawVehicles(collection) {
  const describe = (f) => {
    const p = f.properties;
    return `${p.id},${f.geometry.coordinates},${p.status},${p.stale},${p.company}`;
  };
  if (unchanged("vehicles", collection, describe)) return;
  clusterLayer.clearLayers();
  vehicleLayer.clearLayers();
  for (const feature of collection.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const p = feature.properties;
    const marker = L.circleMarker([lat, lon], vehicleStyle(p));
    marker.vehicle = p;
    marker.on("click", () => showVehicle(p.id));
    const name = state.companies.get(p.company)?.name || p.company;
    marker.bindTooltip(`${name} · ${T.status[p.status] || p.status}`);
    marker.addTo(vehicleLayer);
    const path = marker.getElement();
    if (path) {
      path.setAttribute("data-testid", "vehicle");
      path.setAttribute("data-vehicle-id", String(p.id));
      path.setAttribute("data-company", p.company);
      path.setAttribute("data-status", p.status);
    }
  }
  mapEl.dataset.mode = "vehicles";
  mapEl.dataset.shown = String(collection.features.length);
}

function clusterIcon(feature) {
  const { count, companies } = feature.properties;
  let start = 0;
  const stops = Object.entries(companies)
    .sort((a, b) => b[1] - a[1])
    .map(([slug, n]) => {
      const end = start + (n / count) * 360;
      const stop = `${companyColour(slug)} ${start}deg ${end}deg`;
      start = end;
      return stop;
    });
  const size = Math.round(32 + Math.min(40, Math.log10(count) * 10));
  const html =
    `<div class="cluster" data-testid="cluster" data-count="${count}" ` +
    `style="width:${size}px;height:${size}px;background:conic-gradient(${stops.join(",")})">` +
    `<span>${shortCount(count)}</span></div>`;
  return L.divIcon({ html, className: "cluster-icon", iconSize: [size, size] });
}

function drawClusters(collection) {
  const describe = (f) => `${f.geometry.coordinates},${JSON.stringify(f.properties)}`;
  if (unchanged("clusters", collection, describe)) return;
  vehicleLayer.clearLayers();
  clusterLayer.clearLayers();
  for (const feature of collection.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const [w, s, e, n] = feature.properties.cell;
    // The bigger cluster stays on top where two rings overlap.
    const marker = L.marker([lat, lon], {
      icon: clusterIcon(feature),
      title: T.cluster_title,
      zIndexOffset: feature.properties.count,
    });
    marker.on("click", () => map.fitBounds([[s, w], [n, e]], { maxZoom: map.getZoom() + 3 }));
    marker.addTo(clusterLayer);
  }
  mapEl.dataset.mode = "clusters";
  mapEl.dataset.shown = String(collection.features.length);
}

function viewParams(extra) {
  const bounds = map.getBounds().pad(0.05);
  const { params, nothing } = filterParams();
  const bbox = [
    Math.max(-180, bounds.getWest()),
    Math.max(-90, bounds.getSouth()),
    Math.min(180, bounds.getEast()),
    Math.min(90, bounds.getNorth()),
  ].map((v) => v.toFixed(5));
  params.set("bbox", bbox.join(","));
  for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
  return { params, nothing };
}

async function refreshVehicles() {
  state.vehiclesAbort?.abort();
  const { signal } = (state.vehiclesAbort = new AbortController());
  const zoom = map.getZoom();
  try {
    const clusters = viewParams({ zoom });
    if (clusters.nothing) {
      drawVehicles({ features: [] });
      setStatus(T.no_companies);
      return;
    }
    // Zoomed out, the cheap count per cell comes first; zoomed in, the vehicles do.
    let grid = zoom < DETAIL_ZOOM ? await api("/vehicles/clusters", clusters.params, signal) : null;
    const few = grid === null || grid.total <= FEW_VEHICLES;
    if (few && (await fetchVehicles(signal))) return;
    grid = grid || (await api("/vehicles/clusters", clusters.params, signal));
    drawClusters(grid);
    showCount(grid.total, true);
  } catch (error) {
    if (error.name === "AbortError") return;
    console.warn("vehicles", error);
    setStatus(T.load_failed, true);
  }
}

// Draws single vehicles if the view holds few enough; returns whether it did.
async function fetchVehicles(signal) {
  const { params } = viewParams({ size: MAX_VEHICLES });
  const collection = await api("/vehicles", params, signal);
  if (collection.total > collection.features.length) return false;
  drawVehicles(collection);
  showCount(collection.total, false);
  return true;
}

function showCount(total, clustered) {
  const time = clockFormat.format(new Date());
  const parts = [`${T.in_view}: ${numberFormat.format(total)}`, `${T.updated} ${time}`];
  if (clustered) parts.push(T.zoom_in);
  setStatus(parts.join(" · "));
  mapEl.dataset.total = String(total);
  mapEl.dataset.zoom = String(map.getZoom());
}

async function showVehicle(id) {
  state.selectedId = id;
  const panel = document.getElementById("vehicle-details");
  const body = document.getElementById("details-body");
  try {
    const feature = await api(`/vehicles/${encodeURIComponent(id)}`);
    const slug = feature.properties.company;
    const company = { name: state.companies.get(slug)?.name || slug, colour: companyColour(slug) };
    body.replaceChildren(...vehicleDetails(feature, company));
    panel.dataset.vehicleId = String(id);
    panel.hidden = false;
    restyleVehicles();
  } catch (error) {
    console.warn("vehicle", error);
    body.replaceChildren(el("p", { class: "error" }, T.load_failed));
    panel.hidden = false;
  }
}

function closeDetails() {
  state.selectedId = null;
  document.getElementById("vehicle-details").hidden = true;
  restyleVehicles();
}

function restyleVehicles() {
  vehicleLayer.eachLayer((layer) => {
    if (layer.vehicle) layer.setStyle(vehicleStyle(layer.vehicle));
  });
}

async function refreshSummary() {
  try {
    const summary = await api("/fleet/summary");
    document.getElementById("fleet-total").textContent = numberFormat.format(summary.total);
    document.getElementById("fleet-stale").textContent = numberFormat.format(summary.stale);
    for (const entry of summary.companies) {
      const node = document.querySelector(`[data-company-count="${entry.company.slug}"]`);
      if (node) node.textContent = numberFormat.format(entry.total);
    }
  } catch (error) {
    console.warn("summary", error);
  }
}

async function refreshFeeds() {
  const list = document.getElementById("feed-health");
  try {
    const answer = await api("/feeds");
    const feeds = Array.isArray(answer) ? answer : answer.items || answer.feeds || [];
    list.replaceChildren(
      ...(feeds.length
        ? feeds.map((feed) => feedRow(feed, state.companies))
        : [el("li", { class: "muted" }, T.no_feeds)]),
    );
    list.dataset.state = "ok";
  } catch (error) {
    console.warn("feeds", error);
    const note = { class: "muted", "data-testid": "feed-health-unavailable" };
    list.replaceChildren(el("li", note, T.feeds_unavailable));
    list.dataset.state = "unavailable";
  }
}

function debounce(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

function wire() {
  map.on("moveend", debounce(refreshVehicles, 200));
  for (const type of ["pointerdown", "wheel", "keydown"]) {
    mapEl.addEventListener(type, () => (state.userMoved = true), { passive: true });
  }
  // On a phone the panel covers the map: a tap on the map puts it away.
  map.on("click", () => document.getElementById("panel").classList.remove("open"));
  document.querySelectorAll('input[name="status"], input[name="stale"]').forEach((input) =>
    input.addEventListener("change", refreshVehicles),
  );
  document.getElementById("details-close").addEventListener("click", closeDetails);
  document.getElementById("fit-city").addEventListener("click", () => {
    if (cityBounds) map.fitBounds(cityBounds);
  });
  const toggle = document.getElementById("panel-toggle");
  toggle.addEventListener("click", () => {
    const open = document.getElementById("panel").classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeDetails();
  });
  setInterval(() => {
    if (document.hidden) return;
    refreshVehicles();
    refreshSummary();
  }, REFRESH_MS);
  setInterval(() => {
    if (!document.hidden) refreshFeeds();
  }, REFRESH_MS);
}

// Open violations drawn over the fleet, switched by the "Layers" checkbox.
function wireViolations() {
  const labels = JSON.parse(document.getElementById("violation-strings").textContent);
  const violations = addViolationLayer(map, { labels });
  document.getElementById("layer-violations").addEventListener("change", (event) => {
    if (event.target.checked) violations.layer.addTo(map);
    else violations.layer.remove();
  });
}

async function start() {
  addTiles();
  // The city first: the map fits it before the first vehicles are asked for.
  await Promise.all([drawCity(), loadCompanies().catch((error) => console.warn("companies", error))]);
  wire();
  wireViolations();
  await Promise.all([refreshVehicles(), refreshSummary(), refreshFeeds()]);
  mapEl.dataset.ready = "true";
}

start();
