// The page's side of the layout: one long-lived worker, one request at a time (a newer view supersedes
// an older one: its answer is dropped). Without worker support the same code runs here.
import { computeLayout } from "./layout-core.js";

export class Layout {
  constructor(workerUrl) {
    this.workerUrl = workerUrl;
    this.worker = null;
    this.pending = new Map();
    this.nextId = 1;
  }

  start() {
    if (this.worker || typeof Worker === "undefined") return;
    try {
      this.worker = new Worker(this.workerUrl);
    } catch {
      this.worker = null; // a blocked worker (policy, old browser): lay out on the page instead
      return;
    }
    this.worker.onmessage = (event) => {
      const { id, positions, error, ms } = event.data;
      const request = this.pending.get(id);
      if (!request) return;
      this.pending.delete(id);
      if (error) request.reject(new Error(`layout failed: ${error}`));
      else request.resolve({ positions, ms });
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      for (const request of this.pending.values()) request.reject(new Error("the layout worker stopped"));
      this.pending.clear();
      this.worker = null;
    };
  }

  /** Positions (Float32Array x, y per node) for a model's nodes and edges. */
  run(model) {
    const index = new Map(model.nodes.map((node, i) => [node.id, i]));
    const ids = model.nodes.map((node) => node.id);
    const edges = new Int32Array(model.edges.length * 2);
    model.edges.forEach((edge, i) => {
      edges[2 * i] = index.get(edge.source);
      edges[2 * i + 1] = index.get(edge.target);
    });
    this.start();
    if (!this.worker) {
      const started = performance.now();
      return Promise.resolve({ positions: computeLayout(ids, edges), ms: performance.now() - started });
    }
    // Only the latest request matters: older ones are abandoned (the worker finishes them unseen).
    for (const request of this.pending.values()) request.reject(new DOMException("superseded", "AbortError"));
    this.pending.clear();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ids, edges }, [edges.buffer]);
    });
  }
}
