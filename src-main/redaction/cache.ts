// A small LRU (Map insertion order) bounded by entry count and by the UTF-16 size of the cached outputs. Keys are
// content hashes, so the cache never holds the raw input strings — only their already-redacted outputs.

export class LruCache<V> {
  readonly #map = new Map<string, { v: V; size: number }>();
  #bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.#map.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): V | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, e);
    return e.v;
  }

  set(key: string, v: V, size: number): void {
    if (this.maxEntries <= 0 || size > this.maxBytes) return;
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#bytes -= old.size;
      this.#map.delete(key);
    }
    this.#map.set(key, { v, size });
    this.#bytes += size;
    while (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#map.keys().next();
      if (oldest.done === true) break;
      const e = this.#map.get(oldest.value);
      if (e !== undefined) this.#bytes -= e.size;
      this.#map.delete(oldest.value);
    }
  }
}
