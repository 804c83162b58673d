// The object the preload exposes as `window.lunaroute`, built from the contract's CALL_NAMES so the renderer
// gets exactly one intent-level function per call and never ipcRenderer itself. Kept apart from preload.ts
// (which only wires it to contextBridge) so it is unit-tested with a stand-in ipcRenderer.
import {
  CALL_NAMES,
  IPC_EVENTS_CHANNEL,
  IPC_READY_CHANNEL,
  IPC_SAVE_CHANNEL,
  ipcCallChannel,
  type CallName,
  type CallResponse,
  type LunarouteBridge,
} from '../../src-shared/contract.js';

/** The part of ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

function unwrap(name: CallName, raw: unknown): unknown {
  const r = raw as CallResponse | null;
  if (!r || typeof r !== 'object' || typeof r.ok !== 'boolean') throw new Error(`${name}: unexpected answer`);
  if (r.ok) return r.value;
  // contextBridge copies only an Error's message across worlds: put the code in it.
  throw new Error(`${r.error.code}: ${r.error.message}`);
}

export function buildBridge(ipc: IpcRendererLike): LunarouteBridge {
  const calls = Object.fromEntries(
    CALL_NAMES.map((name) => [
      name,
      async (args: unknown) => unwrap(name, await ipc.invoke(ipcCallChannel(name), args)),
    ]),
  ) as LunarouteBridge['calls'];
  return {
    calls,
    onEvents(listener) {
      // The IpcRendererEvent (with its sender) never reaches the page: only the batch does.
      const wrapped = (_event: unknown, batch: unknown): void => {
        if (Array.isArray(batch)) listener(batch);
      };
      ipc.on(IPC_EVENTS_CHANNEL, wrapped);
      return () => void ipc.removeListener(IPC_EVENTS_CHANNEL, wrapped);
    },
    ready() {
      ipc.send(IPC_READY_CHANNEL);
    },
    async saveFile(file) {
      return unwrap('export', await ipc.invoke(IPC_SAVE_CHANNEL, file)) as string | null;
    },
  };
}
