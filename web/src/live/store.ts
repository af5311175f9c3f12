/** A tiny external store around the live reducer, read with useSyncExternalStore. */
import { useSyncExternalStore } from "react";
import { initialLiveState, liveReducer, type LiveAction, type LiveState } from "./jobsReducer";

type Listener = () => void;

export function createLiveStore(initial: LiveState = initialLiveState) {
  let state = initial;
  const listeners = new Set<Listener>();
  return {
    getState: () => state,
    dispatch(action: LiveAction) {
      const next = liveReducer(state, action);
      if (next !== state) {
        state = next;
        listeners.forEach((l) => l());
      }
    },
    subscribe(l: Listener) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export type LiveStore = ReturnType<typeof createLiveStore>;

export const liveStore = createLiveStore();

export function useLive<T>(selector: (s: LiveState) => T): T {
  return useSyncExternalStore(liveStore.subscribe, () => selector(liveStore.getState()));
}
