import type { StoreWriter } from '../store/writer.js';
import type { SystemId } from '../model.js';

/** Reports progress of a long step; the CLI draws a bar, tests and servers may stay silent. */
export interface Progress {
  phase(label: string, total: number): { tick(n?: number): void; done(): void };
  log(message: string): void;
}

export const silentProgress: Progress = {
  phase: () => ({ tick() {}, done() {} }),
  log() {},
};

export interface ImportContext {
  writer: StoreWriter;
  progress: Progress;
  /** Check a file against the data manifest when it is one of the bundled files (no-op otherwise). */
  verify(file: string): Promise<void>;
}

/** What an importer reports: the printed one-line summary is made from it. */
export interface ImportSummary {
  system: SystemId;
  version: string;
  imported: Record<string, number>;
  skipped: Record<string, number>;
  files: string[];
}

/**
 * One importer per official format family. `claim` picks, from the files given to `import`, those this
 * importer reads (by official file name or by sniffing content); `run` reads them into the writer.
 */
export interface Importer {
  id: string;
  systems: SystemId[];
  describe: string;
  claim(file: string): Promise<boolean>;
  run(files: string[], ctx: ImportContext): Promise<ImportSummary[]>;
}
