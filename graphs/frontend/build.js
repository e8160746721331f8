// Bundles the explorer page's modules and its layout worker with esbuild (`make bundle` runs this).
// The output goes to graphs/static/graphs/build/ (gitignored), where Django's static files serve it.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, "..", "static", "graphs", "build");

await build({
  entryPoints: {
    explorer: path.join(here, "explorer", "main.js"),
    "layout-worker": path.join(here, "explorer", "layout-worker.js"),
  },
  outdir,
  bundle: true,
  // Classic scripts: the page loads one deferred <script src>, the worker is a classic Worker.
  format: "iife",
  target: ["es2020"],
  minify: true,
  sourcemap: true, // readable stack traces in the browser's tools; the .map files are static too
  logLevel: "warning",
});
