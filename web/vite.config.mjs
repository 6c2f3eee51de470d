// The browser app (chat at /, admin console at /admin), built by `npm install` (package.json
// "prepare") into dist/web, which the bot's HTTP server serves. No dev server is needed to run it.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: { input: { chat: `${here}index.html`, admin: `${here}admin.html` } },
  },
});
