import { defineConfig } from "vite";
import { resolve } from "node:path";

// Two pages share one bundle graph: the full editor and the chrome-less embed. The output
// goes straight into Playground.Web's static files (git-ignored), which the server serves.
export default defineConfig({
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
