// Shared by the zone pages: JSON calls to the public API with the session's CSRF token.

export const API = "/api/v1";

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// Calls the API; resolves to the parsed body, or throws an Error carrying the error body.
export async function call(method, path, body, isForm = false) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
  const response = await fetch(`${API}${path}`, {
    method,
    credentials: "same-origin",
    headers,
    body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.message) || response.statusText);
    error.body = data;
    throw error;
  }
  return data;
}

// Renders an error body (message and every problem) into a container.
export function showError(container, error, fallback) {
  container.replaceChildren();
  const box = document.createElement("div");
  box.className = "notice error";
  box.dataset.testid = "error";
  const title = document.createElement("p");
  title.textContent = error.message || fallback;
  box.append(title);
  const problems = (error.body && error.body.problems) || [];
  if (problems.length) {
    const list = document.createElement("ul");
    for (const p of problems) {
      const item = document.createElement("li");
      item.dataset.testid = "problem";
      item.textContent = `${p.where}: ${p.message}`;
      list.append(item);
    }
    box.append(list);
  }
  container.append(box);
}
