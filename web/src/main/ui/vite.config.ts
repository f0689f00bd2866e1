import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Maven passes RELAY_UI_OUT_DIR (target/classes/static) so the bundle lands on the service's classpath.
const outDir = process.env.RELAY_UI_OUT_DIR ?? "dist";
const backend = process.env.RELAY_BACKEND ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev`: the Vite dev server proxies the API and the WebSocket to a running service. The Origin header
    // is rewritten so the service's same-origin check on the WebSocket upgrade accepts it.
    proxy: {
      "/api": { target: backend, changeOrigin: true },
      "/rsocket": {
        target: backend,
        ws: true,
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on("proxyReqWs", (req) => req.setHeader("origin", backend));
        },
      },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
