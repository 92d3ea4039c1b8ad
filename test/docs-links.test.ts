import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The docs are the users' contract, and the code cites them by page and section: every such citation
// must lead somewhere (a page that exists, a heading or an <a id> on it).

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = join(ROOT, 'docs');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingSlug(text: string): string {
  return text
    .replace(/<[^>]*>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown page: its headings' (numbered when repeated, as GitHub does) and its `<a id>`s. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    for (const match of line.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(match[1] ?? '');
    const heading = /^#{1,6} (.*)$/.exec(line);
    if (heading === null) continue;
    const slug = headingSlug(heading[1] ?? '');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(ext) && !name.includes('node_modules'))
    .map((name) => join(dir, name));
}

const pages = new Map(readdirSync(DOCS).filter((name) => name.endsWith('.md')).map((name) => [name, anchorsOf(readFileSync(join(DOCS, name), 'utf8'))]));

describe('docs citations', () => {
  it('the slug is GitHub\'s', () => {
    expect(headingSlug('Try again: `retries`')).toBe('try-again-retries');
    expect(headingSlug('createWorker(options) → JobhooksWorker')).toBe('createworkeroptions--jobhooksworker');
    expect(headingSlug("A dead man's switch: `HealthchecksNotifier`")).toBe('a-dead-mans-switch-healthchecksnotifier');
  });

  it('every docs/<page>.md#<section> in the code and the tests names a page and a section that exist', () => {
    const broken: string[] = [];
    for (const file of [...filesUnder(join(ROOT, 'src'), '.ts'), ...filesUnder(join(ROOT, 'test'), '.ts'), ...filesUnder(join(ROOT, 'bench'), '.ts')]) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const match of line.matchAll(/docs\/([\w-]+\.md)(?:#([\w-]+))?/g)) {
            const [cited, page = '', anchor] = match;
            const anchors = pages.get(page);
            if (anchors === undefined || (anchor !== undefined && !anchors.has(anchor))) broken.push(`${relative(ROOT, file)}:${index + 1}: ${cited}`);
          }
        });
    }
    expect(broken).toEqual([]);
  });

  it('every link between the docs pages (and from the README) leads to a page and a section that exist', () => {
    const broken: string[] = [];
    for (const file of [...[...pages.keys()].map((name) => join(DOCS, name)), join(ROOT, 'README.md')]) {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const match of text.matchAll(/\]\(([^)\s]*?)(?:#([^)\s]+))?\)/g)) {
        const [link, target = '', anchor] = match;
        if (/^[a-z]+:/.test(target) || (target !== '' && !target.endsWith('.md'))) continue;
        const page = target === '' ? file : join(dirname(file), target);
        if (!existsSync(page)) {
          broken.push(`${relative(ROOT, file)}: ${link}`);
          continue;
        }
        const anchors = page.startsWith(DOCS) ? pages.get(relative(DOCS, page)) : anchorsOf(readFileSync(page, 'utf8'));
        if (anchor !== undefined && anchors?.has(anchor) !== true) broken.push(`${relative(ROOT, file)}: ${link}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
