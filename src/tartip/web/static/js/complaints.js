/* Complaints: the public form's map (a pin, or the phone's location) and a complaint's map
   (the place and the vehicles matched to it). Leaflet is vendored; tiles may be unreachable and
   the pin still works. */
(() => {
  "use strict";
  /* global L */

  function baseMap(el, lat, lon, zoom) {
    const map = L.map(el).setView([lat, lon], zoom);
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
    return map;
  }

  function complaintForm() {
    const el = document.getElementById("complaint-map");
    if (!el) return;
    const lonInput = document.getElementById("lon");
    const latInput = document.getElementById("lat");
    const text = document.getElementById("place-text");
    const [clat, clon] = el.dataset.center.split(",").map(Number);
    const hasPin = latInput.value && lonInput.value;
    const map = baseMap(el, hasPin ? Number(latInput.value) : clat, hasPin ? Number(lonInput.value) : clon, hasPin ? 17 : 12);
    let marker = null;
    function place(lat, lon, zoom) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      text.textContent = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
      if (marker) marker.setLatLng([lat, lon]);
      else marker = L.marker([lat, lon], { draggable: true }).addTo(map);
      marker.off("dragend").on("dragend", () => {
        const p = marker.getLatLng();
        place(p.lat, p.lng);
      });
      if (zoom) map.setView([lat, lon], zoom);
      el.dataset.pinned = "true";
    }
    if (hasPin) place(Number(latInput.value), Number(lonInput.value));
    map.on("click", (e) => place(e.latlng.lat, e.latlng.lng));
    const locate = document.getElementById("use-location");
    locate.addEventListener("click", () => {
      if (!navigator.geolocation) {
        text.textContent = text.dataset.failed;
        return;
      }
      navigator.geolocation.getCurrentPosition(
        (pos) => place(pos.coords.latitude, pos.coords.longitude, 17),
        () => { text.textContent = text.dataset.failed; },
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
      );
    });
    el.dataset.ready = "true";
  }

  function complaintMap() {
    const el = document.getElementById("detail-map");
    if (!el) return;
    const [lat, lon] = el.dataset.place.split(",").map(Number);
    const map = baseMap(el, lat, lon, 17);
    L.circleMarker([lat, lon], { radius: 9, color: "#c0392b", weight: 3, fillOpacity: 0.2 }).addTo(map);
    const vehicles = JSON.parse(document.getElementById("detail-map-vehicles").textContent);
    const colours = JSON.parse(document.getElementById("detail-map-colours").textContent);
    for (const v of vehicles) {
      const faded = v.state === "rejected";
      const m = L.circleMarker([v.lat, v.lon], {
        radius: 6, color: "#fff", weight: 1, fillColor: colours[v.company] || "#555",
        fillOpacity: faded ? 0.3 : 0.95,
      }).addTo(map);
      // Text only: ids come from the companies' feeds, never as HTML.
      const label = document.createElement("span");
      label.textContent = `${v.company} · ${v.vehicle_id}`;
      m.bindTooltip(label);
    }
    el.dataset.ready = "true";
  }

  complaintForm();
  complaintMap();
})();
