import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { ConfigSchemas } from '../../src/cli/schema.js';
import type { BorgCheckOptions, BorgCompactOptions, BorgCreateOptions, BorgKeepRules, BorgPruneOptions } from '../../src/borg/index.js';
import type {
  CommandTaskOptions,
  ConsoleNotifierOptions,
  DiscordNotifierOptions,
  HealthchecksNotifierOptions,
  HookConfig,
  JobPipelineOptions,
  NtfyNotifierOptions,
  PipelineDefaults,
  PushoverNotifierOptions,
  Repository,
  TelegramNotifierOptions,
  WebhookNotifierOptions,
} from '../../src/index.js';

// Type tests: run by vitest's typecheck mode (vitest.config.ts), so a wrong type fails `npm test`.
describe('the config file schema follows the API it maps onto', () => {
  type S = ConfigSchemas;
  type Entry<U, T> = Omit<Extract<U, { type: T }>, 'type'>;
  type Notifier<T> = Entry<z.input<S['notifierEntry']>, T>;

  it('has exactly the keys of every options type (a new option fails this typecheck until the file accepts it)', () => {
    // The file takes the snake_case aliases too; the public types are camelCase only.
    type HookAlias = 'run_on_job_failure' | 'continue_on_failure' | 'working_directory' | 'environment_vars' | 'log_output';
    expectTypeOf<Exclude<keyof z.input<S['hook']>, HookAlias>>().toEqualTypeOf<keyof HookConfig>();
    // journal and lockWait: the CLI maps its flags to them (docs/cli.md).
    expectTypeOf<Exclude<keyof z.input<S['file']>, '$schema' | 'pre_job_hooks' | 'post_job_hooks'>>().toEqualTypeOf<Exclude<keyof JobPipelineOptions, 'executor' | 'journal' | 'lockWait'>>();
    expectTypeOf<keyof NonNullable<z.input<S['file']>['defaults']>>().toEqualTypeOf<keyof PipelineDefaults>();
    expectTypeOf<keyof NonNullable<z.input<S['file']>['repository']>>().toEqualTypeOf<keyof Repository>();
    expectTypeOf<keyof z.input<S['commandEntry']>>().toEqualTypeOf<keyof CommandTaskOptions>();
    expectTypeOf<Exclude<keyof z.input<S['borgCreate']>, 'borg'>>().toEqualTypeOf<keyof BorgCreateOptions>();
    expectTypeOf<Exclude<keyof z.input<S['borgPrune']>, 'borg'>>().toEqualTypeOf<keyof BorgPruneOptions>();
    expectTypeOf<keyof z.input<S['borgPrune']>['keep']>().toEqualTypeOf<keyof BorgKeepRules>();
    expectTypeOf<Exclude<keyof z.input<S['borgCompact']>, 'borg'>>().toEqualTypeOf<keyof BorgCompactOptions>();
    expectTypeOf<Exclude<keyof z.input<S['borgCheck']>, 'borg'>>().toEqualTypeOf<keyof BorgCheckOptions>();
    // `stream` is not something a file can hold: the CLI gives console notifiers its own.
    expectTypeOf<keyof Notifier<'console'>>().toEqualTypeOf<Exclude<keyof ConsoleNotifierOptions, 'stream'>>();
    expectTypeOf<keyof Notifier<'webhook'>>().toEqualTypeOf<keyof WebhookNotifierOptions>();
    expectTypeOf<keyof Notifier<'healthchecks'>>().toEqualTypeOf<keyof HealthchecksNotifierOptions>();
    expectTypeOf<keyof Notifier<'ntfy'>>().toEqualTypeOf<keyof NtfyNotifierOptions>();
    expectTypeOf<keyof Notifier<'discord'>>().toEqualTypeOf<keyof DiscordNotifierOptions>();
    expectTypeOf<keyof Notifier<'pushover'>>().toEqualTypeOf<keyof PushoverNotifierOptions>();
    expectTypeOf<keyof Notifier<'telegram'>>().toEqualTypeOf<keyof TelegramNotifierOptions>();
  });
});
