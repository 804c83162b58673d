// The index as the write path sees it: statements to run and a query call. A leaf module shared by the recorder
// (which produces statements) and the index (which runs them), so neither imports the other's internals.

export type SqlValue = string | number | null;

/** One parameterised SQL statement. */
export interface Stmt {
  sql: string;
  params: SqlValue[];
}

/** The index database, as the engine uses it. */
export interface IndexDb {
  run(stmts: Stmt[]): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: (string | number | null)[]): Promise<T[]>;
  /**
   * A partitioned index (partitions.ts): bring a session recorded in a closed partition into the open one before
   * its lines are indexed again, so `query` finds its rows.
   */
  claimSession?(id: string): Promise<void>;
  /** A partitioned index: a recorded request in any partition, newest first. */
  lookupRequest?(id: string): Promise<{ session_id: string; replay_of: string | null } | null>;
}
