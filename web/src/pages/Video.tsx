import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import { call, errorText, frameUrl } from "../api/client";
import type { ArtifactList, Summary, Task, TaskList, Video } from "../api/types";
import { isUntrained, TASK_TITLES } from "../api/types";
import { ProgressBar } from "../components/ProgressBar";
import { Timeline } from "../components/Timeline";
import { typing } from "../App";
import { boxesAt, intervalMs, toTrack, type Track } from "../lib/boxes";
import { Clock, useClock } from "../lib/clock";
import { baseName } from "../lib/search";
import { formatDuration, formatT, formatTime, parseT } from "../lib/time";
import { activeIndex, adjacentScene, type Artifact, buildLanes, sceneStarts, timelineLength } from "../lib/timeline";

const ARTIFACT_PAGE = 500;
const FRAME_STEP_MS = 500;

function useArtifacts(id: string) {
  const q = useInfiniteQuery({
    queryKey: ["artifacts", id],
    initialPageParam: 0,
    queryFn: ({ pageParam }) => call<ArtifactList>("GET",
      `/videos/${id}/artifacts?limit=${ARTIFACT_PAGE}&offset=${pageParam}`),
    getNextPageParam: (last) => (last.offset + last.items.length < last.total && last.items.length > 0 ?
      last.offset + last.items.length : undefined),
  });
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isError } = q;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !isError) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, isError]);
  const artifacts = useMemo(() => (q.data?.pages ?? []).flatMap((p) => p.items) as unknown as Artifact[], [q.data]);
  return { ...q, artifacts, complete: !!q.data && !hasNextPage };
}

/** The player: the browser's <video>, or frames from the frame endpoint when the browser cannot play the file. */
interface PlayerApi { seek: (ms: number) => void; toggle: () => void; play: () => void }

function BoxesOverlay({ tracks, clock, hold }: { tracks: Track[]; clock: Clock; hold: (t: Track) => number }) {
  const ms = useClock(clock);
  const shown = boxesAt(tracks, ms, hold);
  return (
    <div className="boxes" aria-hidden>
      {shown.map((b) => (
        <div key={b.id} className={`box box-${b.kind}`} style={{ left: `${b.left * 100}%`, top: `${b.top * 100}%`,
          width: `${b.width * 100}%`, height: `${b.height * 100}%` }}><span>{b.label}</span></div>
      ))}
    </div>
  );
}

function Player({ video, clock, startMs, tracks, hold, apiRef, onSeeked }: {
  video: Video; clock: Clock; startMs: number | null; tracks: Track[]; hold: (t: Track) => number;
  apiRef: React.RefObject<PlayerApi | null>; onSeeked: () => void;
}) {
  const el = useRef<HTMLVideoElement>(null);
  const [mediaError, setMediaError] = useState<string | null>(null);
  const [aspect, setAspect] = useState(16 / 9);
  const [framePlaying, setFramePlaying] = useState(false);
  const frames = video.playable === false || mediaError !== null;
  const ms = useClock(clock);
  const duration = video.duration_ms ?? 0;

  const playVideo = useCallback(() => {
    const v = el.current;
    if (!v) return;
    v.play().catch((e: DOMException) => {
      if (e.name === "NotAllowedError") { v.muted = true; void v.play().catch(() => undefined); }
    });
  }, []);

  useEffect(() => {
    apiRef.current = {
      seek: (to) => {
        const t = Math.max(0, duration ? Math.min(to, duration) : to);
        clock.set(t);
        if (!frames && el.current) el.current.currentTime = t / 1000; else onSeeked();
      },
      toggle: () => {
        if (frames) { setFramePlaying((p) => !p); return; }
        const v = el.current;
        if (v) { if (v.paused) playVideo(); else v.pause(); }
      },
      play: () => (frames ? setFramePlaying(true) : playVideo()),
    };
  }, [apiRef, clock, duration, frames, onSeeked, playVideo]);

  // While playing, the clock follows the video about ten times a second (boxes and the transcript follow it).
  useEffect(() => {
    const v = el.current;
    if (!v || frames) return;
    let raf = 0;
    let last = 0;
    const tick = (now: number) => {
      if (now - last > 90) { clock.set(Math.round(v.currentTime * 1000)); last = now; }
      raf = requestAnimationFrame(tick);
    };
    const start = () => { cancelAnimationFrame(raf); raf = requestAnimationFrame(tick); };
    const stop = () => { cancelAnimationFrame(raf); clock.set(Math.round(v.currentTime * 1000)); };
    v.addEventListener("playing", start);
    v.addEventListener("pause", stop);
    v.addEventListener("ended", stop);
    return () => { cancelAnimationFrame(raf); v.removeEventListener("playing", start);
      v.removeEventListener("pause", stop); v.removeEventListener("ended", stop); };
  }, [clock, frames]);

  useEffect(() => {
    if (!frames || !framePlaying) return;
    const t = window.setInterval(() => {
      const next = clock.get() + FRAME_STEP_MS;
      if (duration && next >= duration) setFramePlaying(false); else clock.set(next);
    }, FRAME_STEP_MS);
    return () => window.clearInterval(t);
  }, [frames, framePlaying, clock, duration]);

  const onLoaded = () => {
    const v = el.current;
    if (!v) return;
    if (v.videoWidth && v.videoHeight) setAspect(v.videoWidth / v.videoHeight);
    if (startMs != null) { v.currentTime = startMs / 1000; playVideo(); }
  };
  const onError = () => {
    const code = el.current?.error?.code;
    setMediaError(code === 4 ? "this browser cannot play the file's format" :
      code === 2 ? "the file could not be fetched" : "the file could not be decoded");
  };
  const missing = video.status === "missing";
  return (
    <div className="player">
      <div className="screen" style={{ aspectRatio: String(aspect) }}>
        {missing ? <div className="screen-note">The video file is missing (last seen at {video.path}).</div> :
          frames ? <img src={frameUrl(video.video_id, Math.floor(ms / FRAME_STEP_MS) * FRAME_STEP_MS, 960)}
            alt={`Frame at ${formatTime(ms)}`} onLoad={(e) => {
              const i = e.currentTarget;
              if (i.naturalWidth && i.naturalHeight) setAspect(i.naturalWidth / i.naturalHeight);
            }} /> :
          <video ref={el} src={`/videos/${video.video_id}/media`} controls preload="metadata" playsInline
            onLoadedMetadata={onLoaded} onError={onError} onSeeked={() => {
              clock.set(Math.round((el.current?.currentTime ?? 0) * 1000));
              onSeeked();
            }} aria-label={`Video ${baseName(video.path)}`} />}
        {!missing && <BoxesOverlay tracks={tracks} clock={clock} hold={hold} />}
      </div>
      {frames && !missing && (
        <div className="frame-controls">
          <p className="notice" role="status">This file plays in another player{mediaError ? ` (${mediaError})` : ""};
            here you scrub it frame by frame.</p>
          <button type="button" onClick={() => setFramePlaying((p) => !p)}>{framePlaying ? "Pause" : "Play frames"}</button>
          <input type="range" min={0} max={Math.max(1, duration)} step={FRAME_STEP_MS} value={ms}
            aria-label="Position" onChange={(e) => apiRef.current?.seek(Number(e.target.value))} />
          <span>{formatTime(ms)} / {formatDuration(video.duration_ms)}</span>
        </div>
      )}
    </div>
  );
}

function TranscriptPanel({ lines, clock, onSeek }: { lines: Artifact[]; clock: Clock; onSeek: (ms: number) => void }) {
  const ms = useClock(clock);
  const spans = useMemo(() => lines.map((a) => ({ startMs: a.span_start_ms, endMs: a.span_end_ms })), [lines]);
  const active = activeIndex(spans, ms);
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const box = list.current;
    const li = active >= 0 ? (box?.children[active] as HTMLElement | undefined) : undefined;
    if (box && li && (li.offsetTop < box.scrollTop || li.offsetTop + li.offsetHeight > box.scrollTop + box.clientHeight)) {
      box.scrollTop = li.offsetTop - box.clientHeight / 3;
    }
  }, [active]);
  if (lines.length === 0) return null;
  return (
    <section className="transcript" aria-label="Transcript">
      <h2>Transcript</h2>
      <ol ref={list}>
        {lines.map((a, i) => (
          <li key={a.artifact_id}>
            <button type="button" data-testid="transcript-line" data-start-ms={a.span_start_ms}
              className={i === active ? "current" : ""} aria-current={i === active ? "true" : undefined}
              onClick={() => onSeek(a.span_start_ms)}>
              <time>{formatTime(a.span_start_ms)}</time> {String(a.payload.text ?? "")}
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

function SummaryPanel({ id, onSeek }: { id: string; onSeek: (ms: number) => void }) {
  const q = useQuery({ queryKey: ["summary", id], queryFn: () => call<Summary>("GET", `/videos/${id}/summary`) });
  if (q.error) return <p className="error" role="alert">Loading the summary failed: {errorText(q.error)}</p>;
  const s = q.data;
  if (!s) return null;
  const chip = (label: string, ms: number, extra: string) => (
    <li key={label}><button type="button" className="chip" onClick={() => onSeek(ms)}
      title={`First at ${formatTime(ms)}`}>{label} <small>{extra}</small></button></li>
  );
  return (
    <section className="summary" aria-label="Summary">
      <h2>Summary</h2>
      <dl>
        <dt>Scenes</dt><dd>{s.scene_count ?? "—"}</dd>
        <dt>Faces on screen</dt><dd>{formatTime(s.faces_on_screen_ms)}</dd>
      </dl>
      {s.objects.length > 0 && <><h3>Objects</h3><ul className="chips">
        {s.objects.map((o) => chip(o.label, o.first_ms, formatTime(o.on_screen_ms)))}</ul></>}
      {s.places.length > 0 && <><h3>Places</h3><ul className="chips">
        {s.places.map((o) => chip(o.label, o.first_ms, formatTime(o.on_screen_ms)))}</ul></>}
      {s.text_read.length > 0 && <><h3>Text on screen</h3><ul className="chips">
        {s.text_read.slice(0, 20).map((t) => chip(t.text, t.start_ms, formatTime(t.start_ms)))}</ul></>}
      {s.transcript_excerpt && <><h3>Said</h3><p className="excerpt">{s.transcript_excerpt}</p></>}
    </section>
  );
}

function Analyses({ video }: { video: Video }) {
  const qc = useQueryClient();
  const id = video.video_id;
  const tasks = useQuery({ queryKey: ["tasks", { video_id: id }], queryFn: () =>
    call<TaskList>("GET", `/tasks?video_id=${id}&limit=100&sort=created_at&order=asc`) });
  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: ["tasks"] }),
    qc.invalidateQueries({ queryKey: ["video", id] })]);
  const act = useMutation({
    mutationFn: ({ task, action }: { task: Task; action: "cancel" | "retry" }) =>
      call("POST", `/tasks/${task.task_id}/${action}`),
    onSettled: refresh,
  });
  const reprocess = useMutation({ mutationFn: () => call("POST", `/videos/${id}/reprocess`, {}), onSettled: refresh });
  // the newest task per analysis (a re-process makes new ones)
  const latest = new Map<string, Task>();
  for (const t of tasks.data?.items ?? []) latest.set(t.task_type, t);
  return (
    <section className="analyses" aria-label="Analyses">
      <h2>Analyses</h2>
      {tasks.error && <p className="error" role="alert">Loading the analyses failed: {errorText(tasks.error)}</p>}
      {act.error && <p className="error" role="alert">{errorText(act.error)}</p>}
      {reprocess.error && <p className="error" role="alert">{errorText(reprocess.error)}</p>}
      <table>
        <thead><tr><th scope="col">Analysis</th><th scope="col">Status</th><th scope="col">Model</th><th scope="col">
          <span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {[...latest.values()].map((t) => (
            <tr key={t.task_id} data-testid="analysis-row" data-task-type={t.task_type}>
              <td>{TASK_TITLES[t.task_type] ?? t.task_type}</td>
              <td><span className={`status status-${t.status}`}>{t.status}</span>
                {t.status === "running" && <ProgressBar percent={t.progress?.percent ?? null} label={`${t.task_type} progress`} />}
                {t.error && <small className="error" title={t.error}> {t.error.slice(0, 120)}</small>}</td>
              <td>{t.model_profile ?? "—"}{isUntrained(t.model_profile) && <span className="badge warn">untrained</span>}</td>
              <td className="actions">
                {(t.status === "pending" || t.status === "running") &&
                  <button type="button" onClick={() => act.mutate({ task: t, action: "cancel" })}
                    aria-label={`Cancel ${TASK_TITLES[t.task_type] ?? t.task_type}`}>Cancel</button>}
                {(t.status === "failed" || t.status === "cancelled") &&
                  <button type="button" onClick={() => act.mutate({ task: t, action: "retry" })}
                    aria-label={`Retry ${TASK_TITLES[t.task_type] ?? t.task_type}`}>Retry</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row-buttons">
        <button type="button" onClick={() => reprocess.mutate()} disabled={reprocess.isPending}>
          {reprocess.isPending ? "Re-processing…" : "Re-process this video"}</button>
        <a href={`/videos/${id}/transcript.srt`} download>Subtitles (SRT)</a>
        <a href={`/videos/${id}/transcript.vtt`} download>Subtitles (VTT)</a>
      </div>
    </section>
  );
}

export default function VideoPage() {
  const { id = "" } = useParams();
  const [params] = useSearchParams();
  const startMs = parseT(params.get("t"));
  const clock = useMemo(() => new Clock(), []);
  const player = useRef<PlayerApi | null>(null);
  const video = useQuery({ queryKey: ["video", id], queryFn: () => call<Video>("GET", `/videos/${id}`) });
  const arts = useArtifacts(id);
  const tasks = useQuery({ queryKey: ["tasks", { video_id: id }], queryFn: () =>
    call<TaskList>("GET", `/tasks?video_id=${id}&limit=100&sort=created_at&order=asc`) });
  const durationMs = timelineLength(video.data?.duration_ms, arts.artifacts);
  const lanes = useMemo(() => buildLanes(arts.artifacts, durationMs), [arts.artifacts, durationMs]);
  const tracks = useMemo(() => arts.artifacts.map(toTrack).filter((t): t is Track => t !== null), [arts.artifacts]);
  const hold = useMemo(() => {
    const byTask = new Map<string, number>();
    for (const t of tasks.data?.items ?? []) byTask.set(t.task_id, intervalMs((t.config as Record<string, unknown>)?.frame_interval_s));
    const taskOf = new Map(arts.artifacts.map((a) => [a.artifact_id, (a as unknown as { task_id: string }).task_id]));
    return (t: Track) => byTask.get(taskOf.get(t.id) ?? "") ?? 1000;
  }, [tasks.data, arts.artifacts]);
  const lines = useMemo(() => arts.artifacts.filter((a) => a.artifact_type === "transcript_segment")
    .sort((a, b) => a.span_start_ms - b.span_start_ms), [arts.artifacts]);
  const scenes = useMemo(() => sceneStarts(arts.artifacts), [arts.artifacts]);

  const seekPending = useRef(false);
  const seek = useCallback((ms: number) => {
    seekPending.current = true;
    player.current?.seek(ms);
  }, []);
  const onSeeked = useCallback(() => {
    if (seekPending.current) {
      seekPending.current = false;
      performance.mark("timeline:seeked");
    }
  }, []);

  // ?t= changing while on the page (a search hit for the same video): go there and play
  const lastT = useRef(startMs);
  useEffect(() => {
    if (startMs != null && startMs !== lastT.current) { player.current?.seek(startMs); player.current?.play(); }
    lastT.current = startMs;
  }, [startMs]);

  useEffect(() => {
    if (arts.complete && lanes.length > 0 && performance.getEntriesByName("timeline:first-render").length === 0) {
      performance.mark("timeline:first-render");
    }
  }, [arts.complete, lanes.length]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if ((e.target as HTMLElement | null)?.tagName === "VIDEO" && e.key !== "j" && e.key !== "k") return; // its own keys
      const now = clock.get();
      if (e.key === " ") { e.preventDefault(); player.current?.toggle(); }
      else if (e.key === "ArrowLeft") { e.preventDefault(); seek(Math.max(0, now - 5000)); }
      else if (e.key === "ArrowRight") { e.preventDefault(); seek(now + 5000); }
      else if (e.key === "j" || e.key === "k") {
        const to = adjacentScene(scenes, now, e.key === "j" ? -1 : 1);
        if (to != null) seek(to);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [clock, scenes, seek]);

  if (video.error) {
    return <section className="page"><p className="error" role="alert">Loading the video failed: {errorText(video.error)}</p>
      <Link to="/">Back to the library</Link></section>;
  }
  const v = video.data;
  if (!v) return <p className="muted" role="status">Loading…</p>;
  return (
    <section className="video-page">
      <h1 title={v.path}>{baseName(v.path)}</h1>
      <p className="muted">{formatDuration(v.duration_ms)} · {v.status}
        {v.percent != null && v.percent < 100 ? ` · analysed ${Math.round(v.percent)}%` : ""} ·{" "}
        <MomentLink id={id} clock={clock} /></p>
      <div className="video-layout">
        <Player video={v} clock={clock} startMs={startMs} tracks={tracks} hold={hold} apiRef={player} onSeeked={onSeeked} />
        <TranscriptPanel lines={lines} clock={clock} onSeek={seek} />
      </div>
      {arts.error && <p className="error" role="alert">Loading the results failed: {errorText(arts.error)}</p>}
      {arts.data && lanes.length === 0 && !arts.hasNextPage && <p className="empty">No results yet: the analyses below
        have not finished, or found nothing.</p>}
      <Timeline lanes={lanes} durationMs={durationMs} onSeek={seek} clock={clock} />
      <p className="muted keys">Keys: space play/pause · ←/→ 5 s · j/k previous/next scene · / search</p>
      <div className="video-panels">
        <SummaryPanel id={id} onSeek={seek} />
        <Analyses video={v} />
      </div>
    </section>
  );
}

function MomentLink({ id, clock }: { id: string; clock: Clock }) {
  const ms = useClock(clock);
  return <Link to={`/videos/${id}?t=${formatT(ms)}`} replace title="A link to this moment">at {formatTime(ms, true)}</Link>;
}
