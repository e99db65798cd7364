// Building blocks of the live map's panels: the page's strings and settings, formatting in the
// city's time zone, and the DOM of a vehicle's details and of a feed's health row. No state here:
// every function gets what it shows.

const page = document.getElementById("map");
export const API = page.dataset.api;
export const LOCALE = page.dataset.locale || document.documentElement.lang || "en";
export const TIMEZONE = page.dataset.timezone || "UTC";
// Translated in the template (map.html), so the catalogues cover them.
export const T = JSON.parse(document.getElementById("map-strings").textContent);

const timeFormat = new Intl.DateTimeFormat(LOCALE, {
  timeZone: TIMEZONE,
  hourCycle: "h23",
  day: "2-digit",
  month: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
export const clockFormat = new Intl.DateTimeFormat(LOCALE, {
  timeZone: TIMEZONE,
  hourCycle: "h23",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
// Some browsers lack relative-time data for Kazakh: then only absolute times are shown.
const relativeFormat = Intl.RelativeTimeFormat.supportedLocalesOf([LOCALE]).length
  ? new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" })
  : null;
export const numberFormat = new Intl.NumberFormat(LOCALE);
const plainFormat = new Intl.NumberFormat(LOCALE, { useGrouping: false });
const kmFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });

/** A count that fits inside a cluster ring: 4900, then 12k. */
export function shortCount(n) {
  return n < 10_000 ? plainFormat.format(n) : `${plainFormat.format(Math.round(n / 1000))}k`;
}

/** An element with attributes (on* become listeners) and children (text is escaped). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** GET a JSON document of the public API with the session cookie; sign-in again on 401. */
export async function api(path, params, signal) {
  const query = params ? `?${params}` : "";
  const response = await fetch(`${API}${path}${query}`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal,
  });
  if (response.status === 401) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
    throw new Error("signed out");
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** An ISO time in the city's time zone. */
export function formatTime(iso) {
  if (!iso) return T.never;
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? T.unknown_value : timeFormat.format(moment);
}

/** An ISO time as "3 minutes ago", or "" when the browser cannot say it in this language. */
export function formatAgo(iso) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  if (!iso || !relativeFormat || !Number.isFinite(seconds)) return "";
  const abs = Math.abs(seconds);
  if (abs < 60) return relativeFormat.format(Math.round(seconds), "second");
  if (abs < 3600) return relativeFormat.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relativeFormat.format(Math.round(seconds / 3600), "hour");
  return relativeFormat.format(Math.round(seconds / 86400), "day");
}

const statusLabel = (status) => T.status[status] || status;
const swatch = (colour) => el("span", { class: "swatch", style: `background:${colour}` });
function when(iso) {
  const ago = formatAgo(iso);
  return ago ? `${formatTime(iso)} (${ago})` : formatTime(iso);
}

function detailRow(label, value, testid) {
  return [el("dt", {}, label), el("dd", testid ? { "data-testid": testid } : {}, value)];
}

function vehicleType(p) {
  const type = p.vehicle_type;
  if (!type) return p.vehicle_type_id || T.unknown_value;
  return [type.name, type.form_factor, type.propulsion_type].filter(Boolean).join(" · ");
}

function facts(feature, company) {
  const p = feature.properties;
  const [lon, lat] = feature.geometry.coordinates;
  const battery =
    p.current_fuel_percent === null ? "—" : `${Math.round(p.current_fuel_percent * 100)} %`;
  const range =
    p.current_range_meters === null
      ? "—"
      : `${kmFormat.format(p.current_range_meters / 1000)} ${T.km}`;
  const status = el("span", { class: `badge status-${p.status}` }, statusLabel(p.status));
  return el(
    "dl",
    { class: "facts" },
    detailRow(T.company, el("span", {}, swatch(company.colour), company.name), "detail-company"),
    detailRow(T.vehicle_id, el("code", {}, p.vehicle_id), "detail-vehicle-id"),
    detailRow(T.type, vehicleType(p)),
    detailRow(T.status_label, status, "detail-status"),
    detailRow(T.battery, battery, "detail-battery"),
    detailRow(T.range, range),
    detailRow(T.last_reported, when(p.last_reported), "detail-last-reported"),
    detailRow(T.last_seen, when(p.last_seen_at)),
    detailRow(T.first_seen, formatTime(p.first_seen_at)),
    p.station_id ? detailRow(T.station, p.station_id) : null,
    detailRow(T.position, `${lat.toFixed(5)}, ${lon.toFixed(5)}`),
  );
}

function history(changes) {
  if (!changes.length) return el("p", { class: "muted" }, T.no_history);
  const items = changes.map((change) => {
    const what = T.change[change.kind] || change.kind;
    const status =
      change.previous_status && change.previous_status !== change.status
        ? `${statusLabel(change.previous_status)} → ${statusLabel(change.status)}`
        : statusLabel(change.status);
    const moved = change.moved_m ? ` · ${Math.round(change.moved_m)} m` : "";
    const at = el("time", { datetime: change.at }, formatTime(change.at));
    return el("li", {}, at, ` ${what} · ${status}${moved}`);
  });
  return el("ol", { class: "history", "data-testid": "detail-history" }, items);
}

/** The nodes of a vehicle's details panel; ``company`` is {name, colour}. */
export function vehicleDetails(feature, company) {
  const p = feature.properties;
  const fresh = el(
    "p",
    { class: p.stale ? "flag stale" : "flag fresh", "data-testid": "detail-stale" },
    p.stale ? T.stale_flag : T.fresh_flag,
  );
  return [
    el("h2", {}, `${company.name} · ${statusLabel(p.status)}`),
    fresh,
    p.in_feed ? null : el("p", { class: "flag stale" }, T.not_in_feed),
    facts(feature, company),
    el("h3", {}, T.history),
    history(p.history),
  ].filter(Boolean);
}

// GET /api/v1/feeds belongs to the feeds domain: its fields are read defensively.
function feedCompany(feed, companies) {
  const known =
    companies.get(feed.company_slug) ||
    companies.get(feed.company?.slug) ||
    [...companies.values()].find((c) => c.id === feed.company_id);
  return {
    name: feed.company_name || feed.company?.name || known?.name || feed.name || `#${feed.id}`,
    colour: feed.company?.colour || known?.colour || "#888888",
  };
}

/** One feed's row in the feed-health panel. */
export function feedRow(feed, companies) {
  const company = feedCompany(feed, companies);
  const health = String(feed.health || "unknown");
  const count = Number.isFinite(feed.vehicle_count) ? numberFormat.format(feed.vehicle_count) : "—";
  const success = formatAgo(feed.last_success_at) || formatTime(feed.last_success_at);
  const error = feed.last_error ? String(feed.last_error) : null;
  return el(
    "li",
    { class: `feed health-${health}`, "data-testid": "feed-health-row", "data-health": health },
    swatch(company.colour),
    el(
      "div",
      { class: "grow" },
      el("strong", {}, company.name),
      el(
        "div",
        { class: "muted small", title: formatTime(feed.last_success_at) },
        `${T.last_success}: ${success}`,
      ),
      error ? el("div", { class: "error small", title: error }, error.slice(0, 140)) : null,
    ),
    el(
      "div",
      { class: "feed-side" },
      el("span", { class: `badge health-${health}` }, T.health[health] || health),
      el("span", { class: "muted small", title: T.vehicles }, count),
    ),
  );
}
