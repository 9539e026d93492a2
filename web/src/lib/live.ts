/**
 * Live updates: the API's server-sent events (GET /events) invalidate the react-query keys they concern;
 * while the stream is down, every active query is refetched every 5 s instead.
 */
import { useEffect, useState } from "react";
import type { QueryClient, QueryKey } from "@tanstack/react-query";

export interface TaskEvent {
  task_id: string;
  video_id: string;
  task_type: string;
  status: string;
  progress?: unknown;
  error?: string | null;
}
export interface VideoEvent { video_id: string; status: string }

export const POLL_MS = 5000;
/** While live: what no event reports (queue pause and worker presence live in Valkey, health
 * in the services) is still refetched, at this slower pace. */
export const LIVE_REFRESH_MS = 15000;
export const NOT_IN_EVENTS: QueryKey[] = [["queues"], ["health"]];
/** The API's server-sent events: same origin, as every other call. */
export const EVENTS_URL = "/events";
const FINISHED = new Set(["completed", "failed", "cancelled", "blocked"]);

/** The query keys an event makes stale (prefixes; react-query matches them against longer keys). */
export function keysFor(type: string, data: unknown): QueryKey[] {
  if (type === "task") {
    const e = data as TaskEvent;
    const keys: QueryKey[] = [["tasks"], ["queues"], ["video", e.video_id], ["videos"]];
    if (FINISHED.has(e.status)) keys.push(["summary", e.video_id], ["artifacts", e.video_id], ["health"]);
    return keys;
  }
  if (type === "video") {
    const e = data as VideoEvent;
    return [["videos"], ["video", e.video_id], ["health"]];
  }
  return [];
}

/** Collects keys and invalidates each once per flush (a burst of progress events costs one refetch). */
export class Batcher {
  private pending = new Map<string, QueryKey>();
  add(keys: QueryKey[]): void { for (const k of keys) this.pending.set(JSON.stringify(k), k); }
  take(): QueryKey[] {
    const out = [...this.pending.values()];
    this.pending.clear();
    return out;
  }
}

export type LiveState = "connecting" | "live" | "polling";

/** Where to listen: nowhere (poll) until the session is known, and while a token is required
 * and nobody is signed in (the stream would answer 401, a console error on the sign-in page). */
export function liveEventsUrl(session: { auth_required: boolean; signed_in: boolean } | undefined): string | null {
  if (!session) return null;
  return session.auth_required && !session.signed_in ? null : EVENTS_URL;
}

/** ``url`` null: poll only (for an API without GET /events). */
export function useLiveUpdates(qc: QueryClient, url: string | null = EVENTS_URL): LiveState {
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => {
    const batch = new Batcher();
    let poll: number | undefined;
    let refresh: number | undefined;
    const startPolling = () => {
      setState("polling");
      if (poll === undefined) poll = window.setInterval(() => void qc.invalidateQueries({ type: "active" }), POLL_MS);
    };
    const stopPolling = () => {
      if (poll !== undefined) window.clearInterval(poll);
      poll = undefined;
    };
    const flush = window.setInterval(() => {
      for (const key of batch.take()) void qc.invalidateQueries({ queryKey: key });
    }, 1000);
    if (url === null || typeof EventSource === "undefined") {
      startPolling();
      return () => { stopPolling(); window.clearInterval(flush); };
    }
    const es = new EventSource(url, { withCredentials: true });
    const on = (type: string) => (ev: MessageEvent<string>) => {
      try { batch.add(keysFor(type, JSON.parse(ev.data))); } catch { /* a malformed event changes nothing */ }
    };
    const onTask = on("task");
    const onVideo = on("video");
    es.addEventListener("task", onTask);
    es.addEventListener("video", onVideo);
    es.onopen = () => {
      stopPolling();
      setState("live");
      if (refresh === undefined) {
        refresh = window.setInterval(() => {
          for (const key of NOT_IN_EVENTS) void qc.invalidateQueries({ queryKey: key, type: "active" });
        }, LIVE_REFRESH_MS);
      }
      void qc.invalidateQueries({ type: "active" }); // what happened while the stream was down
    };
    es.onerror = () => startPolling(); // EventSource reconnects by itself; until then, poll
    return () => {
      es.close();
      stopPolling();
      window.clearInterval(flush);
      if (refresh !== undefined) window.clearInterval(refresh);
    };
  }, [qc, url]);
  return state;
}
