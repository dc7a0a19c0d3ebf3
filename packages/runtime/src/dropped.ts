/**
 * The people a pipeline run found but did not return: their boxes and reasons, and the
 * one-line summary the CLI prints and the web page shows
 * (`3 people found, 1 dropped as implausible [box-mismatch] (--no-suppress-implausible keeps it)`).
 */
import type { DropReason } from '@metrabs/core';
import type { Box } from './types.js';

export type { DropReason } from '@metrabs/core';

/** A detected person the plausibility filter dropped. */
export interface DroppedPerson {
  /** The detection box `[x, y, w, h, score]`. */
  box: Box;
  /** The first check it failed, or `duplicate` (pose NMS). */
  reason: DropReason;
}

function people(n: number): string {
  return n === 1 ? '1 person' : `${n} people`;
}

/** `{ 'box-mismatch': 2, duplicate: 1 }`: how many were dropped for each reason. */
export function countDropReasons(
  dropped: readonly { reason: DropReason }[],
): Partial<Record<DropReason, number>> {
  const counts: Partial<Record<DropReason, number>> = {};
  for (const { reason } of dropped) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

/**
 * What happened to the people found, in one line; `undefined` when none was dropped (then
 * the number returned says it all). `keepHint` names the setting that keeps them
 * (`--no-suppress-implausible` in the CLI).
 */
export function droppedSummary(
  found: number,
  dropped: readonly { reason: DropReason }[],
  keepHint: string,
): string | undefined {
  if (dropped.length === 0) return undefined;
  const counts = countDropReasons(dropped);
  const duplicates = counts.duplicate ?? 0;
  const implausible = dropped.length - duplicates;
  const codes = Object.entries(counts)
    .filter(([reason]) => reason !== 'duplicate')
    .map(([reason, n]) => (n === implausible ? reason : `${reason} ×${n}`));
  const asImplausible = `as implausible [${codes.join(', ')}]`;
  const asDuplicates = `as ${duplicates === 1 ? 'a duplicate' : 'duplicates'}`;
  const what =
    duplicates === 0
      ? `${dropped.length} dropped ${asImplausible}`
      : implausible === 0
        ? `${dropped.length} dropped ${asDuplicates}`
        : `${dropped.length} dropped: ${implausible} ${asImplausible}, ${duplicates} ${asDuplicates}`;
  return `${people(found)} found, ${what} (${keepHint} keeps ${dropped.length === 1 ? 'it' : 'them'})`;
}
