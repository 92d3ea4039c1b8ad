import { describe, expect, it, vi } from 'vitest';

// Records every schema that `lazy` builds: what a job costs to validate depends on it
// (docs/performance.md, "CLI start-up").
const built = vi.hoisted(() => ({ names: [] as string[] }));
vi.mock('../../src/validation.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/validation.js')>();
  return {
    ...actual,
    lazy: <T>(build: () => T): (() => T) =>
      actual.lazy(() => {
        const value = build();
        // A notifier's schema, by a field of its own; borg's four, built together, by their names.
        const shape = (value as { shape?: Record<string, unknown> }).shape ?? {};
        const named = ['webhookUrl', 'botToken', 'topic', 'userKey', 'url', 'textfile', 'pingUrl', 'stream'].find((key) => key in shape);
        built.names.push(named ?? ('create' in (value as object) ? 'borg' : '?'));
        return value;
      }),
  };
});

const { buildJob } = await import('../../src/cli/job.js');

describe('option schemas are built only for what a job has (docs/performance.md, "CLI start-up")', () => {
  it('a job of hooks builds no notifier\'s and no borg schema; a Discord notifier builds Discord\'s, a borg task borg\'s', () => {
    const hooksOnly = buildJob({ preHooks: [{ name: 'dump', command: 'true' }], tasks: [{ name: 'main', type: 'backup', command: 'true' }] }, { env: {} });
    expect(hooksOnly.ok).toBe(true);
    expect(built.names).toEqual([]);

    const discord = buildJob({ preHooks: [{ name: 'dump', command: 'true' }], notifiers: [{ type: 'discord', webhookUrl: 'https://discord.com/api/webhooks/1/x' }] }, { env: {} });
    expect(discord.ok).toBe(true);
    expect(built.names).toEqual(['webhookUrl']);

    const borg = buildJob({ tasks: [{ borg: 'create', repository: '/srv/repo', paths: ['/etc'] }] }, { env: {} });
    expect(borg.ok).toBe(true);
    // create, prune, compact and check share their parts and are built together, once.
    expect(built.names).toEqual(['webhookUrl', 'borg']);
    buildJob({ tasks: [{ borg: 'prune', repository: '/srv/repo', keep: { daily: 7 } }] }, { env: {} });
    expect(built.names).toEqual(['webhookUrl', 'borg']);
  });
});
