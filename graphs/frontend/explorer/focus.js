// Focusing a host: its neighbourhood lit in the picture, its connections listed in the side panel, and
// finding it when it sits inside a group (the groups that hold it are opened). Methods of Explorer
// (explorer.js), kept apart to keep each module readable.
import { getJson, withQuery } from "./api.js";
import { byId, fill, h } from "./dom.js";
import { formatBytes } from "./format.js";
import { KIND_NAMES, isGroupId } from "./model.js";
import { connectionRows, focusPanel } from "./panels.js";
import { appendFilters, maxNodesFor, viewParams, withChanges } from "./state.js";

// The focused host's connections come from a host-level view filtered by its address: every one of them.
const FOCUS_MAX_NODES = 100000;

export const focusMethods = {
  showFocus(address) {
    const title = byId("details-title");
    const body = byId("details");
    const drawn = Boolean(address) && this.renderer.setFocus(address);
    this.container.dataset.focus = address || "";
    if (!address) {
      title.textContent = "This view";
      this.summary();
      return;
    }
    const node = this.model.byId.get(address) || { id: address, label: address, kind: "host", sent: 0, received: 0 };
    title.textContent = node.group ? KIND_NAMES[node.kind] || "Group" : "Focused host";
    fill(body, focusPanel(node, {
      drawn,
      onFilter: () => this.navigate({ filters: { ...this.state.filters, address }, expand: [], group: "host" }),
      onClear: () => this.navigate({ focus: "" }),
    }));
    if (node.group) {
      byId("focus-connections").replaceChildren(h("p", { class: "muted" }, "Open the group to see its hosts."));
      byId("focus-filter").hidden = true;
      return;
    }
    this.loadConnections(address);
  },

  async loadConnections(address) {
    const filters = { ...this.state.filters, address };
    const params = appendFilters(new URLSearchParams({ group: "host", max_nodes: String(FOCUS_MAX_NODES) }), filters);
    const target = byId("focus-connections");
    try {
      const view = await getJson(withQuery(this.config.viewUrl, params));
      if (this.state.focus !== address) return;
      const own = view.nodes.find((node) => node.id === address);
      if (own) {
        const facts = byId("details").querySelectorAll(".facts dd");
        facts[0].textContent = formatBytes(own.bytes_sent);
        facts[1].textContent = formatBytes(own.bytes_received);
      }
      fill(target, connectionRows(view, address, {
        onPeer: (peer) => this.focusAddress(peer),
        onPort: (port) => this.navigate({ filters: { ...this.state.filters, port: String(port) }, focus: address }),
      }));
    } catch (error) {
      if (this.state.focus === address) target.replaceChildren(h("p", { class: "warning" }, error.message));
    }
  },

  /** Focus an address wherever it is: open the groups that hold it until it is drawn, then focus it. */
  async focusAddress(address) {
    if (this.model.byId.has(address)) return this.navigate({ focus: address });
    const expand = [...this.state.expand];
    for (let depth = 0; depth < 4; depth++) {
      const holder = await this.holderOf(address, withChanges(this.state, { expand }));
      if (!holder || holder === address || expand.includes(holder) || !isGroupId(holder)) break;
      expand.push(holder);
    }
    return this.navigate({ expand, focus: address });
  },

  /** The drawn node that holds an address: the client of its connections as a client, else the server.
   * Asked at the drawn level: `auto` would resolve anew for the narrower question, to a finer level. */
  async holderOf(address, state) {
    const group = state.group === "auto" && this.model ? this.model.level : state.group;
    for (const side of ["client", "server"]) {
      const filters = { ...state.filters, [side]: address };
      const params = viewParams(withChanges(state, { group, filters, maxNodes: maxNodesFor(state) }));
      try {
        const view = await getJson(withQuery(this.config.viewUrl, params));
        const edge = view.edges[0];
        if (edge) return edge[side];
      } catch {
        return null;
      }
    }
    return null;
  },
};
