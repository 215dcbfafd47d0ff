/**
 * Vite build of the analyst console: `npm run build:console` → console/dist (served by
 * `garrison serve` at /). `npm run dev:console` serves it with hot reload and proxies the API to
 * GARRISON_URL (default http://127.0.0.1:8080).
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const api = process.env.GARRISON_URL ?? 'http://127.0.0.1:8080';
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    // No inline assets or scripts: the CSP allows only files from this origin.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/auth': { target: api, changeOrigin: false },
      '/metrics': { target: api },
      '/readyz': { target: api },
    },
  },
});
