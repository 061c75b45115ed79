import cliProgress from 'cli-progress';
import type { Progress } from './importers/types.js';

/**
 * Terminal progress: a bar per phase when stderr is a terminal, a plain line per phase otherwise
 * (CI logs, pipes), so logs stay readable.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = !!stream.isTTY && !process.env.CI;
  return {
    phase(label, total) {
      const started = Date.now();
      if (!tty || total <= 0) {
        return {
          tick() {},
          done() {
            stream.write(
              `  ${label}: ${total > 0 ? total.toLocaleString('en-US') : 'done'} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
            );
          },
        };
      }
      const bar = new cliProgress.SingleBar(
        {
          format: `  ${label.padEnd(34)} [{bar}] {percentage}% | {value}/{total} | {duration}s`,
          stream,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      let n = 0;
      return {
        tick(k = 1) {
          n += k;
          if (n % 500 === 0 || n >= total) bar.update(Math.min(n, total));
        },
        done() {
          bar.update(total);
          bar.stop();
        },
      };
    },
    log(message) {
      stream.write(`${message}\n`);
    },
  };
}
