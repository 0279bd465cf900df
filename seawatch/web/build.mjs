// Builds the web picture into dist/: one JS bundle, one CSS bundle, index.html and the offline base map.
// Usage: node build.mjs [--watch]
import { build, context } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "basemap"), { recursive: true });

// Offline base map: Natural Earth countries (world-atlas TopoJSON), fetched from the node at run time.
for (const name of ["countries-50m.json", "countries-10m.json"]) {
  copyFileSync(join(here, "node_modules", "world-atlas", name), join(out, "basemap", name));
}
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));

// Swagger UI for the node's /docs, served from here: no CDN (swagger-ui-dist, Apache-2.0).
if (!existsSync(join(here, "node_modules", "swagger-ui-dist"))) {
  console.error("swagger-ui-dist is missing from node_modules: package.json changed, run `npm ci` here (or `make web`)");
  process.exit(1);
}
mkdirSync(join(out, "swagger"));
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"]) {
  copyFileSync(join(here, "node_modules", "swagger-ui-dist", name), join(out, "swagger", name));
}

const options = {
  entryPoints: { app: join(here, "src", "main.ts") },
  bundle: true,
  outdir: out,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  minify: !process.argv.includes("--dev"),
  sourcemap: true,
  loader: { ".png": "file", ".svg": "file" },
  assetNames: "assets/[name]-[hash]",
  logLevel: "warning",
};

if (process.argv.includes("--watch")) {
  const ctx = await context(options);
  await ctx.watch();
} else {
  await build(options);
}
