import { liveQuery } from "dexie";
import { useEffect, useState } from "preact/hooks";

// The result of a Dexie query, re-run whenever the tables it read change (in any tab).
export function useLive(query, deps = [], initial = undefined) {
  const [value, setValue] = useState(initial);
  useEffect(() => {
    const subscription = liveQuery(query).subscribe({
      next: setValue,
      error: (error) => console.error(error),
    });
    return () => subscription.unsubscribe();
  }, deps);
  return value;
}

export function useSignal(sig) {
  const [value, setValue] = useState(() => sig.value);
  // Through an updater: a signal may hold a function (the "apply update" action), which
  // setValue(fn) would call instead of storing.
  useEffect(() => sig.subscribe((next) => setValue(() => next)), [sig]);
  return value;
}

export function useOnline() {
  const [online, setOnline] = useState(typeof navigator === "undefined" ? true : navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    };
  }, []);
  return online;
}
