// The dashboards: keep a polling screen honest when a poll fails, full screen, the hex map.
(() => {
  "use strict";

  // A live panel polled by htmx (#live). A failed poll (server restarting, network down,
  // signed out) must not blank a wall screen: the last picture stays, dimmed, with the time of
  // the last good answer, and htmx keeps polling on its own trigger.
  const live = document.getElementById("live");
  const note = document.querySelector("[data-testid=stale-note]");
  let lastGood = new Date();

  function markStale() {
    if (!live || !note) return;
    const panel = live.querySelector(".live-panel");
    if (panel) panel.classList.add("is-stale");
    note.querySelector("time").textContent = lastGood.toLocaleTimeString();
    note.hidden = false;
    live.dataset.stale = "true";
  }

  function markFresh() {
    lastGood = new Date();
    if (note) note.hidden = true;
    if (live) live.dataset.stale = "false";
  }

  if (live) {
    live.addEventListener("htmx:beforeSwap", (event) => {
      const xhr = event.detail.xhr;
      // Only a real panel may replace the picture: not an error page, not the login form.
      const isPanel = xhr.status === 200 && xhr.responseText.includes('data-testid="live-panel"');
      if (!isPanel) {
        event.detail.shouldSwap = false;
        event.detail.isError = false;
        markStale();
      }
    });
    live.addEventListener("htmx:afterSwap", markFresh);
    live.addEventListener("htmx:sendError", markStale);
    live.addEventListener("htmx:timeout", markStale);
  }

  const fullscreen = document.querySelector("[data-fullscreen]");
  if (fullscreen) {
    fullscreen.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(() => {});
    });
  }

  // The city view's hex map: GeoJSON hexagons from the dashboards API, coloured by count.
  const el = document.getElementById("hex-map");
  if (!el || !window.L) return;
  const map = L.map(el, { preferCanvas: true, minZoom: 9, maxZoom: 18 }).setView(
    [Number(el.dataset.centreLat), Number(el.dataset.centreLon)], 12);
  map.attributionControl.setPrefix(false);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution }).addTo(map);
  }

  function colour(t) {
    return `hsl(${Math.round(55 - 55 * t)}, 95%, ${Math.round(60 - 20 * t)}%)`;
  }

  fetch(el.dataset.api, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    })
    .then((body) => {
      const max = body.features.reduce((m, f) => Math.max(m, f.properties.count), 0);
      const layer = L.geoJSON(body, {
        style: (f) => {
          const t = Math.sqrt(f.properties.count / max);
          return { weight: 0.5, color: "#7c2d12", fillColor: colour(t), fillOpacity: 0.25 + 0.55 * t };
        },
        onEachFeature: (f, l) => l.bindTooltip(String(f.properties.count)),
      }).addTo(map);
      el.dataset.drawn = String(body.features.length);
      if (body.features.length) map.fitBounds(layer.getBounds(), { maxZoom: 15, padding: [20, 20] });
    })
    .catch(() => { el.dataset.drawn = "error"; });
})();
