/**
 * Optimal one-to-one assignment with a gate, over the `munkres` package (Hungarian method).
 *
 * `cost[r][c]` is the cost of pairing row r (a track) with column c (a detection); a pair whose
 * cost is above `gate`, or not finite, is forbidden. Forbidden pairs enter the solver as one
 * cost larger than any sum of allowed ones, so the solver first pairs as many rows as the gate
 * allows and then minimises the total cost among those pairings; forbidden pairs are dropped
 * from the answer. `greedyAssignment` is the cheapest-pair-first rule it replaces, kept for
 * comparison (tests and the tracking benchmark show where it goes wrong).
 */
import { munkres } from 'munkres';

/** `[row, column]` pairs, sorted by row. */
export type Assignment = [number, number][];

function checkMatrix(cost: readonly (readonly number[])[]): number {
  const cols = cost[0]?.length ?? 0;
  for (const row of cost) {
    if (row.length !== cols) throw new RangeError('assignment: cost rows differ in length');
  }
  return cols;
}

export function optimalAssignment(cost: readonly (readonly number[])[], gate: number): Assignment {
  const cols = checkMatrix(cost);
  if (cost.length === 0 || cols === 0) return [];
  let allowedSum = 0;
  for (const row of cost)
    for (const c of row) if (c <= gate && Number.isFinite(c)) allowedSum += Math.abs(c);
  const forbidden = 2 * allowedSum + 1;
  const matrix = cost.map((row) =>
    row.map((c) => (c <= gate && Number.isFinite(c) ? c : forbidden)),
  );
  return munkres(matrix)
    .filter(([r, c]) => matrix[r]![c]! !== forbidden)
    .sort((a, b) => a[0] - b[0]) as Assignment;
}

export function greedyAssignment(cost: readonly (readonly number[])[], gate: number): Assignment {
  checkMatrix(cost);
  const pairs: { r: number; c: number; v: number }[] = [];
  cost.forEach((row, r) => {
    row.forEach((v, c) => {
      if (v <= gate && Number.isFinite(v)) pairs.push({ r, c, v });
    });
  });
  pairs.sort((a, b) => a.v - b.v);
  const rowUsed = new Set<number>();
  const colUsed = new Set<number>();
  const out: Assignment = [];
  for (const { r, c } of pairs) {
    if (rowUsed.has(r) || colUsed.has(c)) continue;
    rowUsed.add(r);
    colUsed.add(c);
    out.push([r, c]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}
