// Hash routes (#/visits, #/visit/<id>/checklist/<task>): the service worker serves one
// index.html for the whole app, and a reload returns to the same screen.
import { signal } from "./signal.js";

const current = () => (typeof location === "undefined" ? "" : location.hash.replace(/^#/, "")) || "/visits";
export const route = signal(current());
if (typeof window !== "undefined") {
  window.addEventListener("hashchange", () => {
    route.value = current();
  });
}

export function go(path) {
  location.hash = path;
}

export function match(pattern, path) {
  const names = [];
  const regex = new RegExp(
    `^${pattern.replace(/:([a-z_]+)/g, (_, name) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  const found = regex.exec(path);
  if (!found) return null;
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
}
