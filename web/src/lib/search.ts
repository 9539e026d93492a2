/** Search hits as the page shows them: grouped by video, the highlighted text split safely. */

export interface Hit {
  artifact_id: string;
  video_id: string;
  path: string;
  kind: string;
  start_ms: number;
  end_ms: number;
  text: string;
  highlight: string;
  score: number;
  match_ms: number;
  frame_url: string;
}

export interface HitGroup<H extends Hit = Hit> {
  videoId: string;
  path: string;
  best: number;
  hits: H[];
}

/** Groups in the order of each video's best hit (the API sends best first); hits in a group by time. */
export function groupHits<H extends Hit>(hits: H[]): HitGroup<H>[] {
  const groups = new Map<string, HitGroup<H>>();
  for (const h of hits) {
    let g = groups.get(h.video_id);
    if (!g) {
      g = { videoId: h.video_id, path: h.path, best: h.score, hits: [] };
      groups.set(h.video_id, g);
    }
    if (!g.hits.some((x) => x.artifact_id === h.artifact_id)) g.hits.push(h);
    g.best = Math.max(g.best, h.score);
  }
  const list = [...groups.values()];
  list.sort((a, b) => b.best - a.best);
  for (const g of list) g.hits.sort((a, b) => a.match_ms - b.match_ms);
  return list;
}

export interface Piece { text: string; marked: boolean }

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'",
  "&#39;": "'" };

function unescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#x27|#39);/g, (e) => ENTITIES[e] ?? e);
}

/** The API's highlight (HTML-escaped text with <mark>…</mark>) as plain pieces; no HTML is ever injected. */
export function highlightPieces(highlight: string): Piece[] {
  const pieces: Piece[] = [];
  const re = /<mark>(.*?)<\/mark>/gs;
  let last = 0;
  for (let m = re.exec(highlight); m; m = re.exec(highlight)) {
    if (m.index > last) pieces.push({ text: unescape(highlight.slice(last, m.index)), marked: false });
    pieces.push({ text: unescape(m[1]), marked: true });
    last = m.index + m[0].length;
  }
  if (last < highlight.length) pieces.push({ text: unescape(highlight.slice(last)), marked: false });
  return pieces.filter((p) => p.text !== "");
}

/** The file name of a path, for titles. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}
