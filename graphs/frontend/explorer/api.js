// Calls to API v1 with the page's session (same-origin cookies; GET needs no CSRF token). Errors carry
// the API's `detail` and, for a 400, the `parameter` it names, so the filter bar can point at it.
//
// A connection view of a graph whose table is still being stored (its worker stores it after the DOT, or
// a task folds it from the digest) is a 503 with Retry-After and `retry_after` in the body: the server
// answers at once rather than hold a thread, and the page asks again after that many seconds, for a while.

// With the server's 3 s, about three minutes: longer than the fold of a large window's table.
export const MAX_TABLE_RETRIES = 60;

export class ApiError extends Error {
  constructor(message, status, parameter = "", retryAfter = 0) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.parameter = parameter;
    this.retryAfter = retryAfter; // seconds, for a connection table still being built; else 0
  }
}

function abortable(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException("aborted", "AbortError"));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("aborted", "AbortError"));
    }, { once: true });
  });
}

/** GET a JSON answer; a table still being built is asked for again after its Retry-After (`onRetry` is
 * told each time), at most MAX_TABLE_RETRIES times. `sleep` is for the unit tests. */
export async function getJson(url, { signal, onRetry, sleep = abortable } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await getJsonOnce(url, signal);
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryAfter || attempt > MAX_TABLE_RETRIES) throw error;
      onRetry?.(error, attempt);
      await sleep(error.retryAfter * 1000, signal);
    }
  }
}

async function getJsonOnce(url, signal) {
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
  let retryAfter = 0;
  if (response.status === 503 && body && typeof body.retry_after === "number") {
    retryAfter = Number(response.headers.get("Retry-After")) || body.retry_after;
  }
  throw new ApiError(detail, response.status, (body && body.parameter) || "", retryAfter);
}

export function withQuery(url, params) {
  const query = params.toString();
  return query ? `${url}?${query}` : url;
}
