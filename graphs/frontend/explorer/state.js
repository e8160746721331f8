// The explorer's state lives in the page URL's query string, so a link reproduces the view exactly.
// Pure functions over URLSearchParams: tested with node --test.

export const LEVELS = ["auto", "host", "subnet", "vpc", "account"];
// The API's filters, in the order the URL writes them; the filter bar edits the first seven.
export const FILTERS = [
  "port", "protocol", "action", "address", "internet", "min_bytes", "search",
  "client", "server", "account", "eni", "path",
];
export const TOPS = ["talkers", "servers", "clients", "ports", "rejected", "internet_in", "internet_out"];
export const RANKS = ["bytes", "packets", "connections"];
// `auto` asks the API for the finest level that fits its default of 500 nodes: readable at once. A level
// chosen by hand is drawn whole up to this many nodes (WebGL keeps up; the heaviest are kept beyond).
export const AUTO_MAX_NODES = 500;
export const LEVEL_MAX_NODES = 20000;
export const MAX_NODES_LIMIT = 100000;

export function emptyState() {
  return {
    group: "auto",
    maxNodes: 0, // 0: the default for the level
    expand: [],
    filters: {},
    focus: "",
    find: "",
    top: "talkers",
    by: "bytes",
  };
}

export function stateFromSearch(search) {
  const params = new URLSearchParams(search);
  const state = emptyState();
  const group = params.get("group");
  if (LEVELS.includes(group)) state.group = group;
  const maxNodes = Number.parseInt(params.get("max_nodes") || "", 10);
  if (maxNodes >= 1 && maxNodes <= MAX_NODES_LIMIT) state.maxNodes = maxNodes;
  state.expand = unique(params.getAll("expand").filter(Boolean));
  for (const name of FILTERS) {
    const value = (params.get(name) || "").trim();
    if (value) state.filters[name] = value;
  }
  state.focus = (params.get("focus") || "").trim();
  state.find = (params.get("find") || "").trim();
  if (TOPS.includes(params.get("top"))) state.top = params.get("top");
  if (RANKS.includes(params.get("by"))) state.by = params.get("by");
  return state;
}

/** The query string of a state (without "?"); defaults are left out so links stay short. */
export function stateToSearch(state) {
  const params = viewParams(state, { forUrl: true });
  if (state.focus) params.append("focus", state.focus);
  if (state.find) params.append("find", state.find);
  if (state.top !== "talkers") params.append("top", state.top);
  if (state.by !== "bytes") params.append("by", state.by);
  return params.toString();
}

export function maxNodesFor(state) {
  if (state.maxNodes) return state.maxNodes;
  return state.group === "auto" ? AUTO_MAX_NODES : LEVEL_MAX_NODES;
}

/** The parameters of `/view` for a state; with forUrl, the page URL's form (defaults left out). */
export function viewParams(state, { forUrl = false } = {}) {
  const params = new URLSearchParams();
  if (state.group !== "auto" || !forUrl) params.append("group", state.group);
  if (!forUrl || state.maxNodes) params.append("max_nodes", String(maxNodesFor(state)));
  for (const id of state.expand) params.append("expand", id);
  appendFilters(params, state.filters);
  return params;
}

export function appendFilters(params, filters) {
  for (const name of FILTERS) if (filters[name]) params.append(name, filters[name]);
  return params;
}

export function topParams(state, limit, format = "") {
  const params = new URLSearchParams({ of: state.top, by: state.by, limit: String(limit) });
  appendFilters(params, state.filters);
  if (format) params.append("format", format);
  return params;
}

/** Two states draw the same picture when this is equal (focus, find and the answers are overlays). */
export function viewKey(state) {
  return viewParams(state).toString();
}

export function withChanges(state, changes) {
  return { ...state, filters: { ...state.filters }, expand: [...state.expand], ...changes };
}

function unique(values) {
  return [...new Set(values)];
}
