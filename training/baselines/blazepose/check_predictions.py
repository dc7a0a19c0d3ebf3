#!/usr/bin/env python3
"""Sanity statistics of a baseline predictions file against the dataset's labels (not the
evaluation — that is `metrabs eval --baseline`): detection rate, ms/person, the left/right
convention check (is predicted lsho nearer ground-truth lsho than rsho?), and optionally an
overlay image of one example (ground truth green, prediction: left joints red, right blue).

    .venv/bin/python check_predictions.py /work/data/blazepose-test.jsonl [--render KEY --png out.png]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_blazepose as rb  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('predictions')
    parser.add_argument('--render', metavar='KEY', help='draw this example')
    parser.add_argument('--png', default='blazepose-check.png', help='overlay output (with --render)')
    args = parser.parse_args()

    with open(args.predictions) as f:
        header = json.loads(f.readline())
        rows = [json.loads(line) for line in f]
    names = header['joint_names']
    dataset = Path(header['dataset'])
    manifest = json.loads((dataset / 'manifest.json').read_text())
    gt_names = manifest['skeleton']['joint_names']
    gt_index = [gt_names.index(n) for n in names]
    pairs = [(names.index(a), names.index(b), gt_names.index(a), gt_names.index(b))
             for a, b in [('lsho', 'rsho'), ('lhip', 'rhip')]]

    wanted = {r['key'] for r in rows}
    labels = {}
    images = {}
    for key, image_bytes, lab in rb.iter_examples(rb.load_split(dataset, header['split'])):
        if key in wanted:
            labels[key] = lab
            if key == args.render:
                images[key] = image_bytes
        if len(labels) == len(wanted):
            break

    n = len(rows)
    det = [r for r in rows if r['detected']]
    ms = [r['ms'] for r in rows if r['ms'] is not None]
    print(f'people {n}, detected {len(det)} ({len(det) / max(n, 1):.1%}); '
          f'ms/person mean {statistics.fmean(ms):.1f}, median {statistics.median(ms):.1f}')
    trunc = [r for r in rows if labels[r['key']]['people'][r['person']].get('truncated')]
    print(f'detected among truncated people: {sum(r["detected"] for r in trunc)}/{len(trunc)}; '
          f'among the others: {sum(r["detected"] for r in rows if r not in trunc)}/{n - len(trunc)}')
    for pi, pj, gi, gj in pairs:
        same = checked = 0
        for r in det:
            p = labels[r['key']]['people'][r['person']]
            if not (p['joint_valid'][gi] and p['joint_valid'][gj]):
                continue
            (u, v) = r['joints2d'][pi]
            dl = (u - p['joints2d'][gi][0]) ** 2 + (v - p['joints2d'][gi][1]) ** 2
            dr = (u - p['joints2d'][gj][0]) ** 2 + (v - p['joints2d'][gj][1]) ** 2
            checked += 1
            same += dl < dr
        print(f'left/right: predicted {names[pi]} nearer GT {names[pi]} than GT {names[pj]}: '
              f'{same}/{checked} ({same / max(checked, 1):.1%})')
    errors = []
    for r in det:
        p = labels[r['key']]['people'][r['person']]
        scale = max(p['box'][2], p['box'][3])
        for j, g in enumerate(gt_index):
            if p['joint_valid'][g] and p['in_image'][g]:
                du = r['joints2d'][j][0] - p['joints2d'][g][0]
                dv = r['joints2d'][j][1] - p['joints2d'][g][1]
                errors.append((du * du + dv * dv) ** 0.5 / scale)
    if errors:
        print(f'2D error of detected in-image joints / max(box side): median {statistics.median(errors):.3f}')

    if args.render:
        import cv2
        import numpy as np
        image = cv2.imdecode(np.frombuffer(images[args.render], np.uint8), cv2.IMREAD_COLOR)
        big = 2
        image = cv2.resize(image, None, fx=big, fy=big, interpolation=cv2.INTER_NEAREST)
        at = lambda uv: (int(round((uv[0] + 0.5) * big - 0.5)), int(round((uv[1] + 0.5) * big - 0.5)))  # noqa: E731
        for r in rows:
            if r['key'] != args.render:
                continue
            p = labels[r['key']]['people'][r['person']]
            x, y, w, h = p['box']
            cv2.rectangle(image, at((x, y)), at((x + w, y + h)), (0, 255, 255), 1)
            for j, g in enumerate(gt_index):
                cv2.circle(image, at(p['joints2d'][g]), 4, (0, 255, 0), 1)
                cv2.putText(image, names[j], at(p['joints2d'][g]), 0, 0.35, (0, 255, 0), 1)
            if r['detected']:
                for j, uv in enumerate(r['joints2d']):
                    colour = (0, 0, 255) if names[j].startswith('l') else (255, 0, 0)
                    cv2.circle(image, at(uv), 3, colour, -1)
        cv2.imwrite(args.png, image)
        print(f'wrote {args.png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
