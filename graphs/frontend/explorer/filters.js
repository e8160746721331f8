// The filter bar: a plain form whose fields are named like the API's parameters. Submitting it makes a
// new state (and URL); the form is filled back from the state on every navigation.
import { FILTERS, maxNodesFor } from "./state.js";

const FIELDS = ["port", "protocol", "action", "address", "internet", "min_bytes", "search"];

export class FilterBar {
  constructor(form, onApply) {
    this.form = form;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      onApply(this.read());
    });
    form.addEventListener("reset", (event) => {
      event.preventDefault();
      onApply({ filters: {}, group: "auto", maxNodes: 0 });
    });
    // Changing the level applies at once: it is a choice, not something typed.
    form.elements.group.addEventListener("change", () => onApply(this.read()));
  }

  read() {
    const elements = this.form.elements;
    const filters = {};
    for (const name of FIELDS) {
      const value = elements[name].value.trim();
      if (value) filters[name] = value;
    }
    const maxNodes = Number.parseInt(elements.max_nodes.value, 10);
    return { filters, group: elements.group.value, maxNodes: maxNodes > 0 ? maxNodes : 0 };
  }

  /** Fill the form from a state; filters the bar has no field for (client, server…) are kept as given. */
  write(state) {
    const elements = this.form.elements;
    for (const name of FIELDS) elements[name].value = state.filters[name] || "";
    elements.group.value = state.group;
    elements.max_nodes.value = state.maxNodes ? String(state.maxNodes) : "";
    elements.max_nodes.placeholder = String(maxNodesFor({ ...state, maxNodes: 0 }));
    this.markInvalid("");
    const hidden = FILTERS.filter((name) => !FIELDS.includes(name) && state.filters[name]);
    const extra = this.form.querySelector("[data-extra-filters]");
    extra.textContent = hidden.map((name) => `${name}=${state.filters[name]}`).join(" · ");
    extra.hidden = !hidden.length;
  }

  /** Outline the field the API refused (its 400 names the parameter). */
  markInvalid(parameter) {
    for (const element of this.form.querySelectorAll(".invalid")) element.classList.remove("invalid");
    const field = parameter && this.form.elements[parameter];
    if (field) field.classList.add("invalid");
  }

  /** Keep filters the bar has no field for when applying the bar's own. */
  static merge(previous, fromBar) {
    const filters = { ...fromBar.filters };
    for (const name of FILTERS) {
      if (!FIELDS.includes(name) && previous[name]) filters[name] = previous[name];
    }
    return filters;
  }
}
