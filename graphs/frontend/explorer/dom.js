// A tiny element builder. Everything from the API (flow-log addresses, enrichment names) goes in as
// text: children that are strings become text nodes, never markup, so nothing from the data can run.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "text") element.textContent = value;
    // Styles go through the CSSOM, which a `style-src 'self'` policy allows (style attributes it would not).
    else if (name === "style") Object.assign(element.style, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function byId(id) {
  return document.getElementById(id);
}

/** Replace an element's children; nulls are skipped and arrays flattened, as in h(). */
export function fill(element, children) {
  element.replaceChildren();
  append(element, [children]);
  return element;
}
