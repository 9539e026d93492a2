import { useEffect, useMemo } from "react";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";
import { call, errorText } from "../api/client";
import type { Appearances, LabelCount, LabelKind, TextHit } from "../api/types";
import { baseName, groupHits, highlightPieces } from "../lib/search";
import { formatT, formatTime } from "../lib/time";

const TABS: [string, string][] = [["text", "Words"], ["objects", "Objects"], ["faces", "Faces"], ["places", "Places"]];

function thumb(url: string, width = 240): string {
  return url + (url.includes("?") ? "&" : "?") + `width=${width}`;
}

function TextResults({ q }: { q: string }) {
  const navigate = useNavigate();
  const res = useInfiniteQuery({
    queryKey: ["search", q],
    enabled: q.trim() !== "",
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => call<{ items: TextHit[]; next_cursor: string | null }>("GET",
      `/search?${new URLSearchParams({ q, limit: "50", ...(pageParam ? { cursor: pageParam } : {}) }).toString()}`),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const hits = useMemo(() => (res.data?.pages ?? []).flatMap((p) => p.items), [res.data]);
  const groups = useMemo(() => groupHits(hits), [hits]);
  useEffect(() => {
    if (res.data && !res.isFetching) performance.mark("search:results");
  }, [res.data, res.isFetching]);
  if (!q.trim()) return <p className="muted">Type a word that is said or shown in a video.</p>;
  if (res.error) return <p className="error" role="alert">Search failed: {errorText(res.error)}</p>;
  if (!res.data) return <p className="muted" role="status">Searching…</p>;
  if (groups.length === 0) return <p className="empty" role="status">Nothing said or shown matches “{q}”.</p>;
  return (
    <>
      <p className="muted" role="status">{hits.length}{res.hasNextPage ? "+" : ""} moments in {groups.length} videos</p>
      {groups.map((g) => (
        <section key={g.videoId} className="hit-group" aria-label={baseName(g.path)}>
          <h2><Link to={`/videos/${g.videoId}`}>{baseName(g.path)}</Link></h2>
          <ul>
            {g.hits.map((h) => {
              const to = `/videos/${h.video_id}?t=${formatT(h.match_ms)}`;
              return (
                <li key={h.artifact_id}>
                  <a href={`/app${to}`} className="hit" data-testid="search-hit" data-video-id={h.video_id}
                    data-match-ms={h.match_ms} onClick={(e) => {
                      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
                      e.preventDefault();
                      navigate(to);
                    }}>
                    <img src={thumb(h.frame_url)} alt="" loading="lazy" width={160} height={90} />
                    <span className="hit-text">
                      <span className="kind">{h.kind === "ocr" ? "on screen" : "said"} at <time>{formatTime(h.match_ms, true)}</time></span>
                      <span>{highlightPieces(h.highlight || h.text).map((p, i) => p.marked ? <mark key={i}>{p.text}</mark> :
                        <span key={i}>{p.text}</span>)}</span>
                    </span>
                  </a>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
      {res.hasNextPage && <button type="button" onClick={() => void res.fetchNextPage()} disabled={res.isFetchingNextPage}>
        {res.isFetchingNextPage ? "Loading…" : "More results"}</button>}
    </>
  );
}

function LabelResults({ kind, label, setLabel }: { kind: LabelKind; label: string; setLabel: (l: string) => void }) {
  const facets = useQuery({ queryKey: ["labels", kind], enabled: kind !== "faces",
    queryFn: () => call<{ items: LabelCount[] }>("GET", `/labels?kinds=${kind}&limit=100`) });
  const ready = kind === "faces" || label !== "";
  const res = useInfiniteQuery({
    queryKey: ["search", kind, label],
    enabled: ready,
    initialPageParam: 0,
    queryFn: ({ pageParam }) => call<{ items: Appearances[]; total: number; offset: number }>("GET",
      `/search/${kind}?${new URLSearchParams({ ...(label ? { label } : {}), limit: "20", offset: String(pageParam) })}`),
    getNextPageParam: (last) => (last.offset + last.items.length < last.total ? last.offset + last.items.length : undefined),
  });
  useEffect(() => {
    if (res.data && !res.isFetching) performance.mark("search:results");
  }, [res.data, res.isFetching]);
  const items = (res.data?.pages ?? []).flatMap((p) => p.items);
  return (
    <>
      {kind !== "faces" && (
        <div className="facets" role="group" aria-label={`${kind} found in the library`}>
          {facets.error && <p className="error" role="alert">Loading the labels failed: {errorText(facets.error)}</p>}
          {(facets.data?.items ?? []).map((f) => (
            <button type="button" key={f.label} className={`chip${f.label === label ? " on" : ""}`}
              aria-pressed={f.label === label} onClick={() => setLabel(f.label === label ? "" : f.label)}>
              {f.label} <small>{f.videos}</small></button>
          ))}
          {facets.data && facets.data.items.length === 0 && <p className="empty">No {kind} found yet.</p>}
        </div>
      )}
      {res.error && <p className="error" role="alert">Search failed: {errorText(res.error)}</p>}
      {ready && res.data && items.length === 0 && <p className="empty" role="status">No video shows that.</p>}
      {items.map((a) => (
        <section key={a.video_id + a.label} className="hit-group" aria-label={baseName(a.path)}>
          <h2><Link to={`/videos/${a.video_id}`}>{baseName(a.path)}</Link> <small className="muted">{a.label} on screen
            {" "}{formatTime(a.on_screen_ms)} in {a.span_count} spans</small></h2>
          <ul className="spans">
            {a.spans.slice(0, 12).map((s) => (
              <li key={s.start_ms}>
                <Link to={`/videos/${a.video_id}?t=${formatT(s.start_ms)}`} className="hit" data-testid="search-hit"
                  data-video-id={a.video_id} data-match-ms={s.start_ms}>
                  <img src={thumb(s.frame_url, 160)} alt="" loading="lazy" width={120} height={68} />
                  <time>{formatTime(s.start_ms)}–{formatTime(s.end_ms)}</time>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {res.hasNextPage && <button type="button" onClick={() => void res.fetchNextPage()}>More videos</button>}
    </>
  );
}

export default function Search() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const tab = params.get("tab") ?? "text";
  const label = params.get("label") ?? "";
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v); else next.delete(k);
    if (k === "tab") next.delete("label");
    setParams(next, { replace: k === "label" });
  };
  return (
    <section className="page search">
      <h1>Search</h1>
      <div role="tablist" aria-label="What to search" className="tabs">
        {TABS.map(([k, t]) => (
          <button type="button" role="tab" key={k} aria-selected={tab === k} className={tab === k ? "on" : ""}
            onClick={() => set("tab", k === "text" ? "" : k)}>{t}</button>
        ))}
      </div>
      <div role="tabpanel" aria-label={TABS.find(([k]) => k === tab)?.[1] ?? "Words"}>
        {tab === "text" ? <TextResults q={q} /> :
          <LabelResults kind={tab as LabelKind} label={label} setLabel={(l) => set("label", l)} />}
      </div>
    </section>
  );
}
