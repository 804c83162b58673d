// Composition root of the core: builds the proxy (and, in later layers, the recorder and UI server) from a
// resolved Config, and shuts them down in order. Plain Node: never imports electron.
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';

export interface CoreHandle {
  /** The proxy's actual listening address (port resolved when config.port was 0). */
  proxyUrl: string;
  port: number;
  /** Stop accepting, let in-flight streams finish for up to config.timeouts.shutdownGraceMs, then cut them. */
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`${host}:${port} is already in use by another program`);
  }
}

/** Start the core. Rejects with PortInUseError when the port is taken. Filled in by the proxy layer. */
export async function startCore(config: Config, logger: Logger): Promise<CoreHandle> {
  void config;
  void logger;
  throw new Error('not implemented yet');
}
