import { signal } from "./lib/signal.js";

// Set to a function that applies the waiting service worker when one is installed.
export const update = signal(null);
