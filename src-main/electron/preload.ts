// Preload of the LunaRoute window (sandboxed, context-isolated): exposes the contract's calls as
// `window.lunaroute` through contextBridge. Bundled to CommonJS (preload.cjs) by scripts/build-preload.js,
// because a sandboxed preload can require nothing but electron.
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_KEY } from '../../src-shared/contract.js';
import { buildBridge } from './bridge.js';

contextBridge.exposeInMainWorld(BRIDGE_KEY, buildBridge(ipcRenderer));
