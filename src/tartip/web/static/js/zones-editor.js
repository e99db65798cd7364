// The zone editor: draw a polygon or a circle (a point with a radius) with Leaflet-Geoman, set the
// rule, save as a draft, publish, retire. It talks only to the public JSON API.
/* global L */
import { call, showError } from "./zones-common.js";

const mapEl = document.getElementById("map");
const form = document.getElementById("zone-form");
const messages = document.getElementById("zone-messages");
const zone = JSON.parse(document.getElementById("zone-data").textContent);
const T = JSON.parse(document.getElementById("zone-strings").textContent);
const canEdit = mapEl.dataset.canEdit === "true";

const [lat, lon] = mapEl.dataset.center.split(",").map(Number);
const map = L.map(mapEl).setView([lat, lon], 15);
L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
const shapes = L.featureGroup().addTo(map);
const SHAPE_CLASS = "zone-shape";

// Marks a shape of the zone (its SVG path), so styles and tests can tell it from other layers.
function addShape(layer) {
  shapes.addLayer(layer);
  layer.getElement?.()?.classList.add(SHAPE_CLASS);
}

// The zone as drawn: a circle for a point with a radius, else the polygon's layers.
function load() {
  if (!zone) return;
  const g = zone.geometry;
  if (g.type === "Point") {
    addShape(L.circle([g.coordinates[1], g.coordinates[0]], { radius: zone.radius_m }));
  } else {
    L.geoJSON(g).eachLayer(addShape);
  }
  map.fitBounds(shapes.getBounds(), { maxZoom: 18, padding: [30, 30] });
}

function setupDrawing() {
  map.pm.addControls({
    position: "topleft",
    drawMarker: false,
    drawCircleMarker: false,
    drawPolyline: false,
    drawText: false,
    drawRectangle: true,
    drawPolygon: true,
    drawCircle: true,
    cutPolygon: false,
    rotateMode: false,
  });
  // One zone, one shape: a new drawing replaces the old one.
  map.on("pm:create", ({ layer }) => {
    shapes.clearLayers();
    map.removeLayer(layer);
    addShape(layer);
    if (layer instanceof L.Circle) form.elements.radius_m.value = Math.round(layer.getRadius());
  });
}

function geometry() {
  const layers = shapes.getLayers();
  if (!layers.length) return null;
  const layer = layers[0];
  if (layer instanceof L.Circle) {
    const c = layer.getLatLng();
    return { geometry: { type: "Point", coordinates: [c.lng, c.lat] }, radius: layer.getRadius() };
  }
  return { geometry: layer.toGeoJSON().geometry, radius: null };
}

function number(name) {
  const value = form.elements[name].value;
  return value === "" ? null : Number(value);
}

function body() {
  const f = form.elements;
  const shape = geometry();
  const kind = f.kind.value;
  const only = (kinds, name) => (kinds.includes(kind) ? number(name) : null);
  const data = {
    name: f.name.value.trim(),
    code: f.code.value.trim() || null,
    kind,
    description: f.description.value,
    capacity: only(["parking"], "capacity"),
    speed_limit_kph: only(["slow", "service_area"], "speed_limit_kph"),
    target_load: only(["duty"], "target_load"),
    parking_required: f.parking_required.checked,
    schedule: f.scheduled.checked
      ? { days: [...form.querySelectorAll('input[name="days"]:checked')].map((d) => d.value), start: f.start.value, end: f.end.value }
      : null,
  };
  if (shape) {
    data.geometry = shape.geometry;
    data.radius_m = shape.radius !== null ? Math.round(shape.radius) : null;
  }
  return data;
}

// Shows only the rule fields the chosen kind uses.
function showKindFields() {
  const kind = form.elements.kind.value;
  for (const label of form.querySelectorAll("label[data-for]")) {
    label.hidden = !label.dataset.for.split(" ").includes(kind);
  }
}

async function save(event) {
  event.preventDefault();
  const data = body();
  if (!data.geometry) {
    messages.textContent = T.draw_first;
    return;
  }
  try {
    const saved = zone ? await call("PATCH", `/zones/${zone.id}`, data) : await call("POST", "/zones", data);
    window.location.assign(`/zones/${saved.id}`);
  } catch (error) {
    showError(messages, error, T.failed);
  }
}

async function act(action) {
  if (action === "retire" && !window.confirm(T.confirm_retire)) return;
  if (action === "delete" && !window.confirm(T.confirm_delete)) return;
  try {
    if (action === "delete") {
      await call("DELETE", `/zones/${zone.id}`);
      window.location.assign("/zones");
      return;
    }
    await call("POST", `/zones/${zone.id}/${action}`);
    window.location.reload();
  } catch (error) {
    showError(messages, error, T.failed);
  }
}

load();
showKindFields();
form.elements.kind.addEventListener("change", showKindFields);
if (canEdit) {
  setupDrawing();
  form.addEventListener("submit", save);
  for (const button of form.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () => act(button.dataset.action));
  }
}
mapEl.dataset.ready = "true";
