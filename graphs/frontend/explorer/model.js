// From the API's view (one edge per client → server:port/protocol) to what is drawn: one arrow per
// (client node, server node) pair carrying its flows, nodes sized by traffic and coloured by kind.
// Pure functions: tested with node --test.

export const KIND_COLORS = {
  host: "#2563eb",
  subnet: "#0e7490",
  group: "#7c3aed",
  vpc: "#4338ca",
  account: "#475569",
  internet: "#ea580c",
  "aws-service": "#b45309",
};
export const KIND_NAMES = {
  host: "Host",
  subnet: "Subnet",
  group: "Network group",
  vpc: "VPC",
  account: "Account",
  internet: "Internet",
  "aws-service": "AWS service",
};
export const ACTION_COLORS = { ACCEPT: "#5f8f6e", REJECT: "#d32f2f", MIXED: "#f08c00" };
const GROUP_KINDS = new Set(["subnet", "group", "vpc", "account"]);

/** A node that stands for several addresses and opens one level finer when clicked. Public addresses
 * at host level have the kind internet or aws-service too, but their id is the address itself. */
export function isGroupNode(node) {
  return GROUP_KINDS.has(node.kind) || node.id === "internet" || node.id.startsWith("aws:");
}

/** The same judgement from an id alone: group ids carry their level (`subnet:…`, `vpc:…`…), addresses not. */
export function isGroupId(id) {
  return id === "internet" || /^(subnet|group|vpc|account|aws):/.test(id);
}

export function displayLabel(node) {
  return node.name || node.label || node.id;
}

/** Combine the actions of several flows: all one kind, or MIXED. */
export function combineActions(actions) {
  let accepted = false;
  let rejected = false;
  for (const action of actions) {
    if (action === "MIXED") return "MIXED";
    if (action === "REJECT") rejected = true;
    else accepted = true;
  }
  if (accepted && rejected) return "MIXED";
  return rejected ? "REJECT" : "ACCEPT";
}

export function buildModel(view) {
  const nodes = [...view.nodes]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((node) => ({
      id: node.id,
      kind: node.kind,
      label: displayLabel(node),
      address: node.label,
      name: node.name,
      members: node.members,
      sent: node.bytes_sent,
      received: node.bytes_received,
      bytes: node.bytes_sent + node.bytes_received,
      group: isGroupNode(node),
      internal: null, // traffic between two addresses of this node: drawn as no arrow, told in the tooltip
    }));
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const indexOf = new Map(nodes.map((node, index) => [node.id, index]));
  const order = nodes.length;
  // Pairs are keyed by node indices (numbers): 50,000 edges are merged in a few tens of milliseconds.
  const pairs = new Map();
  for (const edge of view.edges) {
    const source = indexOf.get(edge.client);
    const target = indexOf.get(edge.server);
    if (source === undefined || target === undefined) continue;
    const flow = {
      port: edge.port,
      protocol: edge.protocol,
      action: edge.action,
      sent: edge.bytes_sent,
      received: edge.bytes_received,
      packets: edge.packets,
      records: edge.records,
      paths: edge.paths || [],
    };
    if (source === target) {
      const node = nodes[source];
      node.internal ??= { connections: 0, bytes: 0, flows: [] };
      node.internal.connections += 1;
      node.internal.bytes += flow.sent + flow.received;
      node.internal.flows.push(flow);
      continue;
    }
    const key = source * order + target;
    let pair = pairs.get(key);
    if (!pair) {
      pair = {
        id: `${edge.client} → ${edge.server}`,
        source: edge.client,
        target: edge.server,
        flows: [],
        bytes: 0,
        packets: 0,
        action: "",
        reciprocal: false,
      };
      pairs.set(key, pair);
    }
    pair.flows.push(flow);
    pair.bytes += flow.sent + flow.received;
    pair.packets += flow.packets;
  }
  // The API lists edges heaviest first with ties broken by ids, so this order is deterministic too.
  const edges = [];
  for (const [key, pair] of pairs) {
    if (pair.flows.length > 1) {
      pair.flows.sort((a, b) => b.sent + b.received - (a.sent + a.received) || a.port - b.port);
    }
    pair.action = combineActions(pair.flows.map((flow) => flow.action));
    const source = Math.floor(key / order);
    pair.reciprocal = pairs.has((key - source * order) * order + source);
    edges.push(pair);
  }
  return { level: view.group, nodes, edges, byId, totals: view.totals, truncated: view.truncated };
}

/** Node radius in pixels at zoom 1: area grows with traffic; big pictures get smaller dots. */
export function nodeSizer(nodes) {
  let max = 1;
  for (const node of nodes) max = Math.max(max, node.bytes);
  const count = nodes.length;
  const [low, high] = count > 5000 ? [1.6, 12] : count > 1000 ? [2.2, 14] : count > 150 ? [3.5, 18] : [5, 22];
  return (node) => {
    const base = low + (high - low) * Math.sqrt(node.bytes / max);
    return node.group ? Math.max(base, low * 1.8) : base;
  };
}

/** Edge thickness in pixels: logarithmic in bytes, relative to the heaviest edge. */
export function edgeSizer(edges) {
  let max = 1;
  for (const edge of edges) max = Math.max(max, edge.bytes);
  const high = edges.length > 5000 ? 2.5 : 4;
  const low = 1;
  const scale = Math.log1p(max);
  return (edge) => low + (high - low) * (Math.log1p(edge.bytes) / scale) ** 2;
}

/** Accepted traffic is quiet grey-green so rejected and mixed arrows stand out; the more edges, the
 * more transparent, so a dense region reads as a shade instead of a solid mat. */
export function edgeColor(action, edgeCount) {
  const alpha = edgeCount > 20000 ? 0.1 : edgeCount > 5000 ? 0.18 : edgeCount > 500 ? 0.45 : 0.75;
  const strong = action === "ACCEPT" ? alpha : Math.min(1, alpha * 2 + 0.15);
  return hexToRgba(ACTION_COLORS[action], strong);
}

/** A translucent colour as sigma's WebGL blending wants it: premultiplied by its alpha (it blends with
 * ONE, ONE_MINUS_SRC_ALPHA), else light colours wash out to white on the page's background. */
export function hexToRgba(hex, alpha) {
  const value = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(value >> 16) & 255, (value >> 8) & 255, value & 255].map((c) => Math.round(c * alpha));
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Nodes linked to `id` (either direction) in a built model's edge list, as a Set of ids. */
export function neighbours(model, id) {
  const found = new Set();
  for (const edge of model.edges) {
    if (edge.source === id) found.add(edge.target);
    else if (edge.target === id) found.add(edge.source);
  }
  return found;
}
