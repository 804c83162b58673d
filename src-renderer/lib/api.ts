// The renderer's only door to the core, derived from the contract: `call(name, args)` with typed arguments and
// results (arguments parsed before sending, results parsed on arrival, never cast) and `subscribe` for pushed
// event batches. The only module that knows which transport it runs on: the Electron preload bridge when
// present (window.lunaroute), else the headless server's HTTP API and event stream with the page's token.
import {
  BRIDGE_KEY,
  HTTP_CALL_PREFIX,
  HTTP_EVENTS_PATH,
  TOKEN_HEADER,
  TOKEN_META,
  parseArgs,
  parseEvent,
  parseResult,
  type CallArgs,
  type CallName,
  type CallResponse,
  type CallResult,
  type LunarouteBridge,
  type UiEvent,
} from '../../src-shared/contract.js';
import { LunaRouteError } from '../../src-shared/errors.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

interface Transport {
  call(name: CallName, args: unknown): Promise<unknown>;
  /** Raw event batches; `onState` reports the connection. Returns an unsubscribe function. */
  subscribe(onBatch: (raw: unknown[]) => void, onState: (s: ConnectionState) => void): () => void;
}

function bridgeTransport(bridge: LunarouteBridge): Transport {
  return {
    call: (name, args) => bridge.calls[name](args),
    subscribe(onBatch, onState) {
      const off = bridge.onEvents(onBatch);
      bridge.ready();
      onState('open');
      return off;
    },
  };
}

function httpTransport(): Transport {
  const token = document.querySelector<HTMLMetaElement>(`meta[name="${TOKEN_META}"]`)?.content ?? '';
  return {
    async call(name, args) {
      const res = await fetch(HTTP_CALL_PREFIX + name, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
        body: JSON.stringify(args),
        cache: 'no-store',
      });
      let body: CallResponse;
      try {
        body = (await res.json()) as CallResponse;
      } catch {
        throw new LunaRouteError('failed', `${name}: the server answered ${res.status} without JSON`);
      }
      if (!body || typeof body !== 'object' || !('ok' in body)) {
        throw new LunaRouteError('failed', `${name}: unexpected answer`);
      }
      if (!body.ok)
        throw new LunaRouteError(
          body.error.code === 'forbidden' ? 'failed' : body.error.code,
          body.error.message,
        );
      return body.value;
    },
    subscribe(onBatch, onState) {
      const es = new EventSource(`${HTTP_EVENTS_PATH}?token=${encodeURIComponent(token)}`);
      onState('connecting');
      es.onopen = () => onState('open');
      es.onerror = () => onState('reconnecting');
      es.onmessage = (m: MessageEvent<string>) => {
        try {
          const batch: unknown = JSON.parse(m.data);
          if (Array.isArray(batch)) onBatch(batch);
        } catch {
          console.error('LunaRoute: an event frame was not JSON');
        }
      };
      return () => es.close();
    },
  };
}

function pickTransport(): Transport {
  const bridge = (globalThis as Record<string, unknown>)[BRIDGE_KEY] as LunarouteBridge | undefined;
  return bridge && typeof bridge === 'object' && 'calls' in bridge
    ? bridgeTransport(bridge)
    : httpTransport();
}

let transport: Transport | null = null;
const t = (): Transport => (transport ??= pickTransport());

/** Call the core. Throws LunaRouteError (a contract code) with a readable message on any failure. */
export async function call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
  const parsed = parseArgs(name, args);
  return parseResult(name, await t().call(name, parsed));
}

/** Receive pushed events (already parsed; an invalid one is reported and skipped). */
export function subscribe(
  onEvents: (events: UiEvent[]) => void,
  onState: (s: ConnectionState) => void,
  onInvalid: (message: string) => void = (m) => console.error(m),
): () => void {
  return t().subscribe((raw) => {
    const events: UiEvent[] = [];
    for (const r of raw) {
      try {
        events.push(parseEvent(r));
      } catch (err) {
        onInvalid((err as Error).message);
      }
    }
    if (events.length) onEvents(events);
  }, onState);
}

/** Save an exported file: the browser downloads it (Electron's bridge will show a save dialog instead). */
/**
 * Save an export: the native save dialog in Electron (through the bridge), a download in the browser.
 * Resolves to the saved path in Electron (null when the user cancelled), and to null in the browser.
 */
export async function saveFile(file: {
  filename: string;
  mime: string;
  content: string;
}): Promise<string | null> {
  const bridge = (globalThis as Record<string, unknown>)[BRIDGE_KEY] as LunarouteBridge | undefined;
  if (bridge) return bridge.saveFile(file);
  const url = URL.createObjectURL(new Blob([file.content], { type: file.mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return null;
}
