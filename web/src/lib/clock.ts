/** The player's current time as a tiny external store, so only what shows the time re-renders as it moves. */
import { useSyncExternalStore } from "react";

export class Clock {
  private ms = 0;
  private listeners = new Set<() => void>();
  get = (): number => this.ms;
  set(ms: number): void {
    if (ms === this.ms) return;
    this.ms = ms;
    for (const l of this.listeners) l();
  }
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
}

export function useClock(clock: Clock): number {
  return useSyncExternalStore(clock.subscribe, clock.get);
}
