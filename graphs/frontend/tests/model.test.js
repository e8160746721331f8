import assert from "node:assert/strict";
import { test } from "node:test";

import { buildModel, combineActions, edgeColor, isGroupId, isGroupNode, nodeSizer } from "../explorer/model.js";

const node = (id, kind, extra = {}) => ({
  id, kind, label: id, name: "", members: 1, bytes_sent: 10, bytes_received: 20, ...extra,
});
const edge = (client, server, port, action = "ACCEPT", extra = {}) => ({
  client, server, port, protocol: 6, action, bytes_sent: 100, bytes_received: 1000, packets: 5, records: 2,
  ...extra,
});

test("the flows of one client/server pair become one arrow with all its flows, heaviest first", () => {
  const model = buildModel({
    group: "host",
    nodes: [node("10.0.0.2", "host"), node("10.0.0.1", "host", { name: "web-1" })],
    edges: [
      edge("10.0.0.1", "10.0.0.2", 443),
      edge("10.0.0.1", "10.0.0.2", 22, "REJECT", { bytes_sent: 5000 }),
      edge("10.0.0.2", "10.0.0.1", 8080),
    ],
    totals: {},
    truncated: false,
  });
  assert.deepEqual(model.nodes.map((n) => n.id), ["10.0.0.1", "10.0.0.2"]);
  assert.equal(model.nodes[0].label, "web-1"); // the enrichment name wins over the address
  assert.equal(model.edges.length, 2);
  const [forward, back] = model.edges;
  assert.equal(forward.id, "10.0.0.1 → 10.0.0.2");
  assert.deepEqual(forward.flows.map((f) => f.port), [22, 443]);
  assert.equal(forward.action, "MIXED");
  assert.equal(forward.bytes, 6000 + 1100);
  assert.ok(forward.reciprocal && back.reciprocal);
});

test("traffic inside a group node is kept on the node, not drawn as an arrow to itself", () => {
  const model = buildModel({
    group: "subnet",
    nodes: [node("subnet:10.0.1.0/24", "subnet"), node("internet", "internet")],
    edges: [edge("subnet:10.0.1.0/24", "subnet:10.0.1.0/24", 5432), edge("internet", "subnet:10.0.1.0/24", 443)],
    totals: {},
    truncated: false,
  });
  assert.equal(model.edges.length, 1);
  const subnet = model.byId.get("subnet:10.0.1.0/24");
  assert.equal(subnet.internal.connections, 1);
  assert.equal(subnet.internal.bytes, 1100);
});

test("groups open when clicked; public addresses at host level do not", () => {
  assert.ok(isGroupNode({ id: "subnet:10.0.1.0/24", kind: "subnet" }));
  assert.ok(isGroupNode({ id: "internet", kind: "internet" }));
  assert.ok(isGroupNode({ id: "aws:AWS S3 us-east-1", kind: "aws-service" }));
  assert.ok(!isGroupNode({ id: "203.0.113.9", kind: "internet" }));
  assert.ok(!isGroupNode({ id: "2600:1f18::1", kind: "aws-service" }));
  assert.ok(!isGroupNode({ id: "10.0.0.1", kind: "host" }));
  assert.ok(isGroupId("subnet:subnet-0f0330da194b3452f") && isGroupId("internet") && isGroupId("vpc:vpc-1"));
  assert.ok(!isGroupId("10.0.0.1") && !isGroupId("2600:1f18::1") && !isGroupId("fe80::1"));
});

test("actions combine to mixed when they disagree", () => {
  assert.equal(combineActions(["ACCEPT", "ACCEPT"]), "ACCEPT");
  assert.equal(combineActions(["REJECT"]), "REJECT");
  assert.equal(combineActions(["ACCEPT", "REJECT"]), "MIXED");
  assert.equal(combineActions(["MIXED"]), "MIXED");
});

test("heavier nodes are larger and edges fade as the picture grows", () => {
  const nodes = [{ bytes: 1, group: false }, { bytes: 1e9, group: false }];
  const size = nodeSizer(nodes);
  assert.ok(size(nodes[1]) > size(nodes[0]) * 3);
  assert.equal(edgeColor("ACCEPT", 100), "rgba(71,107,83,0.75)");
  assert.match(edgeColor("ACCEPT", 50000), /,0\.1\)$/);
  assert.equal(edgeColor("REJECT", 50000), "rgba(74,16,16,0.35)"); // premultiplied: sigma blends so
});
