// The WebGL picture: sigma.js draws a graphology graph; reducers fade or hide what is not of interest
// (the focused host's neighbourhood, the nodes found, the node under the pointer).
import Graph from "graphology";
import Sigma from "sigma";
import { EdgeArrowProgram, EdgeLineProgram } from "sigma/rendering";

import { KIND_COLORS, edgeColor, edgeSizer, nodeSizer } from "./model.js";

const FADED_NODE = "#dfe4ea";
const HIGHLIGHT_EDGE = { ACCEPT: "#2f6f45", REJECT: "#c62828", MIXED: "#d97706" };
// Above this many drawn edges, edges are left out while the camera moves: in software WebGL a frame of
// 50,000 arrows takes longer than a frame may; they come back the moment the camera stops.
const HIDE_EDGES_ON_MOVE_ABOVE = 20000;
// Hovering a node lights its edges by re-running the reducers over every edge: instant up to here.
const HOVER_HIGHLIGHT_MAX_EDGES = 20000;
const NAMED_HEAVIEST = 12;
const ARROWS_UP_TO = 15000;

export class Renderer {
  constructor(container, handlers) {
    this.container = container;
    this.handlers = handlers; // {clickNode, clickStage, enterNode, leaveNode, enterEdge, leaveEdge}
    this.model = null;
    this.graph = new Graph({ type: "directed", multi: false, allowSelfLoops: false });
    this.focus = null; // node id
    this.focusSet = null; // ids of the focus and its neighbours
    this.found = null; // Set of node ids matching the find box
    this.foundSet = null; // found nodes and their neighbours
    this.hovered = null;
    this.hoverSet = null;
    this.hoveredEdge = null;
    this.sigma = new Sigma(this.graph, container, {
      defaultEdgeType: "arrow",
      edgeProgramClasses: { arrow: EdgeArrowProgram, line: EdgeLineProgram },
      renderEdgeLabels: false,
      enableEdgeEvents: true,
      zIndex: true,
      labelFont: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif',
      labelSize: 12,
      labelWeight: "500",
      labelColor: { color: "#1f2933" },
      labelDensity: 0.6,
      labelGridCellSize: 90,
      labelRenderedSizeThreshold: 7,
      minCameraRatio: 0.005,
      maxCameraRatio: 3,
      stagePadding: 56, // room for the labels of the outermost nodes
      itemSizesReference: "screen",
      zoomToSizeRatioFunction: (ratio) => Math.sqrt(ratio), // nodes grow a little as one zooms in
      nodeReducer: (node, data) => this.reduceNode(node, data),
      edgeReducer: (edge, data) => this.reduceEdge(edge, data),
    });
    this.bind();
  }

  bind() {
    const s = this.sigma;
    s.on("clickNode", ({ node }) => this.handlers.clickNode(node));
    s.on("clickStage", () => this.handlers.clickStage());
    // Sigma reports what is under the pointer on every move, drags included. Restyling is never done
    // synchronously (a refresh redraws every edge; a drag crosses dozens of edges a second), and not
    // at all while the camera moves.
    s.on("enterNode", ({ node, event }) => {
      this.hovered = node;
      this.container.classList.add("over-node");
      if (this.moving()) return;
      if (this.model.edges.length <= HOVER_HIGHLIGHT_MAX_EDGES) {
        this.hoverSet = this.neighbourhood(node);
        this.refreshStyles();
      }
      this.handlers.enterNode(node, event);
    });
    s.on("leaveNode", ({ event }) => {
      this.hovered = null;
      if (this.hoverSet) {
        this.hoverSet = null;
        this.refreshStyles();
      }
      this.container.classList.remove("over-node");
      this.handlers.leaveNode();
      // Sigma keeps the edge it had under the pointer while a node was over it: back on that edge, no
      // new enterEdge comes, so its tooltip is shown again here.
      if (this.hoveredEdge) this.handlers.enterEdge(this.hoveredEdge, event);
    });
    s.on("enterEdge", ({ edge, event }) => {
      if (this.moving()) return;
      this.hoveredEdge = edge;
      s.scheduleRefresh({ partialGraph: { edges: [edge] }, skipIndexation: true });
      this.container.classList.add("over-edge");
      this.handlers.enterEdge(edge, event);
    });
    s.on("leaveEdge", ({ edge }) => {
      if (this.hoveredEdge !== edge) return;
      this.hoveredEdge = null;
      s.scheduleRefresh({ partialGraph: { edges: [edge] }, skipIndexation: true });
      this.container.classList.remove("over-edge");
      this.handlers.leaveEdge();
    });
    s.getMouseCaptor().on("mousemovebody", (event) => this.handlers.move?.(event));
    s.getMouseCaptor().on("mousedown", () => this.handlers.leaveEdge());
    // What is under the pointer is read back from WebGL picking buffers (readPixels), which waits for
    // the frame being drawn: on every move of a drag that halves the frame rate, or worse in software
    // WebGL, for nothing, since nothing is hovered while dragging.
    const nodeAt = s.getNodeAtPosition.bind(s);
    const edgeAt = s.getEdgeAtPoint.bind(s);
    s.getNodeAtPosition = (position) => (this.moving() ? null : nodeAt(position));
    s.getEdgeAtPoint = (x, y) => (this.moving() ? null : edgeAt(x, y));
  }

  /** A drag or a camera animation is under way. */
  moving() {
    const captor = this.sigma.getMouseCaptor();
    return captor.isMouseDown || captor.draggedEvents > 0 || this.sigma.getCamera().isAnimated();
  }

  /** Draw a new view at the given positions; the camera frames the whole picture. */
  show(model, positions) {
    const graph = new Graph({ type: "directed", multi: false, allowSelfLoops: false });
    const sizeOf = nodeSizer(model.nodes);
    // In a large picture few nodes are big enough for a label: name the heaviest anyway, to find one's way.
    const named = new Set(
      model.nodes.length > 200
        ? [...model.nodes].sort((a, b) => b.bytes - a.bytes).slice(0, NAMED_HEAVIEST).map((node) => node.id)
        : [],
    );
    model.nodes.forEach((node, i) => {
      graph.addNode(node.id, {
        x: positions[2 * i],
        y: -positions[2 * i + 1], // sigma's y axis points up; keep the layout's orientation
        size: sizeOf(node),
        color: KIND_COLORS[node.kind] || KIND_COLORS.host,
        label: node.label,
        forceLabel: named.has(node.id),
        zIndex: node.group ? 2 : 1,
      });
    });
    const thickness = edgeSizer(model.edges);
    const count = model.edges.length;
    // Past this many edges, arrowheads are specks and each antialiased arrow costs a quad of fragments:
    // one-pixel lines draw several times faster, and the direction is in the tooltip and the focus panel.
    const lines = count > ARROWS_UP_TO;
    for (const edge of model.edges) {
      graph.addDirectedEdgeWithKey(edge.id, edge.source, edge.target, {
        size: thickness(edge),
        color: edgeColor(edge.action, count),
        action: edge.action,
        // A pair talking both ways is one line with a head at each end (its tooltip tells both ways):
        // curved arrows would part them, but their per-pixel curve costs four times a straight one.
        type: lines ? "line" : "arrow",
        zIndex: edge.action === "ACCEPT" ? 0 : 1,
      });
    }
    this.model = model;
    this.edgeIndex = new Map(model.edges.map((edge) => [edge.id, edge]));
    this.graph = graph;
    this.hovered = this.hoverSet = this.hoveredEdge = null;
    this.focus = this.focusSet = null;
    this.found = this.foundSet = null;
    this.sigma.setSetting("hideEdgesOnMove", count > HIDE_EDGES_ON_MOVE_ABOVE);
    // A drag counts as over after this long without a move; when one frame of every edge takes longer
    // than that (software WebGL), the default 100 ms would draw them all between two moves of a drag.
    this.sigma.setSetting("dragTimeout", count > HIDE_EDGES_ON_MOVE_ABOVE ? 600 : 100);
    // A small picture names every node; a large one only its bigger nodes (and those zoomed into).
    const order = model.nodes.length;
    this.sigma.setSetting("labelRenderedSizeThreshold", order <= 200 ? 0 : order <= 1000 ? 6 : 9);
    this.sigma.setGraph(graph);
    this.sigma.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
  }

  neighbourhood(id) {
    if (!this.graph.hasNode(id)) return null;
    const set = new Set([id]);
    this.graph.forEachNeighbor(id, (other) => set.add(other));
    return set;
  }

  setFocus(id) {
    this.focus = id && this.graph.hasNode(id) ? id : null;
    this.focusSet = this.focus ? this.neighbourhood(this.focus) : null;
    this.refreshStyles();
    return Boolean(this.focus);
  }

  setFound(ids) {
    this.found = ids && ids.size ? ids : null;
    if (this.found) {
      this.foundSet = new Set(this.found);
      for (const id of this.found) this.graph.forEachNeighbor(id, (other) => this.foundSet.add(other));
    } else {
      this.foundSet = null;
    }
    this.refreshStyles();
  }

  refreshStyles() {
    this.sigma.scheduleRefresh({ skipIndexation: true });
  }

  /** The set that decides what is lit: the node under the pointer, else the focus, else the found. */
  activeSet() {
    return this.hoverSet || this.focusSet || this.foundSet;
  }

  reduceNode(node, data) {
    const lit = this.activeSet();
    if (node === this.focus || this.found?.has(node) || node === this.hovered) {
      return { ...data, highlighted: true, zIndex: 3, forceLabel: true };
    }
    if (lit && !lit.has(node)) return { ...data, color: FADED_NODE, label: "", forceLabel: false, zIndex: 0 };
    if (lit) return { ...data, zIndex: 2, forceLabel: lit.size <= 60 };
    return data;
  }

  reduceEdge(edge, data) {
    if (edge === this.hoveredEdge) {
      return { ...data, color: HIGHLIGHT_EDGE[data.action], size: Math.max(data.size * 1.6, 2.5), zIndex: 3 };
    }
    const lit = this.activeSet();
    if (!lit) return data;
    const source = this.graph.source(edge);
    const target = this.graph.target(edge);
    // Only the edges of the lit nodes stay: the hovered or focused node's own, or those of found nodes.
    const centre = this.hoverSet ? this.hovered : this.focusSet ? this.focus : null;
    const keep = centre
      ? source === centre || target === centre
      : this.found.has(source) || this.found.has(target);
    if (!keep) return { ...data, hidden: true };
    return { ...data, color: HIGHLIGHT_EDGE[data.action], size: Math.max(data.size, 1.2), zIndex: 2 };
  }

  /** Animate the camera to frame the given nodes (all of them when the list is empty). */
  frame(ids, duration = 450) {
    const camera = this.sigma.getCamera();
    const points = ids.map((id) => this.sigma.getNodeDisplayData(id)).filter(Boolean);
    if (!points.length) return camera.animatedReset({ duration });
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const p of points) {
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x);
      y1 = Math.max(y1, p.y);
    }
    // Never closer than a fifth of the whole picture: a single node is shown among its surroundings.
    const ratio = Math.min(1, Math.max(0.2, Math.max(x1 - x0, y1 - y0) * 1.35));
    return camera.animate({ x: (x0 + x1) / 2, y: (y0 + y1) / 2, ratio }, { duration });
  }

  /** Where a node is drawn, in CSS pixels from the container's top left corner; null when not drawn. */
  viewportPosition(id) {
    if (!this.graph.hasNode(id)) return null;
    const { x, y } = this.graph.getNodeAttributes(id);
    return this.sigma.graphToViewport({ x, y });
  }

  zoom(direction) {
    const camera = this.sigma.getCamera();
    if (direction === "in") camera.animatedZoom({ duration: 200 });
    else if (direction === "out") camera.animatedUnzoom({ duration: 200 });
    else camera.animatedReset({ duration: 300 });
  }

  edgeData(id) {
    return this.edgeIndex.get(id);
  }

  kill() {
    this.sigma.kill();
  }
}
