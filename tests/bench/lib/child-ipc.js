// Child-process side of the benchmark's IPC: announce the listening port, answer resource snapshots
// (process.cpuUsage, memory, max RSS) and GC requests from the load generator, and shut down on request.
// Every benchmark child (upstream, LunaRoute, bare http-proxy) uses it so the parent treats them alike.

/** @param {{ port: number, stop: () => Promise<void> | void, info?: object }} opts `info` rides on the ready message. */
export function serveIpc({ port, stop, info }) {
  if (!process.send) throw new Error('benchmark children must be started with an IPC channel (fork)');
  process.on('message', (msg) => {
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'snapshot') {
      if (msg.gc && typeof globalThis.gc === 'function') globalThis.gc();
      const mem = process.memoryUsage();
      process.send({
        type: 'snapshot',
        id: msg.id,
        cpu: process.cpuUsage(),
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        maxRss: process.resourceUsage().maxRSS * 1024,
      });
    } else if (msg.type === 'stop') {
      Promise.resolve(stop()).finally(() => {
        process.disconnect();
        process.exit(0);
      });
    }
  });
  // If the parent dies, do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port, ...info });
}
