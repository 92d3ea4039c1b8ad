import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_COLOURS, TASK_COLOURS } from '../../src/cli/report.js';
import { keyDirectory, runFileName } from '../../src/journal/index.js';
import { CHROMIUM_TAG, chromiumInstalled, REQUIRE_CHROMIUM_VARIABLE, runChromium } from '../support/chromium.js';
import { runCli, tempDir } from './helpers.js';

// docs/observability.md, "A picture of the runs": `jobhooks history <config> --html report.html`.

const EVIL = '<script>alert(1)</script>';
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-27T02:00:00.000Z');
const at = (ms: number): string => new Date(ms).toISOString();

interface CraftedTask {
  readonly name: string;
  readonly phase: 'pre' | 'main' | 'post' | 'notification';
  /** Seconds after the run's start; `null`: never started. */
  readonly from: number | null;
  readonly to: number;
  readonly status: 'completed' | 'failed' | 'skipped';
}

interface CraftedRun {
  readonly jobId: string;
  readonly startMs: number;
  readonly durationS: number;
  readonly status: 'completed' | 'completed_with_warnings' | 'failed' | 'interrupted';
  readonly failedTask?: number;
  readonly tasks: readonly CraftedTask[];
}

/** Oldest first, as they ran. The newest, a failure, has a task named like a script. */
const RUNS: readonly CraftedRun[] = [
  { jobId: 'run-1', startMs: T0, durationS: 60, status: 'completed', tasks: [{ name: 'Backup', phase: 'main', from: 0, to: 60, status: 'completed' }] },
  { jobId: 'run-2', startMs: T0 + DAY, durationS: 45, status: 'completed_with_warnings', tasks: [{ name: 'Backup', phase: 'main', from: 0, to: 45, status: 'completed' }] },
  { jobId: 'run-3', startMs: T0 + 2 * DAY, durationS: 90, status: 'interrupted', failedTask: 0, tasks: [{ name: 'Backup', phase: 'main', from: 0, to: 90, status: 'failed' }] },
  {
    jobId: 'run-4',
    startMs: T0 + 3 * DAY,
    durationS: 120,
    status: 'failed',
    failedTask: 1,
    tasks: [
      { name: 'Dump & "stop"', phase: 'pre', from: 0, to: 20, status: 'completed' },
      { name: EVIL, phase: 'main', from: 20, to: 80, status: 'failed' },
      { name: 'Prune', phase: 'main', from: null, to: 80, status: 'skipped' },
      { name: 'Restart', phase: 'post', from: 80, to: 110, status: 'completed' },
      { name: 'Notification', phase: 'notification', from: 110, to: 120, status: 'completed' },
    ],
  },
];

/** Writes the runs as the journal would (docs/journal.md, "Records"). */
function writeJournal(stateDir: string, key: string, runs: readonly CraftedRun[] = RUNS): void {
  const keyDir = keyDirectory({ dir: stateDir, key });
  mkdirSync(keyDir, { recursive: true });
  for (const run of runs) {
    const startedAt = at(run.startMs);
    const records: object[] = [
      {
        type: 'run', v: 1, jobId: run.jobId, key, pid: 4242, startTime: 1, bootId: 'b', host: 'h', startedAt,
        tasks: run.tasks.map((task, index) => ({ index, name: task.name, phase: task.phase, type: task.phase === 'main' ? 'backup' : 'hook', runOnJobFailure: task.phase === 'post' })),
      },
    ];
    run.tasks.forEach((task, index) => {
      if (task.from !== null) records.push({ type: 'taskStart', index, at: at(run.startMs + task.from * 1000) }, { type: 'taskStart', index, at: at(run.startMs + task.from * 1000 + 5), pgid: 99 });
      records.push({ type: 'taskEnd', index, at: at(run.startMs + task.to * 1000), status: task.status });
    });
    records.push({ type: 'runEnd', at: at(run.startMs + run.durationS * 1000), status: run.status, ...(run.failedTask === undefined ? {} : { failedTask: run.failedTask }) });
    writeFileSync(join(keyDir, runFileName(startedAt, run.jobId)), records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  }
}

const NEWEST_FIRST = [...RUNS].reverse();

/** The duration history gives a run: none for an interrupted one, whose end record is its recovery's (docs/cli.md). */
const shownMs = (run: CraftedRun): number | null => (run.status === 'interrupted' ? null : run.durationS * 1000);

describe('jobhooks history --html', () => {
  const dir = tempDir();
  let page = '';
  let report = '';
  let stdout = '';

  beforeAll(async () => {
    const config = dir.write('nightly <b>.yaml', 'tasks:\n  - { name: Backup, command: "true" }\n');
    const stateDir = join(dir.path, 'state');
    writeJournal(stateDir, realpathSync(config));
    report = join(dir.path, 'report.html');
    const run = await runCli(['history', 'nightly <b>.yaml', '--html', report, '--state-dir', stateDir], { cwd: dir.path });
    expect(run.code).toBe(0);
    stdout = run.stdout;
    page = readFileSync(report, 'utf8');
  });
  afterAll(() => dir.remove());

  it('writes the page and says so', () => {
    expect(stdout).toBe(`Wrote ${report}: 4 runs of nightly <b>.yaml.\n`);
  });

  it('is self-contained: no script, no link, no font, no address to fetch', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    for (const forbidden of ['<script', '<link', '<img', '<iframe', 'src=', 'href=', 'url(', '@import', '@font-face', 'http:', 'https:', '//']) {
      expect(page.includes(forbidden), forbidden).toBe(false);
    }
  });

  it('escapes every name from the config and the journal', () => {
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page).toContain('Dump &#38; &#34;stop&#34;');
    expect(page).toContain('<title>jobhooks history: nightly &#60;b&#62;.yaml</title>');
    expect(page).not.toContain('<b>');
  });

  it('has one bar per run, newest first, with its status and duration, and one row per task of the latest', () => {
    const runs = [...page.matchAll(/<g class="run" data-job-id="([^"]*)" data-status="([^"]*)" data-duration-ms="([^"]*)">/g)].map((m) => [m[1], m[2], m[3] === '' ? null : Number(m[3])]);
    expect(runs).toEqual(NEWEST_FIRST.map((run) => [run.jobId, run.status, shownMs(run)]));
    const tasks = [...page.matchAll(/<g class="task" data-status="([^"]*)" data-duration-ms="([^"]*)">/g)].map((m) => [m[1], m[2]]);
    expect(tasks).toEqual([['completed', '20000'], ['failed', '60000'], ['skipped', ''], ['completed', '30000'], ['completed', '10000']]);
  });

  it('hovering a run says how it ended and the task the failure is about', () => {
    const titles = [...page.matchAll(/<g class="run"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]?.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · /, ''));
    expect(titles).toEqual([
      '2m 00s · failed · failed task: &#60;script&#62;alert(1)&#60;/script&#62; · job id run-4',
      'when it died is not known · interrupted · jobhooks (pid 4242) died during &#39;Backup&#39; · job id run-3',
      '45.0s · completed_with_warnings · job id run-2',
      '1m 00s · completed · job id run-1',
    ]);
  });

  // What Chromium draws, measured in the page itself: a copy of the report with a script that writes
  // each bar's rendered box and colour into the DOM, which --dump-dom prints.
  const MEASURE = `<script>
    const measure = (selector) => [...document.querySelectorAll(selector)].map((g) => {
      const rect = g.querySelector('rect');
      const box = rect?.getBoundingClientRect();
      return { status: g.dataset.status, durationMs: g.dataset.durationMs, top: box?.top ?? null, left: box?.left ?? null, width: box?.width ?? null, fill: rect ? getComputedStyle(rect).fill : null, title: g.querySelector('title').textContent };
    });
    const out = document.createElement('pre');
    out.id = 'measured';
    out.textContent = JSON.stringify({ runs: measure('#timeline g.run'), tasks: measure('#gantt g.task'), errors: window.pageErrors, scripts: document.scripts.length });
    document.body.append(out);
  </script>`;
  const CATCH = `<script>window.pageErrors = []; addEventListener('error', (event) => window.pageErrors.push(String(event.message)));</script>`;

  const rgb = (hex: string): string => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

  describe.skipIf(!chromiumInstalled && process.env[REQUIRE_CHROMIUM_VARIABLE] !== '1')('in a real headless Chromium', { tags: [CHROMIUM_TAG] }, () => {
    it('the console catches a page error (the check below can fail)', async () => {
      const bad = dir.write('bad.html', '<!doctype html><p>x</p><script>nosuch()</script>');
      const run = await runChromium(pathToFileURL(bad).href, ['--dump-dom']);
      expect(run.consoleLines.some((line) => line.includes('Uncaught ReferenceError: nosuch is not defined'))).toBe(true);
    });

    it('renders without a console message, and its bars match the history: count, order, widths, colours', async () => {
      // The report as it is: no console message at all.
      const plain = await runChromium(pathToFileURL(report).href, ['--dump-dom']);
      expect(plain.code).toBe(0);
      expect(plain.consoleLines).toEqual([]);
      expect(plain.dom).toContain('<svg id="timeline"');

      const measured = dir.write('measured.html', page.replace('<head>', `<head>${CATCH}`).replace('</body>', `${MEASURE}</body>`));
      const run = await runChromium(pathToFileURL(measured).href, ['--dump-dom', '--window-size=1200,900']);
      expect(run.consoleLines).toEqual([]);
      const json = /<pre id="measured">([^<]*)<\/pre>/.exec(run.dom)?.[1] ?? '';
      type Bar = { status: string; durationMs: string; top: number | null; left: number | null; width: number | null; fill: string | null; title: string };
      const result = JSON.parse(json.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')) as { runs: Bar[]; tasks: Bar[]; errors: string[]; scripts: number };
      expect(result.errors).toEqual([]);
      // Only the two scripts this test added ran: the page has none of its own.
      expect(result.scripts).toBe(2);

      // Timeline: one bar per run, newest on top, width proportional to the duration, colour per status.
      expect(result.runs.map((bar) => bar.status)).toEqual(NEWEST_FIRST.map((r) => r.status));
      const tops = result.runs.map((bar) => bar.top ?? Number.NaN);
      expect(tops).toEqual([...tops].sort((a, b) => a - b));
      expect(new Set(tops).size).toBe(4);
      const longest = result.runs[0]?.width ?? 0;
      expect(longest).toBeGreaterThan(100);
      for (const [i, bar] of result.runs.entries()) {
        // An interrupted run, whose length is not known, gets the shortest bar.
        const shown = NEWEST_FIRST[i] === undefined ? null : shownMs(NEWEST_FIRST[i]);
        if (shown === null) expect(bar.width).toBeLessThan(longest / 50);
        else expect((bar.width ?? 0) / longest).toBeCloseTo(shown / 120_000, 2);
        expect(bar.fill).toBe(rgb(RUN_COLOURS[bar.status as keyof typeof RUN_COLOURS]));
      }
      expect(result.runs[0]?.title).toContain(`failed task: ${EVIL}`);

      // Gantt chart of the latest run: each task where and as long as it ran; the skipped one has no bar.
      const [dump, evil, prune, restart, notification] = result.tasks;
      const unit = (evil?.width ?? 0) / 60;
      expect(unit).toBeGreaterThan(1);
      expect(dump?.width).toBeCloseTo(20 * unit, 0);
      expect(restart?.width).toBeCloseTo(30 * unit, 0);
      expect(notification?.width).toBeCloseTo(10 * unit, 0);
      expect((evil?.left ?? 0) - (dump?.left ?? 0)).toBeCloseTo(20 * unit, 0);
      expect((notification?.left ?? 0) - (dump?.left ?? 0)).toBeCloseTo(110 * unit, 0);
      expect(prune?.width).toBeNull();
      expect(result.tasks.map((bar) => bar.fill)).toEqual([TASK_COLOURS.completed, TASK_COLOURS.failed, null, TASK_COLOURS.completed, TASK_COLOURS.completed].map((hex) => (hex === null ? null : rgb(hex))));
      expect(evil?.title).toBe(`${EVIL} · main · failed · 1m 00s`);
    });
  });
});

describe('jobhooks history --html: long labels, a damaged journal', () => {
  const WIDE = 'W'.repeat(40);
  const EMOJI = `${'\u{1F600}'.repeat(30)}X`;
  const dir = tempDir();
  let page = '';
  let report = '';
  beforeAll(async () => {
    const config = dir.write('job.yaml', 'tasks:\n  - { name: Backup, command: "true" }\n');
    const stateDir = join(dir.path, 'state');
    const long = 26 * 3600 + 3 * 60;
    writeJournal(stateDir, realpathSync(config), [
      { jobId: 'run-1', startMs: T0, durationS: 60, status: 'completed', tasks: [{ name: 'Backup', phase: 'main', from: 0, to: 60, status: 'completed' }] },
      {
        jobId: 'run-2',
        startMs: T0 + 2 * DAY,
        durationS: long,
        status: 'completed_with_warnings',
        tasks: [
          { name: WIDE, phase: 'pre', from: 0, to: 60, status: 'completed' },
          { name: EMOJI, phase: 'main', from: 60, to: long, status: 'completed' },
        ],
      },
    ]);
    // A third run, between the two, whose end record carries a status jobhooks never writes (a hand-edited file).
    const keyDir = keyDirectory({ dir: stateDir, key: realpathSync(config) });
    const startedAt = at(T0 + DAY);
    const hostile = '<img src=x onerror="document.title=1">';
    writeFileSync(
      join(keyDir, runFileName(startedAt, 'run-3')),
      [
        { type: 'run', v: 1, jobId: 'run-3', key: realpathSync(config), pid: 4242, startTime: 1, bootId: 'b', host: 'h', startedAt, tasks: [{ index: 0, name: 'Backup', phase: 'main', type: 'backup', runOnJobFailure: false }] },
        { type: 'taskEnd', index: 0, at: at(T0 + DAY + 1000), status: hostile },
        { type: 'runEnd', at: at(T0 + DAY + 2000), status: hostile },
      ].map((record) => `${JSON.stringify(record)}\n`).join(''),
    );
    report = join(dir.path, 'report.html');
    expect((await runCli(['history', config, '--html', report, '--state-dir', stateDir], { cwd: dir.path })).code).toBe(0);
    page = readFileSync(report, 'utf8');
  });
  afterAll(() => dir.remove());

  it('reads an end record with a status jobhooks never writes as no end: nothing of it reaches the page', () => {
    expect(page).not.toContain('<img');
    expect(page).not.toContain('onerror');
    const runs = [...page.matchAll(/<g class="run" data-job-id="([^"]*)" data-status="([^"]*)"/g)].map((m) => [m[1], m[2]]);
    expect([runs[0], runs[2]]).toEqual([['run-2', 'completed_with_warnings'], ['run-1', 'completed']]);
    // Without an end it is running or interrupted, as its owner's liveness says.
    expect(runs[1]?.[0]).toBe('run-3');
    expect(['running', 'interrupted']).toContain(runs[1]?.[1]);
  });

  it('cuts a long name at a whole character: no half of an emoji', () => {
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(page)).toBe(false);
    expect(page).toContain(`>${'\u{1F600}'.repeat(27)}…</text>`);
  });

  describe.skipIf(!chromiumInstalled && process.env[REQUIRE_CHROMIUM_VARIABLE] !== '1')('in a real headless Chromium', { tags: [CHROMIUM_TAG] }, () => {
    it('the longest bar\'s value is drawn whole inside the chart, and a task\'s name never runs into its bar', async () => {
      const script = `<script>
        const box = (element) => element.getBoundingClientRect();
        const chart = box(document.querySelector('#timeline'));
        const values = [...document.querySelectorAll('#timeline text.value')].map((text) => ({ text: text.textContent, right: box(text).right, chartRight: chart.right }));
        const gantt = box(document.querySelector('#gantt'));
        // The name's own viewport, which clips what overflows it (overflow: hidden for an inner svg).
        const labels = [...document.querySelectorAll('#gantt g.task')].map((g) => {
          const viewport = g.querySelector('svg');
          return { clip: gantt.left + viewport.x.baseVal.value + viewport.width.baseVal.value, overflow: getComputedStyle(viewport).overflow, bar: box(g.querySelector('rect')).left };
        });
        const out = document.createElement('pre');
        out.id = 'measured';
        out.textContent = JSON.stringify({ values, labels });
        document.body.append(out);
      </script>`;
      const measured = dir.write('measured.html', page.replace('</body>', `${script}</body>`));
      const run = await runChromium(pathToFileURL(measured).href, ['--dump-dom', '--window-size=1400,900']);
      expect(run.consoleLines).toEqual([]);
      const json = /<pre id="measured">([^<]*)<\/pre>/.exec(run.dom)?.[1] ?? '';
      const result = JSON.parse(json.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { values: { text: string; right: number; chartRight: number }[]; labels: { clip: number; overflow: string; bar: number }[] };
      expect(result.values.find((value) => value.text.includes('completed_with_warnings'))?.text).toBe('26h 03m · completed_with_warnings');
      for (const value of result.values) expect({ text: value.text, inside: value.right <= value.chartRight }).toEqual({ text: value.text, inside: true });
      expect(result.labels).toHaveLength(2);
      for (const label of result.labels) {
        expect(label.overflow).toBe('hidden');
        expect(label.clip).toBeLessThanOrEqual(label.bar);
      }
    });
  });
});

describe('jobhooks history --html after a real run', () => {
  it('draws the run the journal recorded, with its tasks', async () => {
    const dir = tempDir();
    try {
      const config = dir.write('job.yaml', `preHooks:\n  - { name: "${EVIL}", command: "true" }\ntasks:\n  - { name: Backup, command: "exit 3" }\n`);
      expect((await runCli(['run', config], { cwd: dir.path })).code).toBe(2);
      const report = join(dir.path, 'r.html');
      expect((await runCli(['history', config, '--html', report], { cwd: dir.path })).code).toBe(0);
      const page = readFileSync(report, 'utf8');
      expect([...page.matchAll(/<g class="task" data-status="([^"]*)"/g)].map((m) => m[1])).toEqual(['completed', 'failed']);
      expect(page).toContain('data-status="failed"');
      expect(page).toContain('<title>&#60;script&#62;alert(1)&#60;/script&#62; · pre · completed · ');
      expect(page).not.toContain('<script');
    } finally {
      dir.remove();
    }
  });

  it('a page that cannot be written is exit 73; --json and --html together are a usage error', async () => {
    const dir = tempDir();
    try {
      const config = dir.write('job.yaml', 'tasks:\n  - { name: Backup, command: "true" }\n');
      const bad = await runCli(['history', config, '--html', join(dir.path, 'no', 'such', 'r.html')], { cwd: dir.path });
      expect(bad.code).toBe(73);
      expect(bad.stderr).toBe(`jobhooks: cannot write ${join(dir.path, 'no', 'such', 'r.html')}: no such file or directory (ENOENT)\n`);
      const both = await runCli(['history', config, '--html', 'r.html', '--json'], { cwd: dir.path });
      expect(both.code).toBe(64);
      expect(both.stderr).toBe('jobhooks: --json and --html cannot be used together\nRun "jobhooks --help" for usage.\n');
    } finally {
      dir.remove();
    }
  });

  it('a journal that cannot be read is exit 66 with the path and the reason, for the text, --json and --html alike', async () => {
    const dir = tempDir();
    try {
      const config = dir.write('job.yaml', 'tasks:\n  - { name: Backup, command: "true" }\n');
      // A state directory that is a file: what a journal of another user (EACCES) is to a non-root user.
      const notADirectory = dir.write('state', '');
      const keyDir = keyDirectory({ dir: notADirectory, key: realpathSync(config) });
      for (const extra of [[], ['--json'], ['--html', join(dir.path, 'r.html')]]) {
        const run = await runCli(['history', config, '--state-dir', notADirectory, ...extra], { cwd: dir.path });
        expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
          code: 66,
          stdout: '',
          stderr: `jobhooks: cannot read the journal: ${keyDir}: not a directory (ENOTDIR)\n`,
        });
      }
    } finally {
      dir.remove();
    }
  });
});
