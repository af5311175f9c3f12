/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import path from "node:path";

const backend = process.env.HOLLYWOOL_BACKEND ?? "http://127.0.0.1:8031";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: { alias: { "@": path.resolve(import.meta.dirname, "src") } },
  server: {
    port: 8030,
    strictPort: true,
    host: true,
    proxy: {
      // Host stays the dev server's, so that the studio sees the page's Origin as same-origin.
      "/api/ws": { target: backend.replace(/^http/, "ws"), ws: true, changeOrigin: false },
      "/api": { target: backend, changeOrigin: true },
      "/outputs": { target: backend, changeOrigin: true },
    },
  },
  // "assets" is a client route (the gallery), so built files go under /static.
  build: { outDir: "dist", assetsDir: "static", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1200 },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
