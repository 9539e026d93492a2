export function ProgressBar({ percent, label }: { percent: number | null; label: string }) {
  return (
    <span className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100}
      aria-valuenow={percent == null ? undefined : Math.round(percent)}>
      <span style={{ width: `${percent ?? 0}%` }} /><small>{percent == null ? "" : `${Math.round(percent)}%`}</small>
    </span>
  );
}
