// How the proxy's thread hands exchange messages to the recorder worker: after a quiet spell the first message
// is posted at the end of its own event-loop turn (no added delay), while under load the messages of the next
// 2 ms join one post, in order, their chunks packed into one transferred buffer.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RecorderClient, type WorkerPort } from '../../src-main/recorder/client.js';
import type { ToWorker } from '../../src-main/recorder/protocol.js';
import { exchangeStart as start } from '../support/exchange-messages.js';

class CountingPort extends EventEmitter implements WorkerPort {
  readonly posts: { batch: ToWorker[]; transfer: ArrayBuffer[]; at: number }[] = [];
  postMessage(batch: ToWorker[], transfer: ArrayBuffer[] = []): void {
    this.posts.push({ batch, transfer, at: performance.now() });
  }
  terminate(): Promise<number> {
    return Promise.resolve(0);
  }
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('recorder client posting', () => {
  it('posts the first message after a quiet spell at the end of its turn', async () => {
    const port = new CountingPort();
    const client = new RecorderClient(port);
    const tap = client.open(start('a'))!;
    tap.requestData!(Buffer.from('{"x":1}'));
    expect(port.posts).toHaveLength(0);
    await nextTurn();
    expect(port.posts).toHaveLength(1);
    expect(port.posts[0]!.batch.map((m) => m.t)).toEqual(['open', 'rq']);
    expect(port.posts[0]!.transfer).toHaveLength(1);
  });

  it('joins what follows within 2 ms into one post, in order, with every byte', async () => {
    const port = new CountingPort();
    const client = new RecorderClient(port, { minPostIntervalMs: 2 });
    const sent: string[] = [];
    // 40 exchanges over consecutive turns, as sequential requests under load arrive.
    for (let i = 0; i < 40; i++) {
      const id = `x${i}`;
      const tap = client.open(start(id))!;
      const body = `{"n":${i}}`;
      sent.push(body);
      tap.requestData!(Buffer.from(body));
      tap.requestEnd!();
      await nextTurn();
    }
    await new Promise((r) => setTimeout(r, 10));
    // Far fewer posts than the 40 turns, each at least ~2 ms after the one before (timers may fire early by <1 ms).
    expect(port.posts.length).toBeLessThan(40);
    for (let i = 1; i < port.posts.length; i++)
      expect(port.posts[i]!.at - port.posts[i - 1]!.at).toBeGreaterThanOrEqual(1);
    const messages = port.posts.flatMap((p) => p.batch);
    expect(messages.filter((m) => m.t === 'open').map((m) => m.id)).toEqual(
      Array.from({ length: 40 }, (_, i) => `x${i}`),
    );
    const bodies = messages.flatMap((m) => (m.t === 'rq' ? [Buffer.from(m.c).toString()] : []));
    expect(bodies).toEqual(sent);
  });

  it('posts a message a caller waits on (flush) in its own turn, even inside the interval', async () => {
    const port = new CountingPort();
    const client = new RecorderClient(port, { minPostIntervalMs: 10_000 });
    client.open(start('a'));
    await nextTurn();
    expect(port.posts).toHaveLength(1);
    client.open(start('b'));
    await nextTurn();
    expect(port.posts).toHaveLength(1); // held: inside the interval
    void client.flush();
    await nextTurn();
    expect(port.posts).toHaveLength(2);
    expect(port.posts[1]!.batch.map((m) => m.t)).toEqual(['open', 'flush']);
  });
});
