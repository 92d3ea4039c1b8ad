import { describe, expect, it } from 'vitest';
import * as borg from '../src/borg/index.js';
import { DEFAULTS } from '../src/defaults.js';
import * as root from '../src/index.js';
import { WebhookNotifier } from '../src/notify/notifiers/webhook.js';

describe('the public surface (issue 11, point 8)', () => {
  it('jobhooks exports what the docs name, and nothing only the internals use', () => {
    expect(Object.keys(root).sort()).toEqual([
      'AlreadyRunningError',
      'ConfigError',
      'ConsoleNotifier',
      'DEFAULTS',
      'DiscordNotifier',
      'ErrorCode',
      'HealthchecksNotifier',
      'HttpNotifier',
      'JobHooksError',
      'JobPipeline',
      'NotificationDeliveryError',
      'NtfyNotifier',
      'PushoverNotifier',
      'SKIP_REASONS',
      'ShellExecutor',
      'TelegramNotifier',
      'WebhookNotifier',
      'buildNotification',
      'commandTask',
      'durationToMs',
      'formatFlow',
      'formatPath',
      'parseHooks',
      'readHistory',
    ]);
    expect(Object.keys(borg).sort()).toEqual(['borgCheck', 'borgCompact', 'borgCreate', 'borgPrune', 'describeBorgExitCode']);
  });

  it('every default is read from the one table (issue 11, point 4)', () => {
    const webhook = new WebhookNotifier({ url: 'https://example.com/hook' });
    expect(webhook.timeout).toBe(DEFAULTS.notifierTimeoutMs / 1000);
    expect(webhook.details).toBe(DEFAULTS.notifierDetails);
    expect(DEFAULTS.notifierTimeoutMs).toBe(30_000);
  });
});
