// The opt-in memory log (LUNAROUTE_DEBUG_MEMORY): off unless asked, a sane period when asked, and it sees the
// sql.js WebAssembly heap that the soak benchmark attributes RSS growth to.
import { describe, expect, it } from 'vitest';
import {
  MEMORY_LOG_PREFIX,
  memoryLogPeriod,
  memorySnapshot,
  startMemoryLog,
  trackWasmMemories,
} from '../../src-main/debug-memory.js';

describe('memory log', () => {
  it('is off unless LUNAROUTE_DEBUG_MEMORY is set, and logs every 10 s by default or at a period ≥ 1 s', () => {
    expect(memoryLogPeriod({})).toBeNull();
    expect(memoryLogPeriod({ LUNAROUTE_DEBUG_MEMORY: '' })).toBeNull();
    expect(memoryLogPeriod({ LUNAROUTE_DEBUG_MEMORY: '0' })).toBeNull();
    expect(memoryLogPeriod({ LUNAROUTE_DEBUG_MEMORY: '1' })).toBe(10_000);
    expect(memoryLogPeriod({ LUNAROUTE_DEBUG_MEMORY: '2500' })).toBe(2500);
    expect(memoryLogPeriod({ LUNAROUTE_DEBUG_MEMORY: '50' })).toBe(10_000);
  });

  it('counts the sql.js heap once tracking started before the module loaded', async () => {
    trackWasmMemories();
    const { openIndex } = await import('../../src-main/index/db.js');
    const { db } = await openIndex(null);
    const snap = memorySnapshot('test');
    expect(snap.thread).toBe('test');
    expect(snap.wasm).toEqual([expect.any(Number)]);
    expect((snap.wasm as number[])[0]).toBeGreaterThan(1 << 20);
    await db.close();
  });

  it('writes one prefixed JSON line at start and none once stopped when off', () => {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (lines.push(chunk), true)) as typeof process.stderr.write;
    try {
      startMemoryLog('main', 60_000)();
      startMemoryLog('main', null)();
    } finally {
      process.stderr.write = write;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(MEMORY_LOG_PREFIX)).toBe(true);
    const json = JSON.parse(lines[0]!.slice(MEMORY_LOG_PREFIX.length)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(['rss', 'heapUsed', 'external', 'arrayBuffers', 'wasm']),
    );
  });
});
