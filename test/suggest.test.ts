import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../src/suggest.js';

describe('suggest', () => {
  it('finds what was meant within one edit per three letters', () => {
    expect(suggest('critcal', ['critical', 'command'])).toBe('critical');
    expect(suggest('RunOnJobFailur', ['runOnJobFailure'])).toBe('runOnJobFailure');
    expect(suggest('zz', ['id'])).toBeUndefined();
    expect(suggest('timeotu', ['name'])).toBeUndefined();
  });

  it('measures edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
