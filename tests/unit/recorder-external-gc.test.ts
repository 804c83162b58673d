// The recorder worker collects garbage itself once array buffers have grown by a step since its last collection,
// when it has been idle for a while (src-main/recorder/external-gc.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { startExternalGc } from '../../src-main/recorder/external-gc.js';

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startExternalGc', () => {
  it('calls gc once array buffers grew by the step, and not while they stay below it', async () => {
    let calls = 0;
    const held: ArrayBuffer[] = [];
    stops.push(startExternalGc(() => void calls++, { stepBytes: 8 * 2 ** 20, everyMs: 20 }));
    held.push(new ArrayBuffer(2 * 2 ** 20));
    await tick(80);
    expect(calls).toBe(0);
    held.push(new ArrayBuffer(10 * 2 ** 20));
    await tick(80);
    // Collected once; the buffers are still held, so the new floor is where they are and no second call follows.
    expect(calls).toBe(1);
    await tick(80);
    expect(calls).toBe(1);
    expect(held.reduce((n, b) => n + b.byteLength, 0)).toBe(12 * 2 ** 20);
  });

  it('waits until the worker has been idle for the idle time: never while work keeps coming', async () => {
    let calls = 0;
    let busyAt = performance.now();
    const held: ArrayBuffer[] = [];
    const busy = setInterval(() => (busyAt = performance.now()), 10);
    stops.push(() => clearInterval(busy));
    stops.push(
      startExternalGc(() => void calls++, {
        stepBytes: 8 * 2 ** 20,
        everyMs: 20,
        idleMs: 100,
        lastBusyAt: () => busyAt,
      }),
    );
    held.push(new ArrayBuffer(10 * 2 ** 20));
    await tick(300);
    expect(calls).toBe(0);
    clearInterval(busy);
    await tick(300);
    expect(calls).toBe(1);
    expect(held[0]!.byteLength).toBe(10 * 2 ** 20);
  });
});
