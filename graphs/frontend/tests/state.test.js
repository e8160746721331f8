import assert from "node:assert/strict";
import { test } from "node:test";

import {
  emptyState, stateFromSearch, stateToSearch, topParams, viewKey, viewParams, withChanges,
} from "../explorer/state.js";

test("an empty query is the auto view with its 500-node default and nothing else in the URL", () => {
  const state = stateFromSearch("");
  assert.deepEqual(state, emptyState());
  assert.equal(stateToSearch(state), "");
  assert.equal(viewParams(state).toString(), "group=auto&max_nodes=500");
});

test("a level chosen by hand is drawn whole up to 20,000 nodes unless max_nodes says otherwise", () => {
  assert.equal(viewParams(stateFromSearch("group=host")).toString(), "group=host&max_nodes=20000");
  assert.equal(viewParams(stateFromSearch("group=host&max_nodes=50")).toString(), "group=host&max_nodes=50");
});

test("the URL round-trips every part of the state in a canonical order", () => {
  const search =
    "group=subnet&expand=subnet%3A10.0.1.0%2F24&expand=internet&port=443%2C5432&action=reject" +
    "&address=10.0.0.0%2F16&internet=out&min_bytes=1000&search=db&focus=10.0.1.5&find=web&top=ports&by=packets";
  const state = stateFromSearch(search);
  assert.deepEqual(state.expand, ["subnet:10.0.1.0/24", "internet"]);
  assert.equal(state.filters.port, "443,5432");
  assert.equal(state.focus, "10.0.1.5");
  assert.equal(stateToSearch(state), search);
  assert.deepEqual(stateFromSearch(stateToSearch(state)), state);
});

test("unknown values fall back to the defaults instead of breaking the page", () => {
  const state = stateFromSearch("group=planet&max_nodes=-3&top=everything&by=vibes&expand=&expand=a&expand=a");
  assert.equal(state.group, "auto");
  assert.equal(state.maxNodes, 0);
  assert.equal(state.top, "talkers");
  assert.equal(state.by, "bytes");
  assert.deepEqual(state.expand, ["a"]);
});

test("focus, find and the answers do not change the drawn view; filters and expansions do", () => {
  const base = stateFromSearch("port=443");
  assert.equal(viewKey(base), viewKey(withChanges(base, { focus: "10.0.0.1", find: "x", top: "ports" })));
  assert.notEqual(viewKey(base), viewKey(withChanges(base, { expand: ["internet"] })));
  assert.notEqual(viewKey(base), viewKey(withChanges(base, { filters: { port: "22" } })));
});

test("the answers query carries the filters, and asks for CSV when told", () => {
  const state = stateFromSearch("port=22&top=rejected&by=connections");
  assert.equal(topParams(state, 15).toString(), "of=rejected&by=connections&limit=15&port=22");
  assert.equal(topParams(state, 1000, "csv").get("format"), "csv");
});

test("withChanges copies, so the previous state stays as it was for the back button", () => {
  const state = stateFromSearch("expand=a&port=1");
  const next = withChanges(state, {});
  next.expand.push("b");
  next.filters.port = "2";
  assert.deepEqual(state.expand, ["a"]);
  assert.equal(state.filters.port, "1");
});
