// The side panels and the pointer tooltip. Every value from the flow logs is set as text (dom.h).
import { h } from "./dom.js";
import { ACTION_WORDS, formatBytes, formatCount, pathsLabel, plural, portLabel } from "./format.js";
import { ACTION_COLORS, KIND_COLORS, KIND_NAMES } from "./model.js";

const TOOLTIP_FLOWS = 8;
export const FOCUS_ROWS = 200;

export function kindBadge(kind) {
  return h("span", { class: `kind kind-${kind}` }, h("span", { class: "dot" }), KIND_NAMES[kind] || kind);
}

function actionBadge(action) {
  return h("span", { class: `action action-${action.toLowerCase()}` }, ACTION_WORDS[action] || action);
}

/** Tooltip body for a node under the pointer. */
export function nodeTooltip(node) {
  const rows = [
    h("div", { class: "tip-title" }, node.label),
    h("div", { class: "tip-sub" }, kindBadge(node.kind), node.label !== node.id ? ` ${node.id}` : ""),
    h("dl", { class: "tip-facts" },
      node.members > 1 ? [h("dt", {}, "Addresses"), h("dd", {}, formatCount(node.members))] : null,
      h("dt", {}, "Sent"), h("dd", {}, formatBytes(node.sent)),
      h("dt", {}, "Received"), h("dd", {}, formatBytes(node.received)),
      node.internal ? [h("dt", {}, "Inside"), h("dd", {}, `${plural(node.internal.connections, "connection")}, ${formatBytes(node.internal.bytes)}`)] : null),
    h("div", { class: "tip-hint" }, node.group ? "Click to open this group" : "Click to focus"),
  ];
  return rows;
}

/** Tooltip body for an edge: its flows, heaviest first; and the way back when the pair talks both ways
 * (drawn as one line with two heads). */
export function edgeTooltip(edge, model, back = null) {
  return [
    ...oneWay(edge, model),
    back ? h("div", { class: "tip-back" }, ...oneWay(back, model)) : null,
    h("div", { class: "tip-hint" }, "Sent: client → server · received: server → client · packets both ways"),
  ];
}

function oneWay(edge, model) {
  const source = model.byId.get(edge.source);
  const target = model.byId.get(edge.target);
  const flows = edge.flows.slice(0, TOOLTIP_FLOWS);
  const paths = pathsLabel(edge.flows);
  return [
    h("div", { class: "tip-title" }, source.label, h("span", { class: "arrow" }, " → "), target.label),
    h("div", { class: "tip-sub" }, `${plural(edge.flows.length, "flow")} · ${formatBytes(edge.bytes)} · `, actionBadge(edge.action)),
    h("table", { class: "flows" },
      h("thead", {}, h("tr", {}, h("th", {}, "Port"), h("th", { class: "num" }, "Sent"), h("th", { class: "num" }, "Received"),
        h("th", { class: "num" }, "Packets"), h("th", {}, "Action"))),
      h("tbody", {}, flows.map((flow) => h("tr", {},
        h("td", {}, portLabel(flow.port, flow.protocol)),
        h("td", { class: "num" }, formatBytes(flow.sent)),
        h("td", { class: "num" }, formatBytes(flow.received)),
        h("td", { class: "num" }, formatCount(flow.packets)),
        h("td", {}, actionBadge(flow.action)))))),
    edge.flows.length > TOOLTIP_FLOWS ? h("div", { class: "tip-hint" }, `and ${edge.flows.length - TOOLTIP_FLOWS} more flows`) : null,
    paths ? h("div", { class: "tip-sub" }, `Left by: ${paths}`) : null,
  ];
}

/** The panel when nothing is focused: what the view shows, and the legend. */
export function viewSummary(model, kindsShown) {
  const totals = model.totals || {};
  return [
    h("dl", { class: "facts" },
      h("dt", {}, "Level"), h("dd", {}, model.level),
      h("dt", {}, "Drawn"), h("dd", {}, `${plural(model.nodes.length, "node")}, ${plural(model.edges.length, "edge")}`),
      h("dt", {}, "Connections"), h("dd", {}, formatCount(totals.connections)),
      h("dt", {}, "Bytes sent"), h("dd", {}, formatBytes(totals.bytes_sent)),
      h("dt", {}, "Bytes received"), h("dd", {}, formatBytes(totals.bytes_received))),
    model.truncated
      ? h("p", { class: "warning" }, `Only the ${formatCount(model.nodes.length)} heaviest of ${formatCount(totals.nodes)} nodes are drawn: filter, or raise the node limit.`)
      : null,
    legend(kindsShown),
    h("p", { class: "muted small" }, "Click a group to open it, a host to focus it; hover an edge for its flows."),
  ];
}

function legend(kindsShown) {
  return h("div", { class: "legend-grid" },
    h("ul", { class: "legend" }, [...kindsShown].map((kind) => h("li", {},
      h("span", { class: "swatch-dot", style: { background: KIND_COLORS[kind] } }), KIND_NAMES[kind] || kind))),
    h("ul", { class: "legend" }, Object.keys(ACTION_COLORS).map((action) => h("li", {},
      h("span", { class: "swatch-line", style: { background: ACTION_COLORS[action] } }), ACTION_WORDS[action]))));
}

/** The focused host: its figures, actions, and its connections (filled in when they arrive). */
export function focusPanel(node, { onFilter, onClear, drawn }) {
  return [
    h("div", { class: "focus-head" },
      h("div", { class: "focus-title" }, node.label),
      h("div", { class: "tip-sub" }, kindBadge(node.kind), node.label !== node.id ? ` ${node.id}` : "")),
    h("dl", { class: "facts" },
      h("dt", {}, "Sent"), h("dd", {}, formatBytes(node.sent)),
      h("dt", {}, "Received"), h("dd", {}, formatBytes(node.received))),
    drawn ? null : h("p", { class: "warning" }, "Not drawn in this view (beyond the node limit)."),
    h("p", { class: "panel-actions" },
      h("button", { type: "button", class: "button small", onclick: onFilter, id: "focus-filter" }, "Show only its connections"),
      h("button", { type: "button", class: "button small", onclick: onClear }, "Clear focus")),
    h("div", { id: "focus-connections", class: "focus-connections" }, h("p", { class: "muted" }, "Loading its connections…")),
  ];
}

/** Rows of the focused host's connections, from a host-level view filtered by its address. */
export function connectionRows(view, address, { onPeer, onPort }) {
  const labels = new Map(view.nodes.map((node) => [node.id, node.name || node.label || node.id]));
  const rows = view.edges
    .filter((edge) => edge.client === address || edge.server === address)
    .sort((a, b) => b.bytes_sent + b.bytes_received - (a.bytes_sent + a.bytes_received));
  if (!rows.length) return [h("p", { class: "muted" }, "No connections under the current filters.")];
  const shown = rows.slice(0, FOCUS_ROWS);
  return [
    h("p", { class: "muted small" }, `${plural(rows.length, "connection")}${rows.length > shown.length ? `, the ${shown.length} heaviest shown` : ""}.`),
    h("table", { class: "connections" },
      h("thead", {}, h("tr", {}, h("th", {}, "Peer"), h("th", {}, "Port"), h("th", { class: "num", title: "client → server" }, "Sent"),
        h("th", { class: "num", title: "server → client" }, "Received"))),
      h("tbody", {}, shown.map((edge) => {
        const outgoing = edge.client === address;
        const peer = outgoing ? edge.server : edge.client;
        return h("tr", { class: `row-${edge.action.toLowerCase()}` },
          h("td", { class: "peer" },
            h("span", { class: "direction", title: outgoing ? "it is the client" : "it is the server" }, outgoing ? "→ " : "← "),
            h("button", { type: "button", class: "link", onclick: () => onPeer(peer), title: peer }, labels.get(peer) || peer)),
          h("td", {}, h("button", { type: "button", class: "link", onclick: () => onPort(edge.port), title: "Filter the view by this port" },
            portLabel(edge.port, edge.protocol)), edge.action !== "ACCEPT" ? [" ", actionBadge(edge.action)] : null),
          h("td", { class: "num" }, formatBytes(edge.bytes_sent)),
          h("td", { class: "num" }, formatBytes(edge.bytes_received)));
      }))),
  ];
}

export const TOP_NAMES = {
  talkers: "Top talkers",
  servers: "Servers",
  clients: "Clients",
  ports: "Ports",
  rejected: "Rejected sources",
  internet_in: "Internet in",
  internet_out: "Internet out",
};

/** The answers list: each row a button that focuses its address (or filters by its port). */
export function answerRows(top, onPick) {
  if (!top.rows.length) return [h("li", { class: "muted empty-row" }, "Nothing under the current filters.")];
  const max = Math.max(1, ...top.rows.map((row) => row[top.by]));
  return top.rows.map((row) => {
    const figure = top.by === "bytes" ? formatBytes(row.bytes) : formatCount(row[top.by]);
    const share = `${Math.max(2, Math.round((row[top.by] / max) * 100))}%`;
    return h("li", {},
      h("button", { type: "button", class: "answer", onclick: () => onPick(top.of, row), title: String(row.key) },
        h("span", { class: "answer-bar", style: { width: share } }),
        h("span", { class: "answer-label" }, row.label),
        String(row.label) !== String(row.key) && top.of !== "ports" ? h("span", { class: "answer-key" }, String(row.key)) : null,
        h("span", { class: "answer-figure" }, figure)));
  });
}

export { KIND_COLORS };
