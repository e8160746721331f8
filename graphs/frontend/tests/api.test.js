import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, MAX_TABLE_RETRIES, getJson } from "../explorer/api.js";

function answer(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

function serve(...answers) {
  const asked = [];
  globalThis.fetch = async (url) => {
    asked.push(url);
    return answers.length > 1 ? answers.shift() : answers[0];
  };
  return asked;
}

const BUILDING = () => answer(503, { detail: "graph g is done; its connection table is still being built", retry_after: 3 }, { "Retry-After": "3" });

test("a table still being built is asked for again after its Retry-After, telling the page each time", async () => {
  const asked = serve(BUILDING(), BUILDING(), answer(200, { nodes: [] }));
  const waits = [];
  const retries = [];
  const view = await getJson("/view", {
    sleep: async (ms) => waits.push(ms),
    onRetry: (error, attempt) => retries.push([error.status, attempt]),
  });
  assert.deepEqual(view, { nodes: [] });
  assert.equal(asked.length, 3);
  assert.deepEqual(waits, [3000, 3000]);
  assert.deepEqual(retries, [[503, 1], [503, 2]]);
});

test("the retries are bounded: a table that never comes is an error at last", async () => {
  const asked = [];
  globalThis.fetch = async (url) => {
    asked.push(url);
    return BUILDING();
  };
  await assert.rejects(getJson("/view", { sleep: async () => {} }), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 503);
    assert.match(error.message, /still being built/);
    return true;
  });
  assert.equal(asked.length, MAX_TABLE_RETRIES + 1);
});

test("another 503 (the queue unavailable) is an error at once, not retried", async () => {
  const asked = serve(answer(503, { detail: "the queuer is unavailable; try again later", dependency: "queuer" }, { "Retry-After": "30" }));
  await assert.rejects(getJson("/view", { sleep: async () => assert.fail("no wait") }), /queuer is unavailable/);
  assert.equal(asked.length, 1);
});

test("leaving the view while it waits stops the retries", async () => {
  serve(BUILDING());
  const abort = new AbortController();
  const pending = getJson("/view", { signal: abort.signal, onRetry: () => abort.abort() });
  await assert.rejects(pending, { name: "AbortError" });
});
