import { createContext, useContext, useEffect, useState, useSyncExternalStore } from "react";
import type { AppStore } from "../state/store";

export const StoreContext = createContext<AppStore | null>(null);

/** The store, re-rendering the caller whenever it changes. */
export function useApp(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error("no store");
  useSyncExternalStore(store.subscribe, store.getVersion);
  return store;
}

/** Follows a controller's snapshot (uploads and downloads notify at most every 100 ms). */
export function useSnapshot<S>(source: { snapshot: S; subscribe(l: (s: S) => void): () => void } | undefined): S | undefined {
  const [snapshot, setSnapshot] = useState(source?.snapshot);
  useEffect(() => {
    setSnapshot(source?.snapshot);
    return source?.subscribe(setSnapshot);
  }, [source]);
  return snapshot;
}
