// The answers panel, the export links, the breadcrumb of opened groups and the view's summary. Methods of
// Explorer (explorer.js), kept apart to keep each module readable.
import { getJson, withQuery } from "./api.js";
import { byId, fill, h } from "./dom.js";
import { formatCount, plural } from "./format.js";
import { TOP_NAMES, answerRows, viewSummary } from "./panels.js";
import { topParams, viewKey, viewParams } from "./state.js";

const ANSWER_ROWS = 15;

export const sidebarMethods = {
  async loadAnswers(state) {
    const key = topParams(state, ANSWER_ROWS).toString();
    byId("answers-of").value = state.top;
    byId("answers-by").value = state.by;
    byId("answers-csv").href = withQuery(this.config.topUrl, topParams(state, 1000, "csv"));
    byId("answers-csv").setAttribute("download", "");
    if (key === this.answersKey) return;
    this.answersKey = key;
    const list = byId("answers-list");
    list.setAttribute("aria-busy", "true");
    try {
      const top = await getJson(withQuery(this.config.topUrl, topParams(state, ANSWER_ROWS)));
      if (key !== this.answersKey) return;
      fill(list, answerRows(top, (of, row) => this.pickAnswer(of, row)));
      byId("answers-title").textContent = TOP_NAMES[top.of];
    } catch (error) {
      if (key === this.answersKey) list.replaceChildren(h("li", { class: "warning" }, error.message));
    } finally {
      list.removeAttribute("aria-busy");
    }
  },

  pickAnswer(of, row) {
    if (of === "ports") return this.navigate({ filters: { ...this.state.filters, port: String(row.key) }, focus: "" });
    return this.focusAddress(String(row.key));
  },

  updateLinks(state) {
    const params = viewParams(state);
    const svg = byId("export-svg");
    svg.href = withQuery(this.config.exportUrl, params);
    const csv = byId("export-csv");
    csv.href = withQuery(this.config.viewUrl, new URLSearchParams([...params, ["format", "csv"]]));
    csv.setAttribute("download", ""); // the server names the file after the window
  },

  breadcrumb(state) {
    const nav = byId("breadcrumb");
    const level = this.model && this.drawnKey === viewKey(state) ? this.model.level : state.group;
    const root = state.group === "auto" ? `All, by ${level}` : `All, by ${state.group}`;
    const items = [h("button", {
      type: "button", class: "crumb", disabled: !state.expand.length,
      onclick: () => this.navigate({ expand: [], focus: "" }),
    }, root)];
    state.expand.forEach((id, index) => {
      items.push(h("span", { class: "crumb-sep", "aria-hidden": "true" }, "›"));
      items.push(h("span", { class: "crumb-item" },
        h("button", {
          type: "button", class: "crumb", disabled: index === state.expand.length - 1, title: id,
          onclick: () => this.navigate({ expand: state.expand.slice(0, index + 1), focus: "" }),
        }, this.labels.get(id) || id),
        h("button", {
          type: "button", class: "crumb-close", title: "Close this group", "aria-label": `Close ${this.labels.get(id) || id}`,
          onclick: () => this.navigate({ expand: state.expand.slice(0, index), focus: "" }),
        }, "×")));
    });
    fill(nav, items);
  },

  summary() {
    if (!this.model) return;
    if (!this.state.focus) {
      const kinds = new Set(this.model.nodes.map((node) => node.kind));
      fill(byId("details"), viewSummary(this.model, kinds));
    }
    const totals = this.model.totals || {};
    byId("view-summary").textContent =
      `${this.model.level} level · ${plural(this.model.nodes.length, "node")} · ${plural(this.model.edges.length, "edge")} drawn` +
      ` · ${plural(totals.connections || 0, "connection")} under the filters` +
      (this.model.truncated ? ` · heaviest ${formatCount(this.model.nodes.length)} of ${formatCount(totals.nodes)} nodes` : "");
  },
};
