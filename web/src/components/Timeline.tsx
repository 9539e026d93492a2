import { memo } from "react";
import type { Lane } from "../lib/timeline";
import { type Clock, useClock } from "../lib/clock";
import { formatTime } from "../lib/time";

function Playhead({ clock, durationMs }: { clock: Clock; durationMs: number }) {
  const ms = useClock(clock);
  const pct = Math.min(100, Math.max(0, (ms / Math.max(1, durationMs)) * 100));
  return <div className="playhead" style={{ left: `${pct}%` }} aria-hidden />;
}

interface Props { lanes: Lane[]; durationMs: number; onSeek: (ms: number) => void }

const Lanes = memo(function Lanes({ lanes, durationMs, onSeek }: Props) {
  const seekAt = (e: React.MouseEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return; // a mark handles its own click
    const r = e.currentTarget.getBoundingClientRect();
    onSeek(Math.round(((e.clientX - r.left) / r.width) * durationMs));
  };
  return (
    <>
      {lanes.map((lane) => (
        <div key={lane.kind} className={`lane lane-${lane.kind}`} role="group" aria-label={lane.title}>
          {lane.rows.map((row, i) => (
            <div key={i} className="lane-row">
              <span className="row-title" title={row.title}>{i === 0 && row.title !== lane.title ?
                <><b>{lane.title}</b> {row.title}</> : row.title || "\u00a0"}</span>
              <div className="row-track" onClick={seekAt}>
                {row.marks.map((m) => {
                  const what = `${lane.title}: ${m.label || "(no text)"}, ${formatTime(m.startMs, true)}` +
                    (m.endMs > m.startMs ? `–${formatTime(m.endMs, true)}` : "");
                  return (
                    <button type="button" key={m.id} className="mark" data-testid="timeline-mark"
                      data-lane={lane.kind} data-start-ms={m.startMs} data-end-ms={m.endMs} title={what}
                      aria-label={`Seek to ${what}`} style={{ left: `${m.leftPct}%`, width: `${m.widthPct}%` }}
                      onClick={() => onSeek(m.startMs)} />
                  );
                })}
              </div>
            </div>
          ))}
        </div>
      ))}
    </>
  );
});

export function Timeline({ lanes, durationMs, onSeek, clock }: Props & { clock: Clock }) {
  return (
    <div className="timeline" aria-label="Timeline: one lane per analysis; a mark seeks the player">
      <div className="timeline-inner">
        <Lanes lanes={lanes} durationMs={durationMs} onSeek={onSeek} />
        <div className="playhead-layer"><Playhead clock={clock} durationMs={durationMs} /></div>
      </div>
    </div>
  );
}
