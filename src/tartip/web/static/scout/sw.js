// The scout app's service worker: the app shell works without a connection.
// Pages and API reads go to the network first and fall back to the last copy; static files come
// from the cache first. Writes (POST) are never cached: the app queues them itself and syncs.
const CACHE = "tartip-scout-v2"; // a new name whenever a cached file changes
const SHELL = [
  "/scout",
  "/static/js/scout.js",
  "/static/js/scout-store.js",
  "/static/scout/scout.css",
  "/static/scout/icon.svg",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/jsqr/jsQR.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) event.respondWith(cacheFirst(event.request));
  else if (url.pathname === "/scout" || url.pathname.startsWith("/api/v1/ops/me/")) {
    event.respondWith(networkFirst(event.request));
  }
});
