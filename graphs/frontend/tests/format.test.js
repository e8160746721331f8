import assert from "node:assert/strict";
import { test } from "node:test";

import { formatBytes, formatElapsed, pathsLabel, plural, portLabel } from "../explorer/format.js";

test("an edge's traffic paths read as one phrase, each once, none when the logs gave none", () => {
  assert.equal(pathsLabel([{ paths: [8] }, { paths: [1, 8] }, { paths: [] }]), "within the VPC, internet gateway");
  assert.equal(pathsLabel([{ paths: [] }, {}]), "");
});

test("bytes read in SI units with three significant digits", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1000), "1.00 kB");
  assert.equal(formatBytes(12345), "12.3 kB");
  assert.equal(formatBytes(999999), "1.00 MB");
  assert.equal(formatBytes(450519732), "451 MB");
});

test("ports read as port/protocol; ICMP and merged ports say what they are", () => {
  assert.equal(portLabel(443, 6), "443/tcp");
  assert.equal(portLabel(53, 17), "53/udp");
  assert.equal(portLabel(0, 1), "icmp");
  assert.equal(portLabel(-1, 6), "other ports/tcp");
  assert.equal(portLabel(500, 99), "500/99");
});

test("elapsed times and plurals", () => {
  assert.equal(formatElapsed(42.7), "42 s");
  assert.equal(formatElapsed(185), "3 min 05 s");
  assert.equal(formatElapsed(3720), "1 h 02 min");
  assert.equal(plural(1, "node"), "1 node");
  assert.equal(plural(12000, "match", "matches"), "12,000 matches");
});
