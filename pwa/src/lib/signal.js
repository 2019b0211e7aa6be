// A tiny observable value (a language, a route) without pulling in a state library.
export function signal(initial) {
  const listeners = new Set();
  let value = initial;
  return {
    get value() {
      return value;
    },
    set value(next) {
      value = next;
      for (const listener of listeners) listener(next);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
