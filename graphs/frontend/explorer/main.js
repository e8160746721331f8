// The graph explorer page (/graphs/<id>/): the job's status until the graph is built, then the explorer
// (explorer.js), or the way to the classic SVG view where the browser has no WebGL. The view state lives
// in the URL (state.js); views come from API v1 (api.js), are laid out in a worker (layout.js) and drawn
// with sigma.js (renderer.js).
import { byId } from "./dom.js";
import { Explorer, mark } from "./explorer.js";
import { formatCount } from "./format.js";
import { StatusWatch } from "./status.js";
import { stateFromSearch } from "./state.js";

function webglAvailable() {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(window.WebGLRenderingContext && (canvas.getContext("webgl2") || canvas.getContext("webgl")));
  } catch {
    return false;
  }
}

function fillFacts(graph) {
  const figures = graph.figures || {};
  const values = {
    records: formatCount(figures.records),
    connections: formatCount(figures.connections),
    nodes: formatCount(figures.nodes),
    edges: formatCount(figures.edges),
    duration: graph.timings && graph.timings.duration != null ? `${graph.timings.duration.toFixed(2)} s` : "",
  };
  for (const element of document.querySelectorAll("[data-fact]")) {
    element.textContent = values[element.dataset.fact] ?? element.textContent;
  }
  for (const element of document.querySelectorAll("[data-fact-row]")) element.hidden = false;
}

// The warnings and the incomplete badge of a graph built while the page was open (the server renders
// them for a graph that was already built: templates/includes/graph_trust.html).
function fillTrust(graph) {
  const reason = graph.incomplete_reason || "";
  const warnings = graph.warnings || [];
  byId("graph-incomplete").hidden = !reason;
  byId("graph-incomplete").title = reason;
  const line = byId("graph-incomplete-reason");
  line.hidden = !reason;
  line.textContent = reason ? `${reason[0].toUpperCase()}${reason.slice(1)}.` : "";
  byId("graph-warnings").replaceChildren(...warnings.map((text) => {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  }));
  byId("graph-trust").hidden = !reason && warnings.length === 0;
}

function startExplorer(root) {
  byId("job-panel").hidden = true;
  byId("explorer-main").hidden = false;
  for (const element of document.querySelectorAll("[data-when-done]")) element.hidden = false;
  let explorer = null;
  if (webglAvailable()) {
    try {
      mark("start");
      explorer = new Explorer(root);
      mark("renderer");
    } catch (error) {
      console.warn("WebGL explorer unavailable:", error);
    }
  }
  if (!explorer) {
    byId("no-webgl").hidden = false;
    byId("graph").dataset.state = "error";
    byId("graph-message").textContent = "This browser cannot draw WebGL.";
    return;
  }
  explorer.apply(stateFromSearch(location.search));
}

function boot() {
  const root = byId("explorer");
  if (!root) return;
  if (root.dataset.status === "done") {
    startExplorer(root);
    return;
  }
  byId("job-panel").hidden = false;
  new StatusWatch(root.dataset.graphUrl, (graph) => {
    root.dataset.status = "done";
    fillFacts(graph);
    fillTrust(graph);
    startExplorer(root);
  }).start();
}

boot();

