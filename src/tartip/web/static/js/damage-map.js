// A small map of one damaged vehicle's place: every [data-damage-map] element gets a marker.
// Tiles may fail (no way out of the network): the marker and the coordinates still show.
for (const box of document.querySelectorAll("[data-damage-map]")) {
  const lat = Number(box.dataset.lat);
  const lon = Number(box.dataset.lon);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) continue;
  const map = L.map(box, { scrollWheelZoom: false }).setView([lat, lon], 17);
  L.tileLayer(box.dataset.tileUrl, { attribution: box.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  L.circleMarker([lat, lon], { radius: 9, color: "#b91c1c", weight: 3, fillOpacity: 0.6 })
    .addTo(map)
    .bindTooltip(box.dataset.label || "", { permanent: false });
}
