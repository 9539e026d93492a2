/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The app is served by api-service under /app/; the API itself keeps its own paths.
// `npm run dev` proxies the API to a running `make run` (REELSCAN_API, default :8000).
const api = process.env.REELSCAN_API ?? "http://127.0.0.1:8000";
const apiPaths = ["/videos", "/tasks", "/queues", "/search", "/labels", "/health", "/events",
  "/webhooks", "/auth", "/reprocess"];

export default defineConfig({
  base: "/app/",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: Object.fromEntries(apiPaths.map((p) => [p, { target: api, changeOrigin: false }])) },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
