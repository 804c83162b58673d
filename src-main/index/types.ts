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
}
