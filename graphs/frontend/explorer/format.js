// Number and name formatting shared by the panels and tooltips. Pure functions: tested with node --test.

export const PROTOCOLS = { 1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 58: "icmpv6" };

export function protocolName(number) {
  return PROTOCOLS[number] || String(number);
}

export function portLabel(port, protocol) {
  // The API merges the lightest ports of a busy pair (a scanner's) into one flow of port -1.
  if (port < 0) return `other ports/${protocolName(protocol)}`;
  // ICMP has no ports: the digest keeps type/code there, which reads wrong as "port 0".
  if (protocol === 1 || protocol === 58) return protocolName(protocol);
  return `${port}/${protocolName(protocol)}`;
}

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

/** Bytes in SI units with three significant digits: 0 B, 999 B, 1.23 kB, 45.6 MB. */
export function formatBytes(value) {
  let n = Number(value) || 0;
  let unit = 0;
  // Step up while the rounded figure would read 1000 or more (999.9 kB shows as 1.00 MB).
  while (unit < UNITS.length - 1 && Number(Math.abs(n).toPrecision(3)) >= 1000) {
    n /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${n} B`;
  const digits = Math.abs(n) >= 99.95 ? 0 : Math.abs(n) >= 9.995 ? 1 : 2;
  return `${n.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatCount(value) {
  return (Number(value) || 0).toLocaleString("en-US");
}

export function plural(count, word, many = `${word}s`) {
  return `${formatCount(count)} ${count === 1 ? word : many}`;
}

/** Elapsed seconds as "42 s", "3 min 05 s", "1 h 02 min". */
export function formatElapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

// traffic-path codes of flow logs version 5 (egress records): how a connection's packets left the VPC.
export const PATH_WORDS = {
  1: "within the VPC", 2: "internet gateway or gateway endpoint", 3: "virtual private gateway",
  4: "VPC peering", 5: "inter-region VPC peering", 6: "local gateway", 7: "gateway endpoint",
  8: "internet gateway",
};

/** The paths of some flows (each a list of codes, or none) as one phrase: "" when the logs gave none. */
export function pathsLabel(flows) {
  const codes = [...new Set(flows.flatMap((flow) => flow.paths || []))].sort((a, b) => a - b);
  return codes.map((code) => PATH_WORDS[code] || `path ${code}`).join(", ");
}

export const ACTION_WORDS = { ACCEPT: "accepted", REJECT: "rejected", MIXED: "mixed" };
