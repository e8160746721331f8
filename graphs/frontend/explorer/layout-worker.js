// The layout worker: the page posts {id, ids, edges}; the worker answers {id, positions, ms} (or
// {id, error}). Laying out off the main thread keeps the page responsive while a large view settles.
import { computeLayout } from "./layout-core.js";

self.onmessage = (event) => {
  const { id, ids, edges } = event.data;
  const started = performance.now();
  try {
    const positions = computeLayout(ids, edges);
    self.postMessage({ id, positions, ms: performance.now() - started }, [positions.buffer]);
  } catch (error) {
    self.postMessage({ id, error: String(error && error.message ? error.message : error) });
  }
};
