// The WebSocket tap decoder against real frames: a `ws` client and server talk through a loopback TCP relay that
// records both directions' raw bytes; those bytes, split at random, must decode to exactly the messages sent —
// with and without permessage-deflate (context takeover on/off, a small window), masked and unmasked,
// fragmented, 7/16/64-bit lengths, ping/pong/close.
import { once } from 'node:events';
import net from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import {
  WsFrameDecoder,
  createWsTap,
  parsePerMessageDeflate,
  type WsControl,
  type WsMessage,
} from '../../src-main/recorder/ws-frames.js';

interface Capture {
  client: Buffer; // frames the client sent (after its HTTP request head)
  server: Buffer; // frames the server sent (after its 101 response head)
  extensions: string | null;
  sentByClient: (string | Buffer)[];
  sentByServer: (string | Buffer)[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function afterHead(b: Buffer): { head: string; rest: Buffer } {
  const i = b.indexOf('\r\n\r\n');
  return { head: b.subarray(0, i).toString('latin1'), rest: b.subarray(i + 4) };
}

const event = (i: number): string =>
  JSON.stringify({
    type: 'response.output_text.delta',
    sequence_number: i,
    item_id: 'msg_68af40417a8c8193',
    output_index: 1,
    content_index: 0,
    delta: `token ${i} — ✓ 完了 `,
  });

/** Runs a real exchange through a recording relay and returns the captured bytes. */
async function capture(deflate: PerMessageDeflateOptions | false): Promise<Capture> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
  await once(wss, 'listening');
  const wsPort = (wss.address() as net.AddressInfo).port;
  const fromClient: Buffer[] = [];
  const fromServer: Buffer[] = [];
  let relayClosed!: Promise<unknown>;
  const relay = net.createServer((down) => {
    const up = net.connect(wsPort, '127.0.0.1');
    down.on('data', (d: Buffer) => {
      fromClient.push(Buffer.from(d));
      up.write(d);
    });
    up.on('data', (d: Buffer) => {
      fromServer.push(Buffer.from(d));
      down.write(d);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    relayClosed = Promise.all([once(down, 'close'), once(up, 'close')]);
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  cleanups.push(
    () => new Promise<void>((r) => wss.close(() => r())),
    () => new Promise<void>((r) => relay.close(() => r())),
  );

  const big = 'x'.repeat(70_000) + 'ü'; // 64-bit length (uncompressed)
  const mid = event(1).repeat(5); // 16-bit length
  const bin = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
  const sentByClient: (string | Buffer)[] = [
    JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [] }),
    mid,
    big,
    bin,
    'frag-one|frag-two|frag-three',
    '',
  ];
  const sentByServer: (string | Buffer)[] = [
    event(0),
    event(0), // identical: with context takeover the second refers back into the first
    event(2),
    'server-a|server-b',
    big,
    JSON.stringify({ type: 'response.completed', response: { id: 'resp_1', status: 'completed' } }),
  ];

  const serverGot: (string | Buffer)[] = [];
  wss.on('connection', (sock) => {
    sock.on('message', (data: Buffer, isBinary: boolean) => {
      serverGot.push(isBinary ? Buffer.from(data) : data.toString('utf8'));
      if (serverGot.length < sentByClient.length) return;
      for (const m of sentByServer) {
        if (m === 'server-a|server-b') {
          sock.send('server-a|', { fin: false });
          sock.send('server-b', { fin: true });
        } else sock.send(m);
      }
    });
  });

  const client = new WebSocket(`ws://127.0.0.1:${(relay.address() as net.AddressInfo).port}/v1/responses`, {
    perMessageDeflate: deflate,
  });
  await once(client, 'open');
  const clientGot: (string | Buffer)[] = [];
  const allBack = new Promise<void>((resolve) =>
    client.on('message', (data: Buffer, isBinary: boolean) => {
      clientGot.push(isBinary ? Buffer.from(data) : data.toString('utf8'));
      if (clientGot.length === sentByServer.length) resolve();
    }),
  );
  client.ping(Buffer.from('are you there'));
  for (const m of sentByClient) {
    if (m === 'frag-one|frag-two|frag-three') {
      client.send('frag-one|', { fin: false });
      client.send('frag-two|', { fin: false });
      client.send('frag-three', { fin: true });
    } else client.send(m);
  }
  await allBack;
  client.close(1000, 'bye');
  await once(client, 'close');
  await relayClosed;

  // Sanity: ws itself saw what was sent, so the capture is a faithful recording of a real exchange.
  expect(serverGot).toEqual(sentByClient);
  expect(clientGot).toEqual(sentByServer);

  const c = afterHead(Buffer.concat(fromClient));
  const s = afterHead(Buffer.concat(fromServer));
  const ext = /^sec-websocket-extensions:\s*(.*)$/im.exec(s.head)?.[1]?.trim() ?? null;
  return { client: c.rest, server: s.rest, extensions: ext, sentByClient, sentByServer };
}

function splits(b: Buffer, seed: number): Buffer[] {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s / 0x7fffffff);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length;) {
    const n = seed === 0 ? 1 : 1 + Math.floor(rnd() * (seed % 2 ? 13 : 3000));
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

function decodeBoth(cap: Capture, seed: number) {
  const msgs: WsMessage[] = [];
  const controls: WsControl[] = [];
  const errors: string[] = [];
  const tap = createWsTap({
    extensions: cap.extensions,
    onMessage: (m) => msgs.push(m),
    onControl: (c) => controls.push(c),
    onError: (d, r) => errors.push(`${d}: ${r}`),
  });
  for (const c of splits(cap.client, seed)) tap.client.push(c);
  for (const c of splits(cap.server, seed + 1)) tap.server.push(c);
  const payload = (m: WsMessage): string | Buffer => (m.type === 'text' ? m.text! : m.data);
  return {
    client: msgs.filter((m) => m.direction === 'client').map(payload),
    server: msgs.filter((m) => m.direction === 'server').map(payload),
    compressed: msgs.map((m) => m.compressed),
    controls: controls.map(
      (c) => `${c.direction}:${c.type}:${c.closeCode ?? c.payload.toString()}:${c.closeReason ?? ''}`,
    ),
    errors,
  };
}

describe('WsFrameDecoder on real ws traffic', () => {
  const configs: [string, PerMessageDeflateOptions | false][] = [
    ['no compression', false],
    ['permessage-deflate with context takeover', { threshold: 0 }],
    [
      'permessage-deflate, no context takeover, 10-bit server window',
      { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10 },
    ],
  ];

  it.each(configs)(
    '%s: every split decodes to the messages sent, both directions',
    async (_name, deflate) => {
      const cap = await capture(deflate);
      if (deflate === false) expect(cap.extensions).toBeNull();
      else expect(parsePerMessageDeflate(cap.extensions)).not.toBeNull();
      for (const seed of [0, 1, 2, 3, 4, 7, 10]) {
        const d = decodeBoth(cap, seed);
        expect(d.errors).toEqual([]);
        expect(d.client).toEqual(cap.sentByClient);
        expect(d.server).toEqual(cap.sentByServer);
        if (deflate !== false) expect(d.compressed.some(Boolean)).toBe(true);
        // Directions are decoded one after the other here, so controls come grouped by direction.
        expect(d.controls).toEqual([
          'client:ping:are you there:',
          'client:close:1000:bye',
          'server:pong:are you there:',
          'server:close:1000:bye',
        ]);
      }
    },
  );
});

describe('WsFrameDecoder edge cases', () => {
  function frame(
    opcode: number,
    payload: Buffer,
    o: { fin?: boolean; mask?: boolean; rsv1?: boolean } = {},
  ): Buffer {
    const fin = o.fin ?? true;
    const len = payload.length;
    const head: number[] = [(fin ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode];
    const m = o.mask ? 0x80 : 0;
    if (len < 126) head.push(m | len);
    else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
    else {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(len));
      head.push(m | 127, ...b);
    }
    if (!o.mask) return Buffer.concat([Buffer.from(head), payload]);
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const masked = Buffer.from(payload.map((x, i) => x ^ key[i & 3]!));
    return Buffer.concat([Buffer.from(head), key, masked]);
  }

  function run(bytes: Buffer, deflate = false, maxMessageBytes?: number) {
    const msgs: WsMessage[] = [];
    const errors: [string, boolean][] = [];
    const d = new WsFrameDecoder({
      direction: 'server',
      deflate: deflate ? parsePerMessageDeflate('permessage-deflate')! : null,
      onMessage: (m) => msgs.push(m),
      onError: (r, f) => errors.push([r, f]),
      ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
    });
    for (const b of bytes) d.push(Buffer.from([b]));
    return { msgs, errors, d };
  }

  it('interleaves a control frame inside a fragmented message', () => {
    const bytes = Buffer.concat([
      frame(1, Buffer.from('he'), { fin: false, mask: true }),
      frame(9, Buffer.from('p'), { mask: true }),
      frame(0, Buffer.from('llo'), { mask: true }),
    ]);
    expect(run(bytes).msgs.map((m) => m.text)).toEqual(['hello']);
  });

  it('stops on protocol errors (continuation without start, RSV1 without deflate, long control frame)', () => {
    expect(run(frame(0, Buffer.from('x'))).errors).toEqual([['continuation frame without a message', true]]);
    expect(run(frame(1, Buffer.from('x'), { rsv1: true })).errors[0]![1]).toBe(true);
    const r = run(Buffer.concat([frame(9, Buffer.alloc(126)), frame(1, Buffer.from('after'))]));
    expect(r.errors[0]![1]).toBe(true);
    expect(r.msgs).toEqual([]);
    expect(r.d.failed).toMatch(/control frame/);
  });

  it('skips (and reports) a message over the size cap but stays in sync for the next one', () => {
    const r = run(
      Buffer.concat([frame(1, Buffer.alloc(5000, 0x61)), frame(1, Buffer.from('ok'))]),
      false,
      1000,
    );
    expect(r.msgs.map((m) => m.text)).toEqual(['ok']);
    expect(r.errors).toEqual([['message larger than 1000 bytes skipped', false]]);
  });

  it('reports a message that does not inflate and continues', () => {
    const good = deflateRawSync(Buffer.from('fine'), { finishFlush: 2 /* Z_SYNC_FLUSH */ }).subarray(0, -4);
    const r = run(
      Buffer.concat([
        frame(1, Buffer.from([0xff, 0xff, 0xff]), { rsv1: true }),
        frame(1, good, { rsv1: true }),
      ]),
      true,
    );
    expect(r.errors.length).toBe(1);
    expect(r.errors[0]![1]).toBe(false);
    expect(r.msgs.map((m) => m.text)).toEqual(['fine']);
  });

  it('ignores bytes after a close frame', () => {
    const r = run(Buffer.concat([frame(8, Buffer.from([0x03, 0xe8])), frame(1, Buffer.from('late'))]));
    expect(r.msgs).toEqual([]);
    expect(r.d.closed).toBe(true);
  });
});

describe('parsePerMessageDeflate', () => {
  it('reads the negotiated parameters', () => {
    expect(
      parsePerMessageDeflate('permessage-deflate; client_max_window_bits=12; server_no_context_takeover'),
    ).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 12,
    });
    expect(
      parsePerMessageDeflate(['x-other', 'permessage-deflate; server_max_window_bits="9"']),
    ).toMatchObject({
      serverMaxWindowBits: 9,
    });
    expect(parsePerMessageDeflate('x-webkit-deflate-frame')).toBeNull();
    expect(parsePerMessageDeflate(undefined)).toBeNull();
  });
});
