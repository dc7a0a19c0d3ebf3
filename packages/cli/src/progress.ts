/**
 * Progress on stderr: a bar with ETA (cli-progress) when stderr is a terminal, otherwise
 * one plain line every `every` frames, so logs stay readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, people: number): void;
  stop(): void;
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

export function createProgress(
  label: string,
  total: number | undefined,
  options: { tty: boolean; every?: number; write: (text: string) => void; unit?: string },
): Progress {
  const started = performance.now();
  const unit = options.unit ?? 'frames';
  if (options.tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: total
          ? `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {fps} ${unit === 'frames' ? 'fps' : `${unit}/s`} | {people} people | ETA {eta_formatted}`
          : `${label} {value} ${unit} | {fps} ${unit === 'frames' ? 'fps' : `${unit}/s`} | {people} people`,
        barsize: 24,
        hideCursor: true,
        stream: process.stderr,
        etaBuffer: 20,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total ?? 0, 0, { fps: '0.0', people: 0 });
    return {
      update(done, people) {
        const fps = done / ((performance.now() - started) / 1000);
        if (total !== undefined && done > total) bar.setTotal(done);
        bar.update(done, { fps: fps.toFixed(1), people });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const every = options.every ?? 25;
  let last = 0;
  const line = (done: number, people: number) => {
    const elapsed = (performance.now() - started) / 1000;
    const fps = done / elapsed;
    const rest =
      total !== undefined && total >= done ? ` of ${total}, ETA ${eta((total - done) / fps)}` : '';
    options.write(
      `${label}: ${done} ${unit}${rest}, ${fps.toFixed(1)} ${unit === 'frames' ? 'fps' : `${unit}/s`}, ${people} ${people === 1 ? 'person' : 'people'} in the last ${unit === 'frames' ? 'frame' : 'image'}\n`,
    );
  };
  return {
    update(done, people) {
      if (done - last >= every) {
        last = done;
        line(done, people);
      }
    },
    stop() {},
  };
}
