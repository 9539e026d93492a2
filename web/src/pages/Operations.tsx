import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { call, errorText } from "../api/client";
import type { Delivery, Health, Queue, Task, TaskList } from "../api/types";
import { TASK_STATUSES, TASK_TITLES, TASK_TYPES } from "../api/types";
import { ProgressBar } from "../components/ProgressBar";
import { formatTime } from "../lib/time";

const PAGE = 50;
const SORTS: [string, string][] = [["created_at", "Created"], ["started_at", "Started"], ["running_time", "Running time"]];

function HealthPanel() {
  const h = useQuery({ queryKey: ["health"], queryFn: () => call<Health>("GET", "/health"), refetchInterval: 15_000 });
  if (h.error) return <p className="error" role="alert">Loading /health failed: {errorText(h.error)}</p>;
  const d = h.data;
  if (!d) return null;
  const parts: [string, string][] = [["Database", d.database], ["Valkey", d.valkey], ["ML service", d.ml_service],
    ["Schema", d.schema]];
  return (
    <section aria-label="Health" className="health">
      <h2>Health: <span className={`status status-${d.status}`}>{d.status}</span></h2>
      <ul className="chips">
        {parts.filter(([, v]) => v != null).map(([k, v]) => <li key={k}><span className={`chip status-${v}`}>{k}: {v}</span></li>)}
        {(d.library?.unavailable_roots ?? []).map((r) => <li key={r}><span className="chip status-down">library root unavailable: {r}</span></li>)}
      </ul>
      <SkippedFiles skipped={d.library?.skipped_files} />
    </section>
  );
}

/** The files the last discovery scan left out, each with its reason (none: nothing shown). */
function SkippedFiles({ skipped }: { skipped: NonNullable<Health["library"]>["skipped_files"] | undefined }) {
  if (!skipped?.count) return null;
  return (
    <details className="skipped-files">
      <summary>{skipped.count} file{skipped.count === 1 ? "" : "s"} left out by the last scan</summary>
      <ul>
        {skipped.files.map((f) => <li key={f.path}><code>{f.path}</code>: {f.error}</li>)}
        {skipped.count > skipped.files.length && <li>and {skipped.count - skipped.files.length} more</li>}
      </ul>
    </details>
  );
}

function Queues() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ["queues"], queryFn: () => call<Queue[]>("GET", "/queues"), refetchInterval: 10_000 });
  const toggle = useMutation({
    mutationFn: (queue: Queue) => call("POST", `/queues/${queue.name}/${queue.paused ? "resume" : "pause"}`),
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: ["queues"] }), qc.invalidateQueries({ queryKey: ["health"] })]),
  });
  return (
    <section aria-label="Queues">
      <h2>Queues</h2>
      {q.error && <p className="error" role="alert">Loading the queues failed: {errorText(q.error)}</p>}
      {toggle.error && <p className="error" role="alert">{errorText(toggle.error)}</p>}
      <div className="table-scroll"><table>
        <thead><tr><th scope="col">Queue</th><th scope="col">Waiting</th><th scope="col">By priority</th>
          <th scope="col">Running</th><th scope="col">Workers</th><th scope="col">State</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {(q.data ?? []).map((x) => (
            <tr key={x.name} data-testid="queue-row" data-queue={x.name} data-paused={String(x.paused)}>
              <th scope="row">{x.name}</th>
              <td>{x.depth}</td>
              <td>{Object.entries(x.depth_by_priority ?? {}).map(([p, n]) => `${p} ${n}`).join(" · ") || "—"}</td>
              <td>{x.running}</td>
              <td>{x.workers}</td>
              <td>{x.paused ? <span className="badge warn">paused</span> : <span className="badge ok">running</span>}</td>
              <td><button type="button" onClick={() => toggle.mutate(x)} disabled={toggle.isPending}
                aria-label={`${x.paused ? "Resume" : "Pause"} ${x.name}`}>{x.paused ? "Resume" : "Pause"}</button></td>
            </tr>
          ))}
        </tbody>
      </table></div>
    </section>
  );
}

function TaskRow({ t, act }: { t: Task; act: (t: Task, a: "cancel" | "retry") => void }) {
  const pct = t.progress?.percent ?? (t.status === "completed" ? 100 : null);
  return (
    <tr data-testid="task-row" data-task-id={t.task_id} data-status={t.status}>
      <td><Link to={`/videos/${t.video_id}`} title={t.video_id}>{t.video_id.slice(0, 8)}</Link></td>
      <td>{TASK_TITLES[t.task_type] ?? t.task_type}</td>
      <td><span className={`status status-${t.status}`}>{t.status}</span>
        {t.error && <small className="error" title={t.error}> {t.error.slice(0, 80)}</small>}</td>
      <td><ProgressBar percent={pct} label={`Progress of ${t.task_type} ${t.task_id.slice(0, 8)}`} /></td>
      <td>{t.priority}</td>
      <td>{t.attempts}</td>
      <td>{t.running_time_ms != null ? formatTime(t.running_time_ms) : "—"}</td>
      <td className="actions">
        {(t.status === "pending" || t.status === "running") &&
          <button type="button" aria-label="Cancel" onClick={() => act(t, "cancel")}>Cancel</button>}
        {(t.status === "failed" || t.status === "cancelled") &&
          <button type="button" aria-label="Retry" onClick={() => act(t, "retry")}>Retry</button>}
      </td>
    </tr>
  );
}

function Tasks() {
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const f = { status: params.get("status") ?? "", task_type: params.get("task_type") ?? "",
    sort: params.get("sort") ?? "created_at", order: params.get("order") ?? "desc",
    offset: Math.max(0, Number(params.get("offset") ?? 0) || 0) };
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v); else next.delete(k);
    if (k !== "offset") next.delete("offset");
    setParams(next, { replace: true });
  };
  const qs = new URLSearchParams({ limit: String(PAGE), offset: String(f.offset), sort: f.sort, order: f.order });
  if (f.status) qs.set("status", f.status);
  if (f.task_type) qs.set("task_type", f.task_type);
  const q = useQuery({ queryKey: ["tasks", "list", f], queryFn: () => call<TaskList>("GET", `/tasks?${qs.toString()}`),
    placeholderData: (prev) => prev });
  const act = useMutation({
    mutationFn: ({ t, a }: { t: Task; a: "cancel" | "retry" }) => call("POST", `/tasks/${t.task_id}/${a}`),
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: ["tasks"] }), qc.invalidateQueries({ queryKey: ["queues"] })]),
  });
  const total = q.data?.total ?? 0;
  return (
    <section aria-label="Tasks">
      <h2>Tasks</h2>
      <div className="toolbar">
        <label>Status <select value={f.status} onChange={(e) => set("status", e.target.value)}>
          <option value="">all</option>{TASK_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}</select></label>
        <label>Analysis <select value={f.task_type} onChange={(e) => set("task_type", e.target.value)}>
          <option value="">all</option>{TASK_TYPES.map((s) => <option key={s} value={s}>{TASK_TITLES[s]}</option>)}</select></label>
        <label>Sort <select value={f.sort} onChange={(e) => set("sort", e.target.value)}>
          {SORTS.map(([v, t]) => <option key={v} value={v}>{t}</option>)}</select></label>
        <label>Order <select value={f.order} onChange={(e) => set("order", e.target.value)}>
          <option value="desc">newest first</option><option value="asc">oldest first</option></select></label>
      </div>
      {q.error && <p className="error" role="alert">Loading the tasks failed: {errorText(q.error)}</p>}
      {act.error && <p className="error" role="alert">{errorText(act.error)}</p>}
      <div className="table-scroll"><table>
        <thead><tr><th scope="col">Video</th><th scope="col">Analysis</th><th scope="col">Status</th><th scope="col">Progress</th>
          <th scope="col">Priority</th><th scope="col">Tries</th><th scope="col">Ran</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>{(q.data?.items ?? []).map((t) => <TaskRow key={t.task_id} t={t} act={(task, a) => act.mutate({ t: task, a })} />)}</tbody>
      </table></div>
      <div className="pager">
        <button type="button" disabled={f.offset === 0} onClick={() => set("offset", String(Math.max(0, f.offset - PAGE)))}>Previous page</button>
        <span role="status">{total ? `${f.offset + 1}–${Math.min(total, f.offset + PAGE)} of ${total}` : "no tasks"}</span>
        <button type="button" disabled={f.offset + PAGE >= total} onClick={() => set("offset", String(f.offset + PAGE))}>Next page</button>
      </div>
    </section>
  );
}

function Deliveries() {
  const q = useQuery({ queryKey: ["deliveries"], queryFn: () => call<Delivery[]>("GET", "/webhooks/deliveries?limit=20") });
  return (
    <section aria-label="Webhook deliveries">
      <h2>Webhook deliveries</h2>
      {q.error && <p className="error" role="alert">Loading the deliveries failed: {errorText(q.error)}</p>}
      {q.data && q.data.length === 0 && <p className="muted">None (no webhooks, or nothing sent yet).</p>}
      {q.data && q.data.length > 0 && <div className="table-scroll"><table>
        <thead><tr><th scope="col">Event</th><th scope="col">URL</th><th scope="col">Status</th><th scope="col">Tries</th><th scope="col">Last answer</th></tr></thead>
        <tbody>{q.data.map((d) => (
          <tr key={`${d.event_id}-${d.webhook_id}`}>
            <td>{d.event_type}</td><td className="url">{d.url}</td>
            <td><span className={`status status-${d.status}`}>{d.status}</span></td><td>{d.attempts}</td>
            <td>{d.last_status ?? ""} {d.last_error ?? ""}</td>
          </tr>))}
        </tbody>
      </table></div>}
    </section>
  );
}

export default function Operations() {
  return (
    <section className="page operations">
      <h1>Operations</h1>
      <HealthPanel />
      <Queues />
      <Tasks />
      <Deliveries />
    </section>
  );
}
