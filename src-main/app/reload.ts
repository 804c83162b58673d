// A valid edit of config.yaml, applied to a running core: what can change live is changed (the redaction policy;
// recording on/off unless the user chose in the tray or window, which wins), and the keys that only a restart
// applies are named. Shared by the desktop app and headless `lunaroute serve`.
import type { Config } from '../config/types.js';
import { restartNeeded } from '../config/watch.js';
import type { CoreHandle } from './core.js';

export interface ConfigEditResult {
  /** The config now in force (the saved redaction choice kept over the file's). */
  config: Config;
  /** Config keys (as written in config.yaml) that changed but need a restart. */
  restart: string[];
  /** What changed live, for the log ("redaction", "recording"). */
  applied: string[];
}

export function applyConfigEdit(
  core: Pick<CoreHandle, 'settings' | 'uiState' | 'recorder'>,
  prev: Config,
  next: Config,
): ConfigEditResult {
  const persisted = core.settings.get();
  const redaction = { ...next.redaction, mode: persisted.redaction_mode ?? next.redaction.mode };
  const applied: string[] = [];
  if (JSON.stringify(redaction) !== JSON.stringify(prev.redaction)) {
    core.uiState.reloadRedaction(redaction);
    applied.push('redaction');
  }
  if (persisted.recording === undefined && next.recording.enabled !== core.recorder.client.enabled) {
    core.recorder.client.enabled = next.recording.enabled;
    applied.push('recording');
  }
  return { config: { ...next, redaction }, restart: restartNeeded(prev, next), applied };
}
