// Requests whose lines could not be written (queue full, disk full), per session file, until a gap line that
// names them reaches that file. A request and its response line count once; the count is exact, the list of ids
// is capped. The engine counts them (lunaroute_recorder_dropped_exchanges_total) and the writer's gap marker
// lists them, so the session says how many requests were lost and when.

/** Requests lost from one session file since its last written gap line. */
export interface LostRequests {
  ids: string[];
  count: number;
  firstAt: number;
}

/** At most this many lost request ids are listed in a gap line (the count is always exact). */
const LOST_IDS_LISTED = 1_000;
/** Exchanges remembered as already counted (a request and its response line count once). */
const SEEN_MAX = 10_000;

export class LostRequestLog {
  private readonly byFile = new Map<string, LostRequests>();
  private readonly seen = new Set<string>();

  /** Note that a line of request `id` in `file` was lost; true when this is the request's first lost line. */
  add(file: string, id: string, now = Date.now()): boolean {
    if (this.seen.has(id)) return false;
    if (this.seen.size >= SEEN_MAX) this.seen.clear();
    this.seen.add(id);
    const lost = this.byFile.get(file) ?? { ids: [], count: 0, firstAt: now };
    if (lost.ids.length < LOST_IDS_LISTED) lost.ids.push(id);
    lost.count++;
    this.byFile.set(file, lost);
    return true;
  }

  /** What a gap line being built for `file` should say (a copy: nothing is forgotten until it is written). */
  peek(file: string): LostRequests | null {
    const lost = this.byFile.get(file);
    return lost ? { ids: [...lost.ids], count: lost.count, firstAt: lost.firstAt } : null;
  }

  /** A gap line that listed `listed` ids and counted `count` requests reached `file`. */
  accounted(file: string, listed: number, count: number): void {
    const lost = this.byFile.get(file);
    if (!lost) return;
    lost.ids = lost.ids.slice(listed);
    lost.count -= count;
    if (lost.count <= 0) this.byFile.delete(file);
  }
}
