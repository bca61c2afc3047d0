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
  --backend <kind>     embedded (default) or redis: Hydrant runs with --backend redis, once per
                       node count of --nodes (all nodes on one key prefix, load spread over them)
  --redis-url <url>    Redis for --backend redis (default redis://127.0.0.1:6379)
  --nodes <list>       node counts to measure with --backend redis (default 1,2)
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
  if (values.backend !== 'embedded' && values.backend !== 'redis') throw new Error(`--backend must be embedded or redis, got ${values.backend}`);
  if (values.nodes !== undefined && values.backend !== 'redis') throw new Error('--nodes needs --backend redis');
  return {
    backend: values.backend,
    redisUrl: values['redis-url'],
    nodes: (values.nodes ?? (values.backend === 'redis' ? '1,2' : '1')).split(',').map((s) => Math.floor(positive('nodes', s.trim()))),
    help: values.help,
    durationMs: durationS * 1000,
    warmupMs: warmupS * 1000,
    connections: Math.floor(positive('connections', values.connections)),
    sizes: values.sizes.split(',').map((s) => Math.floor(positive('sizes', s.trim()))),
    recordsPerRequest: Math.floor(positive('records', values.records)),
    floorOnly: values['floor-only'],
    hydrantBin: values['hydrant-bin'],
  };
}
