// Command-line options of bench/ingest.mjs.
import { parseArgs } from 'node:util';

export const USAGE = `usage: node bench/ingest.mjs [options]
  --duration <s>       measured seconds per run (default 10)
  --warmup <s>         unmeasured seconds before each run (default 1)
  --connections <n>    concurrent in-flight requests (default 16)
  --sizes <list>       record sizes in bytes, comma-separated (default 1024,100)
  --records <n>        records per PutRecordBatch request (default 500, the Firehose maximum)
  --short              CI preset: --duration 3 --warmup 0.5
  --floor-only         measure only the floor server (no Hydrant build needed)
  --hydrant-bin <path> Hydrant entry point to run (default bin/hydrant.js, needs npm run build)
  --backend <kind>     Hydrant's backend: embedded (default) or redis
  --redis-url <url>    Redis of --backend redis (default redis://127.0.0.1:6379; a fresh key prefix per run)
  --nodes <list>       with --backend redis, node counts to measure, comma-separated (default 1,2)
  --help`;

export function positive(name, text) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${text}`);
  return value;
}

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '16' },
      sizes: { type: 'string', default: '1024,100' },
      records: { type: 'string', default: '500' },
      short: { type: 'boolean', default: false },
      'floor-only': { type: 'boolean', default: false },
      'hydrant-bin': { type: 'string' },
      backend: { type: 'string', default: 'embedded' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
      nodes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const durationS = positive('duration', values.duration ?? (values.short ? '3' : '10'));
  const warmupS = values.warmup === '0' ? 0 : positive('warmup', values.warmup ?? (values.short ? '0.5' : '1'));
  return {
    help: values.help,
    durationMs: durationS * 1000,
    warmupMs: warmupS * 1000,
    connections: Math.floor(positive('connections', values.connections)),
    sizes: values.sizes.split(',').map((s) => Math.floor(positive('sizes', s.trim()))),
    recordsPerRequest: Math.floor(positive('records', values.records)),
    floorOnly: values['floor-only'],
    hydrantBin: values['hydrant-bin'],
    backend: backendOf(values.backend),
    redisUrl: values['redis-url'],
    nodes: nodeCounts(values.backend, values.nodes),
  };
}

function backendOf(text) {
  if (text !== 'embedded' && text !== 'redis') throw new Error(`--backend must be embedded or redis, got ${text}`);
  return text;
}

/** Node counts to measure: one node for the embedded backend (it cannot share), 1 and 2 by default on Redis. */
function nodeCounts(backend, text) {
  if (backend !== 'redis') {
    if (text !== undefined && text !== '1') throw new Error('--nodes needs --backend redis (the embedded backend runs one node)');
    return [1];
  }
  return (text ?? '1,2').split(',').map((s) => Math.floor(positive('nodes', s.trim())));
}
