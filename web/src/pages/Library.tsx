import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { Link, useSearchParams } from "react-router";
import { call, errorText, frameUrl } from "../api/client";
import type { LabelCount, Video, VideoList } from "../api/types";
import { columnsFor, findingsLine, PAGE_SIZE, pagesFor, posterMs, videoProgress } from "../lib/library";
import { baseName } from "../lib/search";
import { formatDuration } from "../lib/time";

const ROW_HEIGHT = 300;
const STATUSES = [["present", "Present"], ["missing", "Missing"], ["all", "All"]] as const;
const SORTS = [["newest", "Newest"], ["name", "Name"], ["duration", "Duration"]] as const;

interface Filters { status: string; sort: string; label: string }

function videosUrl(f: Filters, page: number): string {
  const p = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(page * PAGE_SIZE) });
  if (f.status !== "present") p.set("status", f.status);
  if (f.status === "all") p.set("include_missing", "true");
  if (f.sort !== "newest") p.set("sort", f.sort);
  if (f.label) p.set("label", f.label);
  return `/videos?${p.toString()}`;
}

function Card({ v }: { v: Video }) {
  const name = baseName(v.path);
  const prog = videoProgress(v);
  const working = prog && prog.completed + prog.failed < prog.total;
  const pct = v.percent ?? (prog && prog.total ? (100 * prog.completed) / prog.total : null);
  const f = v.findings;
  const missing = v.status === "missing";
  return (
    <Link to={`/videos/${v.video_id}`} className="card" data-testid="video-card" data-video-id={v.video_id}>
      <div className="poster">
        {missing ? <span className="poster-missing">File missing</span> :
          <img src={frameUrl(v.video_id, posterMs(v.duration_ms))} alt="" loading="lazy" decoding="async"
            width={320} height={180} onError={(e) => { (e.target as HTMLImageElement).style.visibility = "hidden"; }} />}
        <span className="duration">{formatDuration(v.duration_ms)}</span>
      </div>
      <div className="card-body">
        <strong className="name" title={v.path}>{name}</strong>
        <span className={`badge ${missing ? "bad" : "ok"}`}>{missing ? "missing" : "present"}</span>
        {working && (
          <div className="progress" role="progressbar" aria-label="Analysis progress" aria-valuemin={0}
            aria-valuemax={100} aria-valuenow={Math.round(pct ?? 0)}>
            <span style={{ width: `${pct ?? 0}%` }} />
            <small>{prog.running > 0 ? "analysing" : "queued"} {pct != null ? `${Math.round(pct)}%` : ""}</small>
          </div>
        )}
        {prog && prog.failed > 0 && <small className="error">{prog.failed} analysis failed</small>}
        {f && <small className="findings">{findingsLine(f)}</small>}
      </div>
    </Link>
  );
}

export default function Library() {
  const [params, setParams] = useSearchParams();
  const filters: Filters = { status: params.get("status") ?? "present", sort: params.get("sort") ?? "newest",
    label: params.get("label") ?? "" };
  const setFilter = (k: keyof Filters, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v); else next.delete(k);
    setParams(next, { replace: true });
  };
  const scroller = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1000);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth - 8));
    ro.observe(el);
    setWidth(el.clientWidth - 8);
    return () => ro.disconnect();
  }, []);
  const cols = columnsFor(width);
  const first = useQuery({ queryKey: ["videos", filters, 0], queryFn: () => call<VideoList>("GET", videosUrl(filters, 0)),
    placeholderData: (prev) => prev });
  const total = first.data?.total ?? 0;
  const rows = Math.ceil(total / cols);
  const virt = useVirtualizer({ count: rows, getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT, overscan: 2 });
  const items = virt.getVirtualItems();
  const firstCard = items.length ? items[0].index * cols : 0;
  const lastCard = items.length ? (items[items.length - 1].index + 1) * cols - 1 : 0;
  const pages = pagesFor(firstCard, lastCard, total);
  const pageQueries = useQueries({
    queries: pages.map((p) => ({ queryKey: ["videos", filters, p], queryFn: () => call<VideoList>("GET",
      videosUrl(filters, p)) })),
  });
  const byIndex = useMemo(() => {
    const m = new Map<number, Video>();
    pageQueries.forEach((q, i) => q.data?.items.forEach((v, j) => m.set(pages[i] * PAGE_SIZE + j, v)));
    return m;
  }, [pageQueries, pages]);
  const labels = useQuery({ queryKey: ["labels", "objects"], queryFn: () =>
    call<{ items: LabelCount[] }>("GET", "/labels?kinds=objects&kinds=places&limit=100"), staleTime: 60_000 });
  const pageError = pageQueries.find((q) => q.error)?.error ?? first.error;

  const rendered = byIndex.size > 0;
  useEffect(() => {
    if (rendered && performance.getEntriesByName("library:first-render").length === 0) {
      performance.mark("library:first-render");
    }
  }, [rendered]);
  const scrolled = useRef(false);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const onScroll = () => { scrolled.current = true; };
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);
  const allLoaded = pageQueries.every((q) => q.data);
  useEffect(() => {
    if (scrolled.current && allLoaded && items.length) {
      scrolled.current = false;
      requestAnimationFrame(() => performance.mark("library:scrolled"));
    }
  }, [allLoaded, firstCard, items.length]);

  return (
    <section className="library">
      <div className="toolbar">
        <h1>Library</h1>
        <label>Status{" "}
          <select value={filters.status} onChange={(e) => setFilter("status", e.target.value === "present" ? "" : e.target.value)}>
            {STATUSES.map(([v, t]) => <option key={v} value={v}>{t}</option>)}
          </select>
        </label>
        <label>Sort{" "}
          <select value={filters.sort} onChange={(e) => setFilter("sort", e.target.value === "newest" ? "" : e.target.value)}>
            {SORTS.map(([v, t]) => <option key={v} value={v}>{t}</option>)}
          </select>
        </label>
        <label>Found{" "}
          <select value={filters.label} onChange={(e) => setFilter("label", e.target.value)}>
            <option value="">anything</option>
            {(labels.data?.items ?? []).map((l) => <option key={`${l.kind}:${l.label}`} value={l.label}>
              {l.label} ({l.videos})</option>)}
          </select>
        </label>
        <span className="muted" role="status">{first.data ? `${total} video${total === 1 ? "" : "s"}` : ""}</span>
      </div>
      {pageError && <p className="error" role="alert">Loading the library failed: {errorText(pageError)}</p>}
      {first.data && total === 0 && (
        <p className="empty">No videos{filters.label ? ` with “${filters.label}”` : ""}. Reelscan finds the videos in
          VIDEO_PATHS (every DISCOVERY_INTERVAL seconds, or POST /videos/discover).</p>
      )}
      <div ref={scroller} className="grid-scroll" tabIndex={-1}>
        <div style={{ height: virt.getTotalSize(), position: "relative" }}>
          {items.map((row) => (
            <div key={row.key} className="grid-row" role="list"
              style={{ transform: `translateY(${row.start}px)`, gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}>
              {Array.from({ length: cols }, (_, c) => row.index * cols + c).filter((i) => i < total).map((i) => {
                const v = byIndex.get(i);
                return <div role="listitem" key={i}>{v ? <Card v={v} /> : <div className="card placeholder" aria-hidden />}</div>;
              })}
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
