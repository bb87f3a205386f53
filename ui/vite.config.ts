/// <reference types="vitest/config" />
// Vite config for the Stratagraph UI: relative asset paths (Tauri loads ui/dist from disk),
// a fixed dev port for `build.devUrl`, and vitest in a plain Node environment (pure stores
// and conversions, no DOM).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  base: './',
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: '127.0.0.1' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'eslint/**/*.test.js'],
  },
});
