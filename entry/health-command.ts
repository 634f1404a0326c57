import { parseArgs } from 'node:util';
import { cleanText } from '../src/index.js';
import { commandConfig } from './config.js';
import { HEALTH_USAGE, argsErrorMessage } from './cli-help.js';
import { healthSummary, healthUrl, type HealthReport } from './health.js';
import type { CliIO } from './cli.js';

/** How long `newsbrief health` waits for an answer: the server checks the database within 2 s. */
const ASK_TIMEOUT_MS = 5_000;

/**
 * `newsbrief health [--url URL]` (argv after the command name): asks a running npm start's GET /healthz and
 * prints one line. Exit 0 healthy, 1 degraded or no usable answer, 2 wrong arguments or settings.
 */
export async function runHealth(argv: string[], io: CliIO, now: () => Date = () => new Date()): Promise<number> {
  let values: { url?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    return usage(io, argsErrorMessage(error));
  }
  if (values.help || positionals[0] === 'help') {
    io.stdout.write(HEALTH_USAGE);
    return 0;
  }
  if (positionals.length > 0) return usage(io, `"health" takes no arguments (got "${cleanText(positionals[0]!).slice(0, 40)}")`);

  const config = commandConfig(io.env, io.stderr);
  if (!config) return 2;
  let url: string;
  if (values.url !== undefined) {
    const given = checkedUrl(values.url);
    if (!given) return usage(io, `--url must be an http(s) URL such as http://127.0.0.1:9464, not "${cleanText(values.url).slice(0, 60)}"`);
    url = given;
  } else if (config.HEALTH_PORT !== undefined) {
    url = healthUrl(config.HEALTH_HOST, config.HEALTH_PORT);
  } else {
    return usage(io, 'HEALTH_PORT is not set, so there is no health check to ask: give --url, or set HEALTH_PORT as npm start has it');
  }

  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(ASK_TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (error) {
    io.stderr.write(`newsbrief health: no answer from ${url}: ${reason(error)}. Is npm start running there with HEALTH_PORT set?\n`);
    return 1;
  }
  const text = await response.text().catch(() => '');
  const report = parseReport(text);
  if (!report || (response.status !== 200 && response.status !== 503)) {
    io.stderr.write(`newsbrief health: ${url} answered ${response.status}${report ? '' : ', not a Newsbrief health report'}\n`);
    return 1;
  }
  io.stdout.write(`${healthSummary(report, now())}\n`);
  return response.status === 200 && report.status === 'ok' ? 0 : 1;
}

/** An http(s) URL; one that names no path gets /healthz. */
function checkedUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/healthz';
  return url.toString();
}

function parseReport(text: string): HealthReport | undefined {
  try {
    const body = JSON.parse(text) as Partial<HealthReport>;
    return body && (body.status === 'ok' || body.status === 'degraded') ? ({ problems: [], ...body } as HealthReport) : undefined;
  } catch {
    return undefined;
  }
}

function reason(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return `no answer within ${ASK_TIMEOUT_MS / 1000} s`;
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error);
}

function usage(io: CliIO, message: string): number {
  io.stderr.write(`newsbrief health: ${message}\nRun "newsbrief health --help" for usage.\n`);
  return 2;
}
