// TypeScript declarations for the ES module entry (cardbridge.mjs): the same as cardbridge.d.ts, which
// describes cardbridge.js (TypeScript looks for a .d.mts beside a .mjs).
export * from "./cardbridge.js";
export { default } from "./cardbridge.js";
