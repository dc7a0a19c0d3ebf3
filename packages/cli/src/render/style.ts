/** Colours, sides and small SVG helpers shared by the overlay and the 3D view. */

export type Side = 'left' | 'right' | 'centre';

/**
 * The body side of each joint, from its name: a joint is on the left when its name starts
 * with `l` and the same name with `r` is also a joint (`lsho`/`rsho`), and vice versa.
 */
export function jointSides(jointNames: readonly string[]): Side[] {
  const names = new Set(jointNames);
  return jointNames.map((n) => {
    const rest = n.slice(1);
    if (n.startsWith('l') && names.has(`r${rest}`)) return 'left';
    if (n.startsWith('r') && names.has(`l${rest}`)) return 'right';
    return 'centre';
  });
}

/** An edge is on a side when either end is (a hip–pelvis edge belongs to that leg). */
export function edgeSides(
  jointNames: readonly string[],
  edges: readonly (readonly [number, number])[],
): Side[] {
  const sides = jointSides(jointNames);
  return edges.map(([a, b]) => {
    const sa = sides[a] ?? 'centre';
    const sb = sides[b] ?? 'centre';
    return sa !== 'centre' ? sa : sb;
  });
}

/** Distinct hues for people, in order (a golden-angle walk after a few fixed ones). */
export function personHue(index: number): number {
  const fixed = [210, 25, 130, 280, 50, 330, 180, 0];
  return index < fixed.length ? fixed[index]! : (index * 137.508) % 360;
}

/** The colour of a person's limbs on one side: left lighter, right darker, centre in between. */
export function limbColour(person: number, side: Side): string {
  const h = Math.round(personHue(person));
  const l = side === 'left' ? 68 : side === 'right' ? 38 : 52;
  return `hsl(${h}, 90%, ${l}%)`;
}

export function personColour(person: number): string {
  return limbColour(person, 'centre');
}

/** Right limbs are dashed so that the sides differ in shape too, not only in shade. */
export function dashFor(side: Side, width: number): string {
  return side === 'right' ? ` stroke-dasharray="${fmt(width * 2.2)} ${fmt(width * 1.2)}"` : '';
}

/** A number for SVG: two decimals at most. */
export function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

export const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** Text with a dark halo so that it reads on any background. */
export function label(
  x: number,
  y: number,
  text: string,
  size: number,
  fill: string,
  anchor = 'start',
): string {
  const common = `x="${fmt(x)}" y="${fmt(y)}" font-family="${FONT}" font-size="${fmt(size)}" font-weight="bold" text-anchor="${anchor}"`;
  const t = escapeXml(text);
  return (
    `<text ${common} fill="none" stroke="black" stroke-width="${fmt(size / 5)}" stroke-linejoin="round" opacity="0.8">${t}</text>` +
    `<text ${common} fill="${fill}">${t}</text>`
  );
}
