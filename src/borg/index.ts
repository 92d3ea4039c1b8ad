/**
 * `jobhooks/borg`: BorgBackup as main tasks of a job — `borgCreate`, `borgPrune`, `borgCompact`,
 * `borgCheck` — over the real `borg` binary, with live progress, archive stats and honest exit codes.
 *
 * @packageDocumentation
 */
export { borgCreate, type BorgArchiveStats, type BorgCreateData } from './create.js';
export { borgPrune, type BorgKeptArchive, type BorgPrunedArchive, type BorgPruneData } from './prune.js';
export { borgCompact } from './compact.js';
export { borgCheck } from './check.js';
export { describeBorgExitCode, type BorgExitCode, type BorgExitKind } from './exit-codes.js';
export type { BorgArchiveProgress, BorgMessageProgress, BorgPercentProgress, BorgProgress } from './output.js';
export type { BorgDataBase } from './run.js';
export {
  type BorgCheckOptions,
  type BorgCommonOptions,
  type BorgCompactOptions,
  type BorgCreateOptions,
  type BorgKeepRules,
  type BorgPruneOptions,
} from './options.js';
