"""``make run``: start the whole stack locally and show live progress.

Environment: VIDEO_PATHS (./videos), DATA_DIR (./.reelscan), API_PORT (8000),
ML_PORT (8001), DATABASE_URL / REDIS_URL (external stores instead of the
embedded ones); every service setting in the README passes through.
Ctrl-C or SIGTERM stops every process it started.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import Stack

from reelscan_shared.files import shown_path

STATUSES = ("pending", "running", "completed", "failed", "cancelled", "blocked")


class Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def progress(client: httpx.Client) -> str:
    videos = client.get("/videos", params={"limit": 1}).json()["total"]
    counts = {s: client.get("/tasks", params={"status": s, "limit": 1}).json()["total"] for s in STATUSES}
    total = sum(counts.values())
    done = counts["completed"] + counts["failed"] + counts["cancelled"] + counts["blocked"]
    health = client.get("/health").json().get("status", "?")
    blocked = f", blocked {counts['blocked']}" if counts["blocked"] else ""
    return (f"videos {videos} | tasks done {done}/{total} (completed {counts['completed']}, "
            f"running {counts['running']}, pending {counts['pending']}, failed {counts['failed']}, "
            f"cancelled {counts['cancelled']}{blocked}) | health {health}{running_videos(client)}")


def weights_bars(ml: httpx.Client) -> str:
    """The weights the ML service is fetching now (MODEL_AUTO_PULL), as progress bars."""
    try:
        analyses = ml.get("/health").json().get("analyses") or {}
    except (httpx.HTTPError, ValueError, AttributeError):
        return ""
    bars = [weights_bar(name, a["fetch"]) for name, a in analyses.items()
            if (a.get("fetch") or {}).get("state") == "fetching"]
    return f" | weights: {', '.join(bars)}" if bars else ""


def weights_bar(analysis: str, fetch: dict, width: int = 20) -> str:
    done, total = fetch.get("done_bytes") or 0, fetch.get("total_bytes")
    if not total:  # the source did not say how large
        return f"{analysis} {done / 2**20:.1f} MiB"
    filled = min(width, width * done // total)
    return (f"{analysis} [{'#' * filled}{'.' * (width - filled)}] {min(100, 100 * done // total)}% "
            f"of {total / 2**20:.1f} MiB")


def blocked_analyses(client: httpx.Client) -> dict[str, str]:
    """Analyses with BLOCKED tasks (their model has no trained weights): why, and what fixes it."""
    analyses = client.get("/health").json().get("analyses") or {}
    return {name: f"!! {name} tasks are blocked: {a.get('detail') or a.get('blocked_reason')} "
                  "(they run by themselves once it can)"
            for name, a in analyses.items() if a.get("blocked_tasks")}


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{secs:02d}s"


def running_videos(client: httpx.Client, shown: int = 3) -> str:
    """The videos being analysed now, with how far they got and their ETA."""
    running = client.get("/tasks", params={"status": "running", "limit": 100}).json()["items"]
    video_ids = list(dict.fromkeys(t["video_id"] for t in running))
    parts = []
    for video_id in video_ids[:shown]:
        video = client.get(f"/videos/{video_id}").json()
        eta = f" ETA {_duration(video['eta_s'])}" if video.get("eta_s") is not None else ""
        parts.append(f"{Path(shown_path(video['path'])).name} {video['percent'] or 0:.0f}%{eta}")
    more = f" +{len(video_ids) - shown}" if len(video_ids) > shown else ""
    return f" | now: {', '.join(parts)}{more}" if parts else ""


def supervise(stack: Stack) -> None:
    """Restart a service that died, and print progress whenever it changes."""
    token = os.environ.get("API_TOKEN", "").strip()  # reads need it whenever it is set
    client = httpx.Client(base_url=stack.api_url, timeout=5,
                          headers={"Authorization": f"Bearer {token}"} if token else {})
    ml = httpx.Client(base_url=stack.ml_url, timeout=5)
    last = ""
    told: dict[str, str] = {}  # the blocked analyses' lines already printed
    tty = sys.stdout.isatty()
    while True:
        for service in stack.services.values():
            if not service.alive:
                code = service.proc.returncode if service.proc else None
                print(f"\n!! {service.name} exited ({code}); last log lines:\n{service.tail()}")
                print(f"!! restarting {service.name}")
                service.restarts += 1
                time.sleep(min(2 ** service.restarts, 30))
                service.start()
        try:
            line = progress(client) + weights_bars(ml)
        except (httpx.HTTPError, KeyError, ValueError):
            line = "waiting for the API..."
        if line != last:
            print(("\r\033[K" if tty else "") + line, end="" if tty else "\n", flush=True)
            last = line
        told = tell_blocked(client, told, tty)
        time.sleep(2)


def tell_blocked(client: httpx.Client, told: dict[str, str], tty: bool) -> dict[str, str]:
    """Print, once (and again if the reason changes), each analysis whose tasks wait for
    trained weights; the progress line counts them."""
    try:
        now = blocked_analyses(client)
    except (httpx.HTTPError, KeyError, ValueError, AttributeError):
        return told
    for name, text in now.items():
        if _without_bytes(told.get(name, "")) != _without_bytes(text):
            print(("\n" if tty else "") + text, flush=True)
    return now


def _without_bytes(text: str) -> str:
    """A blocked line without its fetch's byte counts: a fetch going on is no new reason
    (the status line's bar shows it), so the line is not printed again every 2 s."""
    return re.sub(r" \(\d+\.\d MiB( of \d+\.\d MiB)?\)", "", text)


def main() -> None:
    data_dir = Path(os.environ.get("DATA_DIR", "./.reelscan")).resolve()
    video_paths = os.environ.get("VIDEO_PATHS", "./videos")
    roots = [Path(p).resolve() for p in video_paths.split(":") if p]
    for root in roots:
        root.mkdir(parents=True, exist_ok=True)
    stack = Stack(data_dir=data_dir, video_paths=":".join(str(r) for r in roots),
                  api_port=int(os.environ.get("API_PORT", "8000")), ml_port=int(os.environ.get("ML_PORT", "8001")),
                  database_url=os.environ.get("DATABASE_URL"), redis_url=os.environ.get("REDIS_URL"))
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        print(f"Reelscan: data in {data_dir}, watching {', '.join(map(str, roots))}")
        stack.start()
        print(f"API      {stack.api_url}  (docs: {stack.api_url}/docs)")
        print(f"ML       {stack.ml_url}")
        print(f"logs     {data_dir / 'logs'}")
        stack.wait_ready()
        print("Drop videos into the folder(s) above; Ctrl-C stops everything.")
        supervise(stack)
    except Stop as why:
        print(f"\nstopping ({why})...")
    except Exception as exc:  # noqa: BLE001
        print(f"\nerror: {exc}", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        sys.exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stack.stop()
    print("stopped.")


if __name__ == "__main__":
    main()
