// The graph page: loads the stored SVG, sanitises it, and adds pan/zoom, node search and edge details.
// No libraries: the page's CSP allows only this file, and everything from the SVG is handled as text.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const XLINK_NS = "http://www.w3.org/1999/xlink";
  const FETCH_TIMEOUT_MS = 60000; // a very large SVG may take a while; never leave the page hanging
  const MIN_SCALE = 0.01;
  const MAX_SCALE = 12;
  const BUTTON_STEP = 1.4;
  const FIT_MAX_SCALE = 1.6; // a tiny graph should not be blown up to fill a huge screen
  // Anything that can run code, load something, or restyle the page is dropped, whatever its case.
  const DROPPED = new Set([
    "script", "foreignobject", "iframe", "object", "embed", "style", "link", "meta", "audio", "video",
    "animate", "animatemotion", "animatetransform", "set", "discard", "handler", "listener",
  ]);

  const viewport = document.getElementById("graph-viewport");
  if (!viewport) return;
  const message = document.getElementById("viewer-message");
  const searchForm = document.getElementById("node-search");
  const searchResult = document.getElementById("node-search-result");
  const edgePanel = document.getElementById("edge-details");

  const view = { x: 0, y: 0, k: 1, width: 0, height: 0 };
  let svg = null;
  let nodesByAddress = new Map();
  let found = null;
  let hovered = null;

  function showMessage(text) {
    message.textContent = text;
    message.hidden = false;
  }

  function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
  }

  // --- loading ------------------------------------------------------------------------------------

  function load() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    fetch(viewport.dataset.svgUrl, { credentials: "same-origin", signal: controller.signal })
      .then((response) => {
        if (response.ok) return response.text();
        throw new Error(
          response.status === 404
            ? "The SVG preview is not stored; download the DOT file instead."
            : `The preview could not be loaded (HTTP ${response.status}).`,
        );
      })
      .then((text) => show(parse(text)))
      .catch((error) => {
        showMessage(error.name === "AbortError" ? "Loading the preview took too long." : error.message);
      })
      .finally(() => clearTimeout(timer));
  }

  function parse(text) {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (doc.getElementsByTagName("parsererror").length || root.namespaceURI !== SVG_NS || root.localName !== "svg") {
      throw new Error("The stored preview is not a valid SVG.");
    }
    sanitise(root);
    return document.importNode(root, true);
  }

  function sanitise(root) {
    for (const element of Array.from(root.querySelectorAll("*"))) {
      if (element.namespaceURI !== SVG_NS || DROPPED.has(element.localName.toLowerCase())) {
        element.remove();
      }
    }
    for (const element of [root, ...root.querySelectorAll("*")]) {
      for (const attribute of Array.from(element.attributes)) {
        const name = attribute.localName.toLowerCase();
        const value = attribute.value.trim();
        if (name.startsWith("on") || (name === "href" && !value.startsWith("#"))) {
          element.removeAttributeNode(attribute);
        }
      }
    }
  }

  function show(root) {
    svg = root;
    const box = svg.viewBox && svg.viewBox.baseVal;
    message.hidden = true;
    viewport.appendChild(svg);
    // One viewBox unit is drawn as one CSS pixel at zoom 1; the transform does all the scaling.
    const bounds = box && box.width ? box : svg.getBBox();
    view.width = bounds.width;
    view.height = bounds.height;
    svg.setAttribute("width", String(view.width));
    svg.setAttribute("height", String(view.height));
    svg.classList.add("graph-svg");
    nodesByAddress = indexNodes(svg);
    fit();
    viewport.classList.add("loaded");
  }

  // --- pan and zoom -------------------------------------------------------------------------------

  function apply() {
    if (svg) svg.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.k})`;
  }

  function fit() {
    const width = viewport.clientWidth;
    const height = viewport.clientHeight;
    const k = clamp(Math.min(width / view.width, height / view.height) * 0.95, MIN_SCALE, FIT_MAX_SCALE);
    view.k = k;
    view.x = (width - view.width * k) / 2;
    view.y = (height - view.height * k) / 2;
    apply();
  }

  // Zoom keeping the point (px, py) of the viewport still.
  function zoomAt(px, py, factor) {
    const k = clamp(view.k * factor, MIN_SCALE, MAX_SCALE);
    view.x = px - ((px - view.x) * k) / view.k;
    view.y = py - ((py - view.y) * k) / view.k;
    view.k = k;
    apply();
  }

  function zoomCentre(factor) {
    zoomAt(viewport.clientWidth / 2, viewport.clientHeight / 2, factor);
  }

  function panBy(dx, dy) {
    view.x += dx;
    view.y += dy;
    apply();
  }

  function onWheel(event) {
    if (!svg) return;
    event.preventDefault();
    const rect = viewport.getBoundingClientRect();
    const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY; // lines → pixels
    zoomAt(event.clientX - rect.left, event.clientY - rect.top, Math.exp(-delta * 0.0015));
  }

  function enableDrag() {
    let drag = null;
    viewport.addEventListener("pointerdown", (event) => {
      if (!svg || event.button !== 0) return;
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
      viewport.setPointerCapture(event.pointerId);
      viewport.classList.add("dragging");
    });
    viewport.addEventListener("pointermove", (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      panBy(event.clientX - drag.x, event.clientY - drag.y);
      drag.x = event.clientX;
      drag.y = event.clientY;
    });
    const end = (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      drag = null;
      viewport.classList.remove("dragging");
    };
    viewport.addEventListener("pointerup", end);
    viewport.addEventListener("pointercancel", end);
  }

  const KEYS = {
    "+": () => zoomCentre(BUTTON_STEP),
    "=": () => zoomCentre(BUTTON_STEP),
    "-": () => zoomCentre(1 / BUTTON_STEP),
    "0": fit,
    ArrowLeft: () => panBy(60, 0),
    ArrowRight: () => panBy(-60, 0),
    ArrowUp: () => panBy(0, 60),
    ArrowDown: () => panBy(0, -60),
  };

  function onKey(event) {
    const action = KEYS[event.key];
    if (!svg || !action) return;
    event.preventDefault();
    action();
  }

  function onZoomButton(event) {
    const which = event.target.closest("[data-zoom]");
    if (!which || !svg) return;
    ({ in: () => zoomCentre(BUTTON_STEP), out: () => zoomCentre(1 / BUTTON_STEP), reset: fit })[which.dataset.zoom]();
  }

  // --- node search --------------------------------------------------------------------------------

  // Nodes are found by what the reader sees (the label), by their <title> and by a `node-` id.
  function indexNodes(root) {
    const index = new Map();
    for (const node of root.querySelectorAll("g.node")) {
      const keys = [node.dataset.address, node.id.replace(/^node-/, "")];
      for (const text of node.querySelectorAll("title, text")) keys.push(text.textContent);
      for (const key of keys) {
        const normal = (key || "").trim().toLowerCase();
        if (normal && !index.has(normal)) index.set(normal, node);
      }
    }
    return index;
  }

  function find(address) {
    if (found) found.classList.remove("node-found");
    found = null;
    searchResult.classList.remove("search-miss");
    const wanted = address.trim();
    if (!wanted) {
      searchResult.textContent = "";
      return;
    }
    const node = nodesByAddress.get(wanted.toLowerCase());
    if (!node) {
      searchResult.textContent = `no node ${wanted}`;
      searchResult.classList.add("search-miss");
      return;
    }
    found = node;
    node.classList.add("node-found");
    searchResult.textContent = `found ${wanted}`;
    centreOn(node);
  }

  function centreOn(element) {
    if (view.k < 1) zoomCentre(1 / view.k);
    const target = element.getBoundingClientRect();
    const frame = viewport.getBoundingClientRect();
    panBy(frame.left + frame.width / 2 - (target.left + target.width / 2), frame.top + frame.height / 2 - (target.top + target.height / 2));
    viewport.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  // --- edge details -------------------------------------------------------------------------------

  // Graphviz puts an edge's tooltip on an <a xlink:title> inside it; without one, <title> names the ends.
  function edgeText(edge) {
    for (const link of edge.querySelectorAll("a")) {
      const tip = link.getAttributeNS(XLINK_NS, "title") || link.getAttribute("title");
      if (tip) return tip;
    }
    const title = edge.querySelector("title");
    return title ? title.textContent : "";
  }

  function showEdge(edge) {
    if (hovered) hovered.classList.remove("edge-hover");
    hovered = edge;
    edge.classList.add("edge-hover");
    edgePanel.replaceChildren(edgeDetails(edgeText(edge)));
  }

  // "key=value" or "key: value" lines become a table; anything else (an IPv6 address…) is shown as it is.
  function edgeDetails(text) {
    const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
    const list = document.createElement("dl");
    list.className = "facts edge-facts";
    for (const line of lines) {
      const pair = /^([A-Za-z][\w .-]{0,39}?)\s*(?:=|:\s)\s*(.*)$/.exec(line);
      const term = document.createElement("dt");
      const value = document.createElement("dd");
      term.textContent = pair ? pair[1] : "";
      value.textContent = pair ? pair[2] : line;
      if (!pair) value.className = "wide";
      list.append(term, value);
    }
    return list;
  }

  function onHover(event) {
    const edge = event.target.closest && event.target.closest("g.edge");
    if (edge && edge !== hovered && svg && svg.contains(edge)) showEdge(edge);
  }

  // --- wiring -------------------------------------------------------------------------------------

  viewport.addEventListener("wheel", onWheel, { passive: false });
  viewport.addEventListener("keydown", onKey);
  viewport.addEventListener("mouseover", onHover);
  viewport.addEventListener("click", onHover); // touch screens have no hover
  document.querySelector(".zoom").addEventListener("click", onZoomButton);
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    find(searchForm.elements.address.value);
  });
  window.addEventListener("resize", () => svg && fit());
  enableDrag();
  load();
})();
