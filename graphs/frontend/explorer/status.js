// While a graph is queued or running: its stage and elapsed time, refreshed from the API every two
// seconds (only the status, never the page), and at once whether any worker is alive to build it.
import { getJson } from "./api.js";
import { byId } from "./dom.js";
import { formatElapsed } from "./format.js";

const POLL_MS = 2000;
const STATUS_NAMES = { queued: "Queued", running: "Running", done: "Done", failed: "Failed" };

export class StatusWatch {
  constructor(graphUrl, onDone) {
    this.graphUrl = graphUrl;
    this.onDone = onDone;
    this.graph = null;
    this.timer = null;
    this.ticker = null;
  }

  start() {
    this.poll();
    this.ticker = setInterval(() => this.renderElapsed(), 1000);
  }

  async poll() {
    try {
      this.graph = await getJson(this.graphUrl);
      this.render();
    } catch (error) {
      this.say("Cannot read the graph's status", error.message, "");
    }
    if (this.graph && this.graph.status === "done") {
      clearInterval(this.ticker);
      this.onDone(this.graph);
      return;
    }
    if (this.graph && this.graph.status === "failed") {
      clearInterval(this.ticker);
      return;
    }
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  render() {
    const graph = this.graph;
    const badge = byId("graph-status");
    badge.textContent = STATUS_NAMES[graph.status] || graph.status;
    badge.className = `status status-${graph.status}`;
    const panel = byId("job-panel");
    panel.dataset.status = graph.status;
    const progress = graph.progress || {};
    const workerOk = !progress.worker || progress.worker === "ok" || progress.worker.startsWith("unknown");
    if (graph.status === "failed") {
      this.say("The graph could not be built", graph.error || "No error was recorded.",
        `After ${graph.attempts} attempt${graph.attempts === 1 ? "" : "s"}. Request the window again from the list of graphs.`);
      panel.classList.add("failed");
    } else if (graph.status === "queued" || graph.status === "running") {
      if (!workerOk) {
        this.say("No worker is running",
          "The graph waits in the queue, but no worker has been seen: it will not be built until one starts " +
          "(make run starts one beside the web server).", `Worker: ${progress.worker}.`);
        panel.classList.add("failed");
      } else if (progress.busy === false) {
        this.say("No worker is on this graph",
          `It has been ${graph.status} for longer than a job may take, so its worker has stopped. ` +
          "Request the window again to queue it anew.", "");
        panel.classList.add("failed");
      } else {
        const title = graph.status === "running" ? "Building the graph…" : "Waiting for a worker…";
        const stage = graph.status === "running"
          ? capitalised(graph.stage) || "Reading the flow logs, digesting them and building the connection table."
          : "Queued: a worker takes it as soon as it is free.";
        this.say(title, stage, graph.error ? `The last attempt failed: ${graph.error}` : "");
        panel.classList.remove("failed");
      }
    }
    this.renderElapsed();
  }

  renderElapsed() {
    const graph = this.graph;
    const line = byId("job-elapsed");
    if (!graph || !line) return;
    const timings = graph.timings || {};
    const since = graph.status === "running" ? timings.started : timings.queued || timings.created;
    if ((graph.status !== "queued" && graph.status !== "running") || !since) {
      line.textContent = "";
      return;
    }
    const seconds = (Date.now() - Date.parse(since)) / 1000;
    const what = graph.status === "running" ? "running for" : "queued for";
    line.textContent = `${STATUS_NAMES[graph.status]}, attempt ${Math.max(1, graph.attempts)} · ${what} ${formatElapsed(seconds)}`;
  }

  say(title, text, note) {
    byId("job-title").textContent = title;
    byId("job-text").textContent = text;
    byId("job-note").textContent = note;
  }
}

function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}
