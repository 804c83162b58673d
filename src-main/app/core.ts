// Composition root of the core: builds the proxy (and, in later layers, the recorder and UI server) from a
// resolved Config, and shuts them down in order. Plain Node: never imports electron.
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { startProxyServer, PortInUseError, type ProxyServer } from '../proxy/server.js';
import { CodexAuthFile } from '../proxy/auth.js';
import { VERSION } from '../version.js';

export { PortInUseError };

export interface CoreHandle {
  /** The proxy's actual listening address (port resolved when config.port was 0). */
  proxyUrl: string;
  port: number;
  proxy: ProxyServer;
  /** Stop accepting, let in-flight streams finish for up to config.timeouts.shutdownGraceMs, then cut them. */
  stop(): Promise<void>;
}

/** Start the core. Rejects with PortInUseError when the port is taken. */
export async function startCore(config: Config, logger: Logger): Promise<CoreHandle> {
  const codex = config.codex.useAuthFile ? new CodexAuthFile(config.codex.authFile, logger) : null;
  await codex?.start();
  let proxy: ProxyServer;
  try {
    proxy = await startProxyServer({
      config,
      logger,
      version: VERSION,
      codexLogin: codex ? () => codex.current() : undefined,
    });
  } catch (err) {
    await codex?.close();
    throw err;
  }
  let stopping: Promise<void> | null = null;
  return {
    proxyUrl: proxy.url,
    port: proxy.port,
    proxy,
    stop() {
      stopping ??= (async () => {
        await proxy.close(config.timeouts.shutdownGraceMs);
        await codex?.close();
      })();
      return stopping;
    },
  };
}
