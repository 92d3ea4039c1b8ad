/**
 * What `dist/cli-commands.cjs` exports: every command of the CLI, with zod, yaml and the engine bundled
 * into one CommonJS file that `main.ts` loads only for a command that needs it, through V8's code cache
 * (docs/performance.md, "CLI start-up").
 *
 * @internal
 */
export { historyCommand, planCommand, recoverCommand, runCommand, schemaCommand, validateCommand } from './commands.js';
export { queueCommand } from './queue.js';
