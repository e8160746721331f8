// Calls to API v1 with the page's session (same-origin cookies; GET needs no CSRF token). Errors carry
// the API's `detail` and, for a 400, the `parameter` it names, so the filter bar can point at it.

export class ApiError extends Error {
  constructor(message, status, parameter = "") {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.parameter = parameter;
  }
}

export async function getJson(url, { signal } = {}) {
  let response;
  try {
    response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError("The server cannot be reached; check the connection and try again.", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok && body) return body;
  if (response.status === 401 || response.status === 403) {
    throw new ApiError("Your session has ended: reload the page to log in again.", response.status);
  }
  const detail = body && typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`;
  throw new ApiError(detail, response.status, (body && body.parameter) || "");
}

export function withQuery(url, params) {
  const query = params.toString();
  return query ? `${url}?${query}` : url;
}
