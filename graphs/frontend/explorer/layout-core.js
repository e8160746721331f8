// The layout: ForceAtlas2 (graphology-layout-forceatlas2's own iteration) run a fixed number of times
// from positions seeded by node ids, so one view always gets one picture. Runs in a web worker
// (layout-worker.js); pure, so node --test checks it too.
//
// Flow-log graphs are star-heavy: at host level thousands of internet clients each reach the same one
// to five load-balancer interfaces. Nodes with the same neighbours would end in the same spot anyway, so
// ForceAtlas2 runs on one node per such class (16,886 nodes become 1,682 on a 1-hour production-like
// window: 17 s of iterations become ~1 s), and each class's members are then laid out as a sunflower
// disc beside it, on the side away from their neighbours.
import iterate from "graphology-layout-forceatlas2/iterate.js";

const PPN = 10; // graphology-layout-forceatlas2's node matrix: x, y, dx, dy, old dx, old dy, mass,
const PPE = 3; //   convergence, size, fixed; edge matrix: source, target, weight
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));
// Up to here every node is laid out on its own (cheap, and small pictures keep their detail); beyond,
// nodes with the same neighbours share one point of the layout.
export const COLLAPSE_ABOVE = 1000;
// Distance between two members of a disc, in ForceAtlas2's units (its edges come out tens to hundreds
// of units long with these settings), and the closing iterations that push overlapping discs apart.
const MEMBER_SPACING = 4;
const SEPARATION_ITERATIONS = 30;

/** The fixed iteration count for a layout of `order` nodes: fewer as each iteration costs more. */
export function iterationsFor(order) {
  if (order <= 50) return 600;
  if (order <= 300) return 400;
  if (order <= 1000) return 250;
  return 100;
}

/** 32-bit FNV-1a of a string: the seed of a node's starting point. */
export function hashString(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function unitPoint(seed) {
  // mulberry32, two draws: a uniform point in the unit disc.
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const angle = next() * 2 * Math.PI;
  const radius = Math.sqrt(next());
  return [radius * Math.cos(angle), radius * Math.sin(angle)];
}

/** Undirected neighbour lists without self-loops or repeats. `edges` holds index pairs. */
function adjacency(order, edges) {
  const sets = Array.from({ length: order }, () => new Set());
  for (let i = 0; i < edges.length; i += 2) {
    const a = edges[i];
    const b = edges[i + 1];
    if (a === b) continue;
    sets[a].add(b);
    sets[b].add(a);
  }
  return sets.map((set) => Int32Array.from(set).sort());
}

/** Nodes with identical neighbour sets share a class; a class's representative is its first node. */
export function equivalenceClasses(neighbourLists) {
  const classOf = new Int32Array(neighbourLists.length);
  const members = [];
  const byKey = new Map();
  neighbourLists.forEach((list, node) => {
    const key = list.join(",");
    let index = byKey.get(key);
    if (index === undefined) {
      index = members.length;
      byKey.set(key, index);
      members.push([]);
    }
    classOf[node] = index;
    members[index].push(node);
  });
  return { classOf, members };
}

/**
 * Positions for `ids` (strings; the seed of each starting point) linked by `edges` (a flat array of
 * index pairs, any direction). Returns a Float32Array of x, y per node.
 */
export function computeLayout(ids, edges) {
  const order = ids.length;
  const positions = new Float32Array(order * 2);
  if (order === 0) return positions;
  const neighbourLists = adjacency(order, edges);
  const collapsed = order > COLLAPSE_ABOVE;
  const { classOf, members } =
    collapsed
      ? equivalenceClasses(neighbourLists)
      : { classOf: Int32Array.from(ids, (_, i) => i), members: ids.map((_, i) => [i]) };
  const classes = members.length;

  // The class graph: one node per class, one edge per linked pair of classes.
  const classEdges = new Set();
  const degree = new Float64Array(classes);
  neighbourLists.forEach((list, node) => {
    const from = classOf[node];
    if (members[from][0] !== node) return; // every member has the same links: read the first one's
    for (const other of list) {
      const to = classOf[other];
      const key = from < to ? from * classes + to : to * classes + from;
      if (from !== to && !classEdges.has(key)) {
        classEdges.add(key);
        degree[from] += 1;
        degree[to] += 1;
      }
    }
  });

  const spread = Math.sqrt(classes) * 10;
  const nodeMatrix = new Float32Array(classes * PPN);
  for (let c = 0; c < classes; c++) {
    const [x, y] = unitPoint(hashString(ids[members[c][0]]));
    const j = c * PPN;
    nodeMatrix[j] = x * spread;
    nodeMatrix[j + 1] = y * spread;
    nodeMatrix[j + 6] = 1 + degree[c];
    nodeMatrix[j + 7] = 1;
    // A class's disc, as a size: the last iterations keep discs from overlapping (adjustSizes).
    nodeMatrix[j + 8] = discRadius(members[c].length);
  }
  const edgeMatrix = new Float32Array(classEdges.size * PPE);
  let e = 0;
  // A Set iterates in insertion order, which follows the node order: deterministic.
  for (const key of classEdges) {
    edgeMatrix[e] = Math.floor(key / classes) * PPN;
    edgeMatrix[e + 1] = (key % classes) * PPN;
    edgeMatrix[e + 2] = 1;
    e += PPE;
  }
  const settings = {
    linLogMode: false,
    outboundAttractionDistribution: false,
    adjustSizes: false,
    edgeWeightInfluence: 1,
    scalingRatio: 10,
    strongGravityMode: true,
    gravity: 0.05,
    slowDown: 1 + Math.log(classes),
    barnesHutOptimize: classes > 1000,
    barnesHutTheta: 1, // coarser than the default 0.5: a third less time at 1,700 classes, no visible change
  };
  if (classes > 1) {
    const iterations = iterationsFor(classes);
    for (let i = 0; i < iterations; i++) {
      // Anti-collision slows convergence: only once the layout has settled, and only when there are discs.
      settings.adjustSizes = collapsed && i >= iterations - SEPARATION_ITERATIONS;
      iterate(settings, nodeMatrix, edgeMatrix);
    }
  }
  spreadMembers(nodeMatrix, members, neighbourLists, classOf, positions);
  return positions;
}

function discRadius(count) {
  return count > 1 ? MEMBER_SPACING * Math.sqrt(count + 1) : 1;
}

/** Place each class's members as a sunflower disc next to the class's point, away from its links. */
function spreadMembers(nodeMatrix, members, neighbourLists, classOf, positions) {
  const spacing = MEMBER_SPACING;
  members.forEach((group, c) => {
    const cx = nodeMatrix[c * PPN];
    const cy = nodeMatrix[c * PPN + 1];
    if (group.length === 1) {
      positions[group[0] * 2] = cx;
      positions[group[0] * 2 + 1] = cy;
      return;
    }
    // Away from the centroid of the classes it links to, by the disc's radius.
    const links = neighbourLists[group[0]];
    let ax = 0;
    let ay = 0;
    for (const other of links) {
      ax += nodeMatrix[classOf[other] * PPN] - cx;
      ay += nodeMatrix[classOf[other] * PPN + 1] - cy;
    }
    const length = Math.hypot(ax, ay);
    const radius = discRadius(group.length);
    const [ux, uy] = length > 0 ? [-ax / length, -ay / length] : [0, 0];
    const ox = cx + ux * radius;
    const oy = cy + uy * radius;
    group.forEach((node, k) => {
      const r = spacing * Math.sqrt(k + 0.5);
      positions[node * 2] = ox + r * Math.cos(k * GOLDEN_ANGLE);
      positions[node * 2 + 1] = oy + r * Math.sin(k * GOLDEN_ANGLE);
    });
  });
}
