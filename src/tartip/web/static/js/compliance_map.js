// A map layer of open violations, read from the public API (GET /api/v1/violations, GeoJSON).
// The live map includes it with: import { addViolationLayer } from "./compliance_map.js";
// addViolationLayer(map, { labels }). A company representative gets only their own violations,
// because the API filters by the caller's scope.
/* global L */

const REFRESH_MS = 10_000;
const PAGE_SIZE = 1000;
const COLOURS = {
  no_parking: "#d62828",
  no_ride: "#9d0208",
  outside_parking: "#f77f00",
  over_capacity: "#fcbf49",
  clutter: "#e76f51",
  parked_too_long: "#6a4c93",
  disabled_too_long: "#495057",
  fleet_cap: "#1982c4",
  outside_service_area: "#8ac926",
  duty_overload: "#ff006e",
};

function popup(feature, labels) {
  const p = feature.properties;
  const box = document.createElement("div");
  box.dataset.testid = "violation-popup";
  const title = document.createElement("strong");
  title.textContent = labels.kinds?.[p.kind] || p.kind;
  box.append(title);
  const rows = [
    [labels.zone || "Zone", p.zone_name || "—"],
    [labels.company || "Company", p.company || "—"],
    [labels.vehicles || "Vehicles", `${p.count}${p.threshold != null ? ` / ${p.threshold}` : ""}`],
    [labels.opened || "Opened", new Date(p.opened_at).toLocaleString()],
  ];
  for (const [name, value] of rows) {
    const line = document.createElement("div");
    line.textContent = `${name}: ${value}`;
    box.append(line);
  }
  return box;
}

export function addViolationLayer(map, { labels = {}, refreshMs = REFRESH_MS } = {}) {
  // Above the vehicles and their clusters (markers sit at z-index 600), below popups (700).
  if (!map.getPane("violations")) map.createPane("violations").style.zIndex = 650;
  const layer = L.layerGroup().addTo(map);
  let abort = null;

  async function refresh() {
    abort?.abort();
    abort = new AbortController();
    try {
      const response = await fetch(`/api/v1/violations?size=${PAGE_SIZE}`, {
        signal: abort.signal,
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const body = await response.json();
      layer.clearLayers();
      for (const feature of body.features) {
        const [lon, lat] = feature.geometry.coordinates;
        const p = feature.properties;
        const marker = L.circleMarker([lat, lon], {
          radius: 6 + Math.min(10, Math.sqrt(p.count)),
          color: "#111",
          weight: p.clearing ? 1 : 2,
          dashArray: p.clearing ? "3 3" : null,
          fillColor: COLOURS[p.kind] || "#d62828",
          fillOpacity: 0.75,
          className: `violation violation-${p.kind}`,
          pane: "violations",
        });
        marker.bindPopup(() => popup(feature, labels));
        marker.addTo(layer);
      }
    } catch (error) {
      if (error.name !== "AbortError") console.warn("violations not loaded", error);
    }
  }

  refresh();
  const timer = setInterval(refresh, refreshMs);
  return { layer, refresh, stop: () => clearInterval(timer) };
}
