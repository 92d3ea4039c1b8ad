import { constants } from 'node:os';

/**
 * What one of borg's exit codes means for a task: `warning` completes it with `warning: true`.
 *
 * @example
 * ```ts
 * if (describeBorgExitCode(code).kind === 'warning') console.log('backup incomplete')
 * ```
 */
export type BorgExitKind = 'success' | 'warning' | 'error' | 'signal';

/**
 * One of borg's exit codes, explained by {@link describeBorgExitCode}.
 *
 * @example
 * ```ts
 * const explained: BorgExitCode = { code: 52, kind: 'error', name: 'PassphraseWrong', signal: null }
 * ```
 */
export interface BorgExitCode {
  readonly code: number;
  readonly kind: BorgExitKind;
  /** borg's name for it (`PassphraseWrong`, `BackupFileNotFoundError`), when it has one. */
  readonly name: string | null;
  /** For codes 128 + N: the signal N's name (`SIGTERM`). */
  readonly signal: string | null;
}

// borg ≥ 1.4 with BORG_EXIT_CODES=modern (the default of borg 2): one code per error or warning,
// from borg's "Message IDs" list. Codes not listed fall back to their range.
const NAMES: Readonly<Record<number, string>> = {
  3: 'CancelledByUser',
  4: 'CommandError',
  5: 'PlaceholderError',
  6: 'InvalidPlaceholder',
  10: 'Repository.AlreadyExists',
  12: 'Repository.CheckNeeded',
  13: 'Repository.DoesNotExist',
  14: 'Repository.InsufficientFreeSpaceError',
  15: 'Repository.InvalidRepository',
  16: 'Repository.InvalidRepositoryConfig',
  17: 'Repository.ObjectNotFound',
  18: 'Repository.ParentPathDoesNotExist',
  19: 'Repository.PathAlreadyExists',
  21: 'Repository.PathPermissionDenied',
  25: 'MandatoryFeatureUnsupported',
  26: 'NoManifestError',
  27: 'UnsupportedManifestError',
  30: 'Archive.AlreadyExists',
  31: 'Archive.DoesNotExist',
  32: 'Archive.IncompatibleFilesystemEncodingError',
  40: 'KeyfileInvalidError',
  41: 'KeyfileMismatchError',
  42: 'KeyfileNotFoundError',
  43: 'NotABorgKeyFile',
  44: 'RepoKeyNotFoundError',
  45: 'RepoIdMismatch',
  46: 'UnencryptedRepo',
  47: 'UnknownKeyType',
  48: 'UnsupportedPayloadError',
  49: 'UnsupportedKeyFormatError',
  50: 'NoPassphraseFailure',
  51: 'PasscommandFailure',
  52: 'PassphraseWrong',
  53: 'PasswordRetriesExceeded',
  60: 'Cache.CacheInitAbortedError',
  61: 'Cache.EncryptionMethodMismatch',
  62: 'Cache.RepositoryAccessAborted',
  63: 'Cache.RepositoryIDNotUnique',
  64: 'Cache.RepositoryReplay',
  70: 'LockError',
  71: 'LockErrorT',
  72: 'LockFailed',
  73: 'LockTimeout',
  74: 'NotLocked',
  75: 'NotMyLock',
  80: 'ConnectionClosed',
  81: 'ConnectionClosedWithHint',
  82: 'InvalidRPCMethod',
  83: 'PathNotAllowed',
  84: 'RemoteRepository.RPCServerOutdated',
  85: 'UnexpectedRPCDataFormatFromClient',
  86: 'UnexpectedRPCDataFormatFromServer',
  87: 'ConnectionBrokenWithHint',
  90: 'IntegrityError',
  91: 'FileIntegrityError',
  92: 'DecompressionError',
  100: 'FileChangedWarning',
  101: 'IncludePatternNeverMatchedWarning',
  102: 'BackupError',
  103: 'BackupRaceConditionError',
  104: 'BackupOSError',
  105: 'BackupPermissionError',
  106: 'BackupIOError',
  107: 'BackupFileNotFoundError',
};

const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as const),
);

/**
 * Explains one of borg's exit codes: 0 success; 1 and 100–127 warnings (the operation reached its
 * end); 2 and 3–99 errors; 128 + N terminated by signal N (`143`: SIGTERM).
 *
 * Codes 3–99 and 100–127 come from borg ≥ 1.4 with `BORG_EXIT_CODES=modern`; borg 1.2 only uses 0, 1, 2
 * and 128 + N. Anything else (negative, above 255) is an error.
 *
 * @example
 * ```ts
 * describeBorgExitCode(107) // { code: 107, kind: 'warning', name: 'BackupFileNotFoundError', signal: null }
 * describeBorgExitCode(143) // { code: 143, kind: 'signal', name: null, signal: 'SIGTERM' }
 * ```
 */
export function describeBorgExitCode(code: number): BorgExitCode {
  const name = NAMES[code] ?? null;
  if (code === 0) return { code, kind: 'success', name: null, signal: null };
  if (code === 1 || (code >= 100 && code <= 127)) return { code, kind: 'warning', name, signal: null };
  if (code >= 128 && code <= 255) return { code, kind: 'signal', name: null, signal: SIGNAL_NAMES.get(code - 128) ?? `signal ${code - 128}` };
  return { code, kind: 'error', name, signal: null };
}

/**
 * borg's errors worth another attempt when a task has `retries` (docs/borg.md): the repository lock was
 * held too long, or the connection to a remote repository dropped. Any other failure is not retried.
 */
export const RETRYABLE_BORG_ERRORS: ReadonlySet<string> = new Set(['LockTimeout', 'LockFailed', 'LockError', 'LockErrorT', 'ConnectionClosed', 'ConnectionClosedWithHint', 'ConnectionBrokenWithHint']);
