// The configurations every fidelity test (byte-exact bodies both ways, unbuffered SSE, headers and statuses
// passed through) runs under: the proxy alone, and the proxy with recording and mask redaction on. Recording
// reads copies of the bytes; it must never change one, hold one back or slow a stream down.
import type { TestConfigOptions } from './config.js';

export interface FidelityMode {
  mode: string;
  options: TestConfigOptions;
}

export const FIDELITY_MODES: FidelityMode[] = [
  { mode: 'recording off', options: { recording: false } },
  { mode: 'recording and mask redaction on', options: { recording: true, redaction: { mode: 'mask' } } },
];
