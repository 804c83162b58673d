// Parent side of the benchmark's child processes: fork a child script with an IPC channel, wait for the port it
// announces, ask it for resource snapshots (CPU time, RSS, heap) and stop it. Children that outlive a crash of
// the parent exit on IPC disconnect (see child-ipc.js).
import { fork } from 'node:child_process';

/**
 * @param {string} script absolute path of the child module
 * @param {string[]} args
 * @param {{ execArgv?: string[], name: string }} opts
 */
export async function startChild(script, args, opts) {
  const child = fork(script, args, {
    execArgv: ['--expose-gc', ...(opts.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map();
  let exited = false;
  const exitPromise = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', () => {
    exited = true;
    for (const { reject } of pending.values()) reject(new Error(`${opts.name} exited`));
    pending.clear();
  });
  let ready = null;
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} did not start within 15 s`)), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited with code ${code} before it was ready`));
    });
    child.on('message', (msg) => {
      if (msg?.type === 'ready') {
        clearTimeout(timer);
        ready = msg;
        resolve(msg.port);
      } else if (msg?.type === 'snapshot') {
        pending.get(msg.id)?.resolve(msg);
        pending.delete(msg.id);
      }
    });
  });
  return {
    name: opts.name,
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    /** What the child announced besides its port (the LunaRoute child: its web UI's port and token). */
    info: ready,
    /** @returns {Promise<{cpu: {user:number, system:number}, rss:number, heapUsed:number, maxRss:number}>} */
    snapshot(gc = false) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ type: 'snapshot', id, gc });
      });
    },
    async stop() {
      if (exited) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitPromise;
      clearTimeout(timer);
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** CPU microseconds (user + system) between two snapshots. */
export function cpuDeltaUs(before, after) {
  return after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system);
}
