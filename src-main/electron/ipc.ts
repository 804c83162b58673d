// The main-process side of the contract over IPC: one ipcMain.handle per call (channel names and argument
// schemas from src-shared/contract.ts, the same dispatcher as the headless HTTP API), the "renderer is ready"
// signal, and the queue that holds pushed events until then.
//
// Threat model: IPC is reachable by any frame of any webContents in this process — a subframe, a page that
// navigated away (navigation is denied, but defence in depth), a devtools extension. Every call therefore
// (1) checks the sender: our window's webContents, its main frame, on our lunaroute://app origin; anything else
// gets `forbidden` and is logged; (2) caps the payload size and parses the arguments with the contract's schema
// (dispatchCall), never casting; (3) answers a CallResponse ({ok, value} / {ok:false, error}) rather than
// throwing, so no stack trace crosses into the renderer.
import {
  CALL_NAMES,
  IPC_EVENTS_CHANNEL,
  IPC_READY_CHANNEL,
  IPC_SAVE_CHANNEL,
  SaveFileSchema,
  dispatchCall,
  ipcCallChannel,
  parseEvent,
  type CallHandlers,
  type CallResponse,
  type SaveFile,
  type UiEvent,
} from '../../src-shared/contract.js';
import { CONTRACT_ERROR_CODES, isLunaRouteError, LunaRouteError } from '../../src-shared/errors.js';
import type { Logger } from '../log.js';
import { isAppUrl } from './protocol.js';

/** What the sender check reads from an IpcMainEvent / IpcMainInvokeEvent. */
export interface IpcSenderInfo {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

/** The part of ipcMain the handlers use. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcSenderInfo, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcSenderInfo, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcSenderInfo, ...args: unknown[]) => void): unknown;
}

/** Same cap as the headless API's request body. */
export const MAX_IPC_ARGS_BYTES = 1024 * 1024;

/** Our window's main frame on our origin, and nothing else. */
export function isTrustedSender(event: IpcSenderInfo, windowWebContentsId: number | null): boolean {
  if (windowWebContentsId === null || event.sender.id !== windowWebContentsId) return false;
  const frame = event.senderFrame;
  // A frame that is gone (navigated or destroyed since it sent) is null: refuse.
  if (!frame || frame.parent !== null) return false;
  return isAppUrl(frame.url);
}

function argsTooBig(raw: unknown): boolean {
  try {
    return (JSON.stringify(raw) ?? '').length > MAX_IPC_ARGS_BYTES;
  } catch {
    return true; // cycles, BigInt…: not JSON-shaped, not ours
  }
}

export interface IpcOptions {
  ipcMain: IpcMainLike;
  handlers: CallHandlers;
  /** The webContents id of the LunaRoute window now (null while there is none). */
  windowId: () => number | null;
  /** The renderer said it listens (its pushes may flow now). */
  onReady: () => void;
  /** Save an export where the user chooses (native dialog); resolves to the path, or null if cancelled. */
  saveFile?: (file: SaveFile) => Promise<string | null>;
  logger: Logger;
}

/** Register every call's handler and the ready signal; returns the function that removes them. */
export function registerIpc(o: IpcOptions): () => void {
  let refused = 0;
  const refuse = (what: string, e: IpcSenderInfo): CallResponse => {
    if (refused++ < 20)
      o.logger.warn(`IPC ${what} refused from ${e.senderFrame?.url ?? 'a destroyed frame'}`);
    return { ok: false, error: { code: 'forbidden', message: 'not allowed from this frame' } };
  };
  for (const name of CALL_NAMES) {
    o.ipcMain.handle(ipcCallChannel(name), async (event, raw) => {
      if (!isTrustedSender(event, o.windowId())) return refuse(name, event);
      if (argsTooBig(raw)) {
        return { ok: false, error: { code: 'bad_args', message: `${name}: arguments too large` } };
      }
      try {
        return { ok: true, value: await dispatchCall(o.handlers, name, raw) } satisfies CallResponse;
      } catch (err) {
        const e = isLunaRouteError(err, CONTRACT_ERROR_CODES)
          ? err
          : new LunaRouteError('failed', String(err));
        if (e.code === 'failed' || e.code === 'bad_result') o.logger.error(`IPC call ${e.message}`);
        return { ok: false, error: { code: e.code, message: e.message } } satisfies CallResponse;
      }
    });
  }
  const onReady = (event: IpcSenderInfo): void => {
    if (isTrustedSender(event, o.windowId())) o.onReady();
    else refuse('ready', event);
  };
  o.ipcMain.on(IPC_READY_CHANNEL, onReady);
  o.ipcMain.handle(IPC_SAVE_CHANNEL, async (event, raw) => {
    if (!isTrustedSender(event, o.windowId())) return refuse('save', event);
    let file: SaveFile;
    try {
      file = SaveFileSchema.parse(raw, 'file');
    } catch (err) {
      return {
        ok: false,
        error: { code: 'bad_args', message: `save: ${(err as Error).message}` },
      } satisfies CallResponse;
    }
    if (!o.saveFile)
      return {
        ok: false,
        error: { code: 'failed', message: 'saving files is not available' },
      } satisfies CallResponse;
    try {
      return { ok: true, value: await o.saveFile(file) } satisfies CallResponse;
    } catch (err) {
      return {
        ok: false,
        error: { code: 'failed', message: `could not save ${file.filename}: ${(err as Error).message}` },
      } satisfies CallResponse;
    }
  });
  return () => {
    o.ipcMain.removeHandler(IPC_SAVE_CHANNEL);
    for (const name of CALL_NAMES) o.ipcMain.removeHandler(ipcCallChannel(name));
    o.ipcMain.removeListener(IPC_READY_CHANNEL, onReady);
  };
}

/**
 * Pushed events for the window: parsed with the contract, batched per event-loop turn, held until the
 * renderer says it is ready (a push before its listener exists would be lost), bounded while held.
 */
export class EventQueue {
  private held: UiEvent[] = [];
  private batch: UiEvent[] = [];
  private scheduled = false;
  private isReady = false;
  private dropped = 0;

  constructor(
    /** Sends one batch to the window (webContents.send(IPC_EVENTS_CHANNEL, batch)). */
    private readonly send: (channel: string, batch: UiEvent[]) => void,
    private readonly logger: Logger,
    private readonly maxHeld = 1000,
  ) {}

  get ready(): boolean {
    return this.isReady;
  }

  push(raw: unknown): void {
    let e: UiEvent;
    try {
      e = parseEvent(raw);
    } catch (err) {
      if (this.dropped++ < 5) this.logger.error(`window event dropped: ${(err as Error).message}`);
      return;
    }
    if (!this.isReady) {
      this.held.push(e);
      if (this.held.length > this.maxHeld) this.held.shift();
      return;
    }
    this.batch.push(e);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The renderer listens: send what was held, then stream. */
  markReady(): void {
    this.isReady = true;
    const held = this.held;
    this.held = [];
    if (held.length) this.send(IPC_EVENTS_CHANNEL, held);
  }

  /** The window is gone or reloading: hold again (and forget what a dead renderer would have received). */
  reset(): void {
    this.isReady = false;
    this.held = [];
    this.batch = [];
  }

  private flush(): void {
    this.scheduled = false;
    const b = this.batch;
    this.batch = [];
    if (b.length && this.isReady) this.send(IPC_EVENTS_CHANNEL, b);
  }
}
