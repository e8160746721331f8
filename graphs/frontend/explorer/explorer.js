// The explorer: one view at a time, drawn from the URL's state. `apply` makes the page match a state:
// the filter bar, the links, the picture (re-queried, laid out and drawn only when the view changed),
// then the overlays (found nodes, the focused host) and the answers.
import { downloadAsPNG } from "@sigma/export-image";

import { ApiError, getJson, withQuery } from "./api.js";
import { byId, fill } from "./dom.js";
import { FilterBar } from "./filters.js";
import { focusMethods } from "./focus.js";
import { plural } from "./format.js";
import { Layout } from "./layout.js";
import { buildModel } from "./model.js";
import { edgeTooltip, nodeTooltip } from "./panels.js";
import { Renderer } from "./renderer.js";
import { sidebarMethods } from "./sidebar.js";
import { stateFromSearch, stateToSearch, viewKey, viewParams, withChanges } from "./state.js";

// Marks for the benchmark and the browser's performance panel: where the time to "ready" goes.
export function mark(name) {
  performance.mark(`explorer:${name}`);
}

function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

export class Explorer {
  constructor(root) {
    this.root = root;
    this.config = root.dataset;
    this.container = byId("graph");
    this.state = null;
    this.model = null;
    this.drawnKey = null;
    this.answersKey = null;
    this.sequence = 0;
    this.viewAbort = null;
    this.labels = new Map(); // node id → label, for the breadcrumb of expanded groups
    this.layout = new Layout(this.config.workerUrl);
    this.layout.start();
    this.renderer = new Renderer(this.container, {
      clickNode: (id) => this.clickNode(id),
      clickStage: () => this.state.focus && this.navigate({ focus: "" }),
      enterNode: (id, event) => this.tooltip(nodeTooltip(this.model.byId.get(id)), event),
      leaveNode: () => this.tooltip(null),
      enterEdge: (id, event) => {
        const edge = this.renderer.edgeData(id);
        const back = edge.reciprocal ? this.renderer.edgeData(`${edge.target} → ${edge.source}`) : null;
        this.tooltip(edgeTooltip(edge, this.model, back), event);
      },
      leaveEdge: () => this.tooltip(null),
      move: (event) => this.moveTooltip(event),
    });
    // Read-only hooks for the browser tests and the benchmark, which click and hover like a person and
    // need to know where a node is drawn; nothing of the page depends on them.
    this.container.explorerProbe = {
      position: (id) => this.renderer.viewportPosition(id),
      camera: () => this.renderer.sigma.getCamera().getState(),
      zoom: (direction) => this.renderer.zoom(direction),
    };
    // Give the WebGL contexts back at once when the page goes (software WebGL holds them in memory).
    window.addEventListener("pagehide", () => this.renderer.kill());
    window.addEventListener("pageshow", (event) => event.persisted && location.reload()); // back from the cache
    this.filters = new FilterBar(byId("filters"), (fromBar) =>
      this.navigate({ ...fromBar, filters: FilterBar.merge(this.state.filters, fromBar), expand: [], focus: "" }),
    );
    this.wire();
  }

  wire() {
    window.addEventListener("popstate", () => this.apply(stateFromSearch(location.search)));
    byId("find").addEventListener("submit", (event) => {
      event.preventDefault();
      this.find(byId("find-input").value.trim(), true);
    });
    byId("find-input").addEventListener("input", (event) => this.find(event.target.value.trim(), false));
    for (const button of document.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => this.renderer.zoom(button.dataset.zoom));
    }
    byId("answers-of").addEventListener("change", (event) => this.navigate({ top: event.target.value }));
    byId("answers-by").addEventListener("change", (event) => this.navigate({ by: event.target.value }));
    byId("export-png").addEventListener("click", () => this.exportPng());
    this.container.addEventListener("keydown", (event) => {
      const keys = { "+": "in", "=": "in", "-": "out", 0: "reset" };
      if (keys[event.key]) this.renderer.zoom(keys[event.key]);
      else if (event.key === "Escape" && this.state.focus) this.navigate({ focus: "" });
      else return;
      event.preventDefault();
    });
  }

  /** A new state from the page's controls: a new history entry, so Back undoes it. */
  navigate(changes, { replace = false } = {}) {
    const next = withChanges(this.state, changes);
    const url = `${location.pathname}${stateToSearch(next) ? `?${stateToSearch(next)}` : ""}`;
    if (replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    return this.apply(next);
  }

  async apply(state) {
    const previous = this.state;
    this.state = state;
    this.filters.write(state);
    this.updateLinks(state);
    this.breadcrumb(state);
    byId("find-input").value = state.find;
    if (viewKey(state) !== this.drawnKey) {
      // The answers wait for the picture: on two cores their query would slow the view's and its layout.
      const drawn = await this.loadView(state, previous, () => this.loadAnswers(state));
      if (!drawn) return;
    } else {
      this.loadAnswers(state);
    }
    this.overlays(state);
  }

  async loadView(state, previous, whenDrawn) {
    const sequence = ++this.sequence;
    this.viewAbort?.abort();
    this.viewAbort = new AbortController();
    this.setState("loading", "Loading the view…");
    try {
      const url = withQuery(this.config.viewUrl, viewParams(state));
      const building = () => sequence === this.sequence && this.setState("loading", "Building the connection table…");
      const view = await getJson(url, { signal: this.viewAbort.signal, onRetry: building }).catch((error) => {
        whenDrawn();
        throw error;
      });
      mark("fetched");
      const model = buildModel(view);
      if (sequence !== this.sequence) return false;
      this.setState("loading", `Laying out ${plural(model.nodes.length, "node")} and ${plural(model.edges.length, "edge")}…`);
      const { positions, ms } = await this.layout.run(model);
      mark("laid-out");
      if (sequence !== this.sequence) return false;
      const before = new Set(this.model ? this.model.nodes.map((node) => node.id) : []);
      this.renderer.show(model, positions);
      mark("shown");
      this.model = model;
      this.drawnKey = viewKey(state);
      for (const node of model.nodes) this.labels.set(node.id, node.label);
      this.breadcrumb(state);
      Object.assign(this.container.dataset, {
        nodes: String(model.nodes.length),
        edges: String(model.edges.length),
        level: model.level,
        layoutMs: String(Math.round(ms)),
      });
      this.summary();
      this.renderer.setFound(null);
      this.overlays(state);
      await nextFrame(); // sigma draws on the next frame: "ready" means it is on the screen
      await nextFrame();
      if (sequence !== this.sequence) return false;
      mark("ready");
      this.setState("ready");
      whenDrawn();
      this.frameNewMembers(state, previous, before);
      return true;
    } catch (error) {
      if (error.name === "AbortError") return false;
      if (sequence !== this.sequence) return false;
      this.setState("error", error instanceof ApiError ? error.message : `The view could not be drawn: ${error.message}`);
      this.filters.markInvalid(error.parameter || "");
      return false;
    }
  }

  /** After opening a group, frame what it opened into: the expansion happens where one clicked. */
  frameNewMembers(state, previous, before) {
    if (!previous || state.expand.length !== previous.expand.length + 1 || state.focus) return;
    const opened = state.expand[state.expand.length - 1];
    if (this.model.byId.has(opened)) return; // nothing finer came of it
    const fresh = this.model.nodes.filter((node) => !before.has(node.id)).map((node) => node.id);
    if (!fresh.length || fresh.length === this.model.nodes.length) return;
    // The opened members with what they talk to: where they sit in the picture, not a lone dot.
    const around = new Set(fresh);
    for (const id of fresh) for (const other of this.renderer.neighbourhood(id) || []) around.add(other);
    if (around.size <= this.model.nodes.length * 0.6) this.renderer.frame([...around]);
  }

  setState(state, message = "") {
    this.container.dataset.state = state;
    const overlay = byId("graph-overlay");
    overlay.hidden = state === "ready";
    overlay.classList.toggle("error", state === "error");
    byId("graph-message").textContent = message;
  }

  overlays(state) {
    this.find(state.find, false, { fromState: true });
    this.showFocus(state.focus);
  }

  clickNode(id) {
    const node = this.model.byId.get(id);
    if (!node) return;
    this.tooltip(null);
    if (node.group) this.navigate({ expand: [...this.state.expand, id], focus: "" });
    else this.navigate({ focus: id === this.state.focus ? "" : id });
  }

  // --- find ----------------------------------------------------------------------------------------

  find(text, frame, { fromState = false } = {}) {
    const result = byId("find-result");
    if (!fromState && text !== this.state.find) {
      this.state = withChanges(this.state, { find: text });
      history.replaceState(null, "", `${location.pathname}${stateToSearch(this.state) ? `?${stateToSearch(this.state)}` : ""}`);
    }
    if (!this.model) return;
    const wanted = text.toLowerCase();
    if (!wanted) {
      this.renderer.setFound(null);
      result.textContent = "";
      return;
    }
    const matches = new Set();
    for (const node of this.model.nodes) {
      if (node.id.toLowerCase().includes(wanted) || node.label.toLowerCase().includes(wanted)) matches.add(node.id);
    }
    this.renderer.setFound(matches);
    result.textContent = matches.size ? plural(matches.size, "match", "matches") : "no match";
    result.classList.toggle("miss", !matches.size);
    if (frame && matches.size) this.renderer.frame([...matches]);
  }

  // --- tooltip and export --------------------------------------------------------------------------

  tooltip(content, event) {
    const tip = byId("tooltip");
    if (!content) {
      tip.hidden = true;
      return;
    }
    fill(tip, content);
    tip.hidden = false;
    if (event) this.moveTooltip(event);
  }

  moveTooltip(event) {
    const tip = byId("tooltip");
    if (tip.hidden) return;
    const width = this.container.clientWidth;
    const height = this.container.clientHeight;
    const x = event.x + 16 + tip.offsetWidth > width ? event.x - 16 - tip.offsetWidth : event.x + 16;
    const y = Math.min(Math.max(8, event.y + 16), Math.max(8, height - tip.offsetHeight - 8));
    tip.style.transform = `translate(${Math.max(8, x)}px, ${y}px)`;
  }

  async exportPng() {
    const button = byId("export-png");
    button.disabled = true;
    try {
      await downloadAsPNG(this.renderer.sigma, {
        fileName: `${this.config.graphId}-${this.model ? this.model.level : "view"}`,
        backgroundColor: "#ffffff",
      });
    } finally {
      button.disabled = false;
    }
  }
}

Object.assign(Explorer.prototype, focusMethods, sidebarMethods);
