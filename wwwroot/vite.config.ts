import { defineConfig, type Plugin } from "vite";
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/**
 * Writes a Brotli (.br) and a gzip (.gz) copy next to every script, style sheet and SVG, once,
 * at build time and at the highest levels: the server sends whichever the browser accepts
 * (Hosting/StaticAssets.cs) and never compresses a request's worth of bytes itself.
 */
function precompress(): Plugin {
  let outDir = "";
  return {
    name: "goplay-precompress",
    apply: "build",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async writeBundle(_options, bundle) {
      const names = Object.keys(bundle).filter((name) => /\.(js|css|svg)$/.test(name));
      await Promise.all(names.map(async (name) => {
        const path = resolve(outDir, name);
        const body = await readFile(path);
        await writeFile(path + ".br", brotliCompressSync(body, {
          params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
        }));
        await writeFile(path + ".gz", gzipSync(body, { level: 9 }));
      }));
    },
  };
}

// Two pages share one bundle graph: the full editor and the chrome-less embed. The output
// goes straight into Playground.Web's static files (git-ignored), which the server serves.
export default defineConfig({
  plugins: [precompress()],
  build: {
    outDir: resolve(import.meta.dirname, "../src/Playground.Web/wwwroot"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, "index.html"),
        embed: resolve(import.meta.dirname, "embed.html"),
      },
    },
  },
  server: {
    // `npm run dev` serves the pages with hot reload against a running Playground.Web.
    proxy: {
      "/hubs": { target: "http://localhost:5000", ws: true },
      "^/(share|fmt|compile|vet|version|p/)": "http://localhost:5000",
    },
  },
});
