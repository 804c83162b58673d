// Where a test finds the index to read with the `sqlite3` CLI: the open partition of the partitioned index
// (src-main/index/partitions.ts), the newest `<dataDir>/index/part-NNNNNN.db`; small test data fits in one.
import fs from 'node:fs';
import path from 'node:path';

export function openPartitionFile(dataDir: string): string {
  const dir = path.join(dataDir, 'index');
  const parts = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((n) => /^part-\d+\.db$/.test(n))
        .sort()
    : [];
  return path.join(dir, parts[parts.length - 1] ?? 'part-000001.db');
}
