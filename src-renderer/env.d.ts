// Ambient types for the renderer build: stylesheet imports handled by Vite.
declare module '*.css';
