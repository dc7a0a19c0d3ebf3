import { describe, expect, it } from 'vitest';
import { countDropReasons, droppedSummary } from '../src/dropped.js';

const HINT = '--no-suppress-implausible';

describe('the dropped-people summary', () => {
  it('says nothing when nobody was dropped', () => {
    expect(droppedSummary(3, [], HINT)).toBeUndefined();
  });

  it('names the number found, the number dropped and why', () => {
    expect(droppedSummary(2, [{ reason: 'box-mismatch' }], HINT)).toBe(
      '2 people found, 1 dropped as implausible [box-mismatch] (--no-suppress-implausible keeps it)',
    );
    expect(droppedSummary(1, [{ reason: 'implausible-bones' }], HINT)).toBe(
      '1 person found, 1 dropped as implausible [implausible-bones] (--no-suppress-implausible keeps it)',
    );
    expect(droppedSummary(4, [{ reason: 'duplicate' }, { reason: 'duplicate' }], HINT)).toBe(
      '4 people found, 2 dropped as duplicates (--no-suppress-implausible keeps them)',
    );
  });

  it('counts mixed reasons', () => {
    const dropped = [
      { reason: 'box-mismatch' as const },
      { reason: 'duplicate' as const },
      { reason: 'implausible-bones' as const },
      { reason: 'box-mismatch' as const },
    ];
    expect(countDropReasons(dropped)).toEqual({
      'box-mismatch': 2,
      duplicate: 1,
      'implausible-bones': 1,
    });
    expect(droppedSummary(6, dropped, '"drop implausible poses" off')).toBe(
      '6 people found, 4 dropped: 3 as implausible [box-mismatch ×2, implausible-bones ×1], ' +
        '1 as a duplicate ("drop implausible poses" off keeps them)',
    );
  });
});
