// The safety map: reads the GeoJSON of /api/v1/safety/map (the page's own period) and draws each
// layer in its colour. Tiles may fail (no way out of the network): the layers still show.
const box = document.getElementById("safety-map");
if (box) {
  const map = L.map(box).setView([Number(box.dataset.lat), Number(box.dataset.lon)], 12);
  L.tileLayer(box.dataset.tileUrl, { attribution: box.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  const styles = {
    zone: (p) => ({ color: p.kind === "parking" ? "#16a34a" : "#2563eb", weight: 1, fillOpacity: 0.15 }),
    clutter: (p) => ({ color: "#a16207", weight: 0, fillOpacity: Math.min(0.15 + p.count / 20, 0.7) }),
    suggestion: () => ({ color: "#7c3aed", weight: 3, fill: false, dashArray: "6 4" }),
  };
  fetch(box.dataset.mapUrl, { headers: { Accept: "application/json" } })
    .then((r) => r.json())
    .then((data) => {
      const layer = L.geoJSON(data, {
        style: (f) => (styles[f.properties.layer] || (() => ({})))(f.properties),
        pointToLayer: (f, at) => L.circleMarker(at, {
          radius: f.properties.severity === "none" ? 5 : 8,
          color: "#b91c1c", weight: 2, fillOpacity: 0.7,
        }),
        onEachFeature: (f, l) => {
          const p = f.properties;
          const text = p.layer === "incident" ? `${p.kind} · ${p.severity} · ${p.occurred_at}`
            : p.layer === "suggestion" ? p.reason
            : p.layer === "clutter" ? String(p.count) : p.name;
          l.bindTooltip(text || "");
        },
      }).addTo(map);
      box.dataset.features = String(data.features.length);
      if (data.features.some((f) => f.properties.layer === "incident")) {
        map.fitBounds(layer.getBounds(), { maxZoom: 15 });
      }
    });
}
