/**
 * Linear blend skinning on the CPU. The posed vertices are needed on the CPU anyway (ground
 * contact, footprints for placement, boxes), and at ~20k vertices it costs a few milliseconds.
 */

/**
 * Skins `rest` (V×3) with 4 influences per vertex into `out` (V×3). `transforms` holds B row-major
 * 3×4 affine bone transforms. When `normals`/`outNormals` are given they are turned by the
 * blended rotation and renormalised.
 */
export function skinVertices(
  rest: Float32Array,
  skinIndex: Uint16Array,
  skinWeight: Float32Array,
  transforms: Float64Array,
  out: Float32Array,
  normals?: Float32Array,
  outNormals?: Float32Array,
): void {
  const V = rest.length / 3;
  const m = new Float64Array(12);
  for (let v = 0; v < V; v++) {
    m.fill(0);
    for (let k = 0; k < 4; k++) {
      const w = skinWeight[v * 4 + k]!;
      if (w === 0) continue;
      const o = skinIndex[v * 4 + k]! * 12;
      for (let i = 0; i < 12; i++) m[i]! += w * transforms[o + i]!;
    }
    const x = rest[v * 3]!;
    const y = rest[v * 3 + 1]!;
    const z = rest[v * 3 + 2]!;
    out[v * 3] = m[0]! * x + m[1]! * y + m[2]! * z + m[3]!;
    out[v * 3 + 1] = m[4]! * x + m[5]! * y + m[6]! * z + m[7]!;
    out[v * 3 + 2] = m[8]! * x + m[9]! * y + m[10]! * z + m[11]!;
    if (normals && outNormals) {
      const a = normals[v * 3]!;
      const b = normals[v * 3 + 1]!;
      const c = normals[v * 3 + 2]!;
      const nx = m[0]! * a + m[1]! * b + m[2]! * c;
      const ny = m[4]! * a + m[5]! * b + m[6]! * c;
      const nz = m[8]! * a + m[9]! * b + m[10]! * c;
      const l = Math.hypot(nx, ny, nz) || 1;
      outNormals[v * 3] = nx / l;
      outNormals[v * 3 + 1] = ny / l;
      outNormals[v * 3 + 2] = nz / l;
    }
  }
}
