import assert from "node:assert/strict";
import { test } from "node:test";

import { computeLayout, equivalenceClasses, hashString, iterationsFor } from "../explorer/layout-core.js";

function star(leaves) {
  const ids = ["hub", ...Array.from({ length: leaves }, (_, i) => `leaf-${i}`)];
  const edges = new Int32Array(leaves * 2);
  for (let i = 0; i < leaves; i++) {
    edges[2 * i] = i + 1;
    edges[2 * i + 1] = 0;
  }
  return { ids, edges };
}

test("the same view gets the same layout, to the bit", () => {
  const { ids, edges } = star(40);
  edges[0] = 3; // one leaf links to another: two classes of leaves
  const first = computeLayout(ids, edges);
  const second = computeLayout([...ids], Int32Array.from(edges));
  assert.deepEqual(Array.from(first), Array.from(second));
  assert.ok(first.every(Number.isFinite));
});

test("nodes with the same neighbours form one class laid out once", () => {
  const { classOf, members } = equivalenceClasses([
    Int32Array.of(1, 2), Int32Array.of(0), Int32Array.of(0), Int32Array.of(1, 2), Int32Array.of(),
  ]);
  assert.equal(members.length, 3);
  assert.equal(classOf[0], classOf[3]);
  assert.equal(classOf[1], classOf[2]);
});

test("members of a class are spread apart, not stacked on one point", () => {
  const { ids, edges } = star(1200); // above COLLAPSE_ABOVE: the leaves form one class
  const positions = computeLayout(ids, edges);
  const points = new Set();
  for (let i = 1; i < ids.length; i++) points.add(`${positions[2 * i].toFixed(3)},${positions[2 * i + 1].toFixed(3)}`);
  assert.equal(points.size, 1200);
});

test("seeds depend on the id only and iterations on the size only", () => {
  assert.equal(hashString("10.0.0.1"), hashString("10.0.0.1"));
  assert.notEqual(hashString("10.0.0.1"), hashString("10.0.0.2"));
  assert.equal(iterationsFor(10), 600);
  assert.equal(iterationsFor(5000), 100);
  assert.equal(computeLayout([], new Int32Array()).length, 0);
  assert.equal(computeLayout(["alone"], new Int32Array()).length, 2);
});
