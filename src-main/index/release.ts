// Large buffers of the index given back to the system as soon as they are done with (see releaseNow), rather than
// left for V8's next full garbage collection.
/**
 * Give the memory of a large buffer that nothing else holds back now (an export once written, a reserve once
 * sql.js has copied it into its file system): V8 frees a dead ArrayBuffer only at a full GC. Partition
 * roll-overs and checkpoints made 8-17 MB of them each, which set off the recorder worker's collection
 * (external-gc.ts) every second or two under load, and each such forced collection threw away the optimised
 * code of the whole recording path. Only a buffer the view covers whole is released (never a slice of Node's
 * Buffer pool or sql.js's heap). Never pass a Buffer sql.js was given: Buffer#slice is a view, so its file
 * system keeps the Buffer itself as the file.
 */
export function releaseNow(bytes: Uint8Array): void {
  const buf = bytes.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (bytes.byteOffset === 0 && bytes.byteLength === buf.byteLength && typeof buf.transfer === 'function')
    buf.transfer(0);
}
