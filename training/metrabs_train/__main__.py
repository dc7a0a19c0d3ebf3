"""Command line: python -m metrabs_train {train,export,evaluate} --help"""
from __future__ import annotations

import argparse
import json
import sys

EPILOG = 'Configs are YAML or JSON files with the keys of metrabs_train.config.TrainConfig.'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m metrabs_train', description=__doc__, epilog=EPILOG)
    sub = parser.add_subparsers(dest='command', required=True)

    t = sub.add_parser('train', help='train or resume a MeTRAbs model')
    t.add_argument('--config', help='YAML/JSON config file')
    t.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                   help='override a config value, e.g. --set model.backbone=resnet18 (repeatable)')
    t.add_argument('--out', required=True, help='output directory (checkpoint, logs, curves); '
                   're-running with the same directory resumes')
    t.add_argument('--stop-after', type=int, help='stop (with a checkpoint) after this many more steps')

    e = sub.add_parser('export', help='export a checkpoint to an ONNX model package')
    e.add_argument('checkpoint')
    e.add_argument('--out', required=True, help='model package directory')
    e.add_argument('--dilate', action='store_true', help='denser test-time stride (16) via dilation')
    e.add_argument('--metrics', help='JSON file with evaluation results to embed in the descriptor')
    e.add_argument('--weights', action='store_true',
                   help='also write weights.pt (float16) so training can continue from the package '
                        '(train --set init_weights=PKG/weights.pt)')

    v = sub.add_parser('evaluate', help='evaluate a checkpoint on a dataset split')
    v.add_argument('checkpoint')
    v.add_argument('--dataset', help='dataset directory (default: the one trained on)')
    v.add_argument('--split', default='test')
    v.add_argument('--max-examples', type=int, default=0)
    v.add_argument('--out', help='write the JSON result here too')

    args = parser.parse_args(argv)
    from .dataset import DataError
    try:
        if args.command == 'train':
            from .config import load_config
            from .train import train
            cfg = load_config(args.config, args.set)
            if not cfg.dataset:
                parser.error('no dataset: set it in the config or with --set dataset=DIR')
            record = train(cfg, args.out, stop_after=args.stop_after)
            print(json.dumps(record))
        elif args.command == 'export':
            from .export import export_package
            metrics = json.load(open(args.metrics)) if args.metrics else None
            desc = export_package(args.checkpoint, args.out, dilate_last_stage=args.dilate, metrics=metrics,
                                  with_weights=args.weights)
            print(json.dumps(desc['export_check']))
        else:
            from .evaluate import evaluate
            result = evaluate(args.checkpoint, args.dataset, args.split, args.max_examples)
            text = json.dumps(result, indent=1)
            if args.out:
                with open(args.out, 'w') as f:
                    f.write(text + '\n')
            print(text)
    except (ValueError, OSError, RuntimeError, DataError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
