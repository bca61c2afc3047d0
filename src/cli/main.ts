import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { configFromEnv, loadConfigFile, parseBackend, type HydrantConfig } from '../config/config.js';
import { startHydrant } from '../app.js';
import { createLogger } from '../observability/logger.js';

const USAGE = `Usage: hydrant serve [options]

Start a Hydrant node: the Firehose API (and later Kinesis) on one port, HTTP/1.1 and HTTP/2.

Options:
  --port <n>          port to listen on (default 4573)
  --host <addr>       address to listen on (default 127.0.0.1)
  --data-dir <dir>    where logs, checkpoints and local objects live (default ./data)
  --config <file>     JSON config file (delivery streams, S3, auth; see README)
  --functions-dir <dir>  where transformation functions (Lambda handlers) are found by
                      name: <dir>/<name>.mjs|.js|.cjs or <dir>/<name>/index.*
  --tls-cert <file>   PEM certificate: serve HTTPS (h2 + http/1.1 by ALPN)
  --tls-key <file>    PEM private key for --tls-cert
  --log-level <lvl>   trace, debug, info, warn, error (default info)
  --backend <kind>    embedded (default: files in --data-dir, one node) or redis
                      (streams, catalogs, checkpoints and leases shared by every node)
  --redis-url <url>   Redis of the redis backend (default redis://127.0.0.1:6379)
  --redis-key-prefix <p>  prefix of every key this deployment writes (default hydrant)
  --lease-ttl-ms <n>  shard lease lifetime: a dead node's shards move after this (default 10000)
  -h, --help          show this help
  -v, --version       show the version
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'functions-dir': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'log-level': { type: 'string' },
      backend: { type: 'string' },
      'redis-url': { type: 'string' },
      'redis-key-prefix': { type: 'string' },
      'lease-ttl-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'serve';
  if (values.help || command !== 'serve') {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const file: HydrantConfig = values.config ? await loadConfigFile(values.config) : {};
  const config: HydrantConfig = { ...configFromEnv(process.env), ...file };
  if (values.port !== undefined) config.port = Number(values.port);
  if (values.host !== undefined) config.host = values.host;
  if (values['data-dir'] !== undefined) config.dataDir = values['data-dir'];
  if (values['log-level'] !== undefined) config.logLevel = values['log-level'];
  if (values.backend !== undefined) config.backend = parseBackend(values.backend);
  if (values['redis-url'] !== undefined) config.redis = { ...config.redis, url: values['redis-url'] };
  if (values['redis-key-prefix'] !== undefined) config.redis = { ...config.redis, keyPrefix: values['redis-key-prefix'] };
  if (values['lease-ttl-ms'] !== undefined) {
    const ttl = Number(values['lease-ttl-ms']);
    if (!(Number.isInteger(ttl) && ttl > 0)) throw new Error(`invalid --lease-ttl-ms ${values['lease-ttl-ms']}: a positive number of milliseconds`);
    config.redis = { ...config.redis, leaseTtlMs: ttl };
  }
  if (config.backend === undefined && (values['redis-url'] !== undefined || values['redis-key-prefix'] !== undefined)) {
    throw new Error('--redis-url and --redis-key-prefix need --backend redis');
  }
  if (values['functions-dir'] !== undefined) config.functionsDir = values['functions-dir'];
  if (values['tls-cert'] || values['tls-key']) {
    if (!values['tls-cert'] || !values['tls-key']) throw new Error('--tls-cert and --tls-key go together');
    config.tls = { cert: values['tls-cert'], key: values['tls-key'] };
  }
  if (config.port !== undefined && !(Number.isInteger(config.port) && config.port >= 0 && config.port < 65536)) throw new Error(`invalid port ${config.port}`);

  const logger = createLogger({ level: config.logLevel });
  const node = await startHydrant(config, { logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining: delivering buffered records before exit');
    node.drain().then((delivered) => {
      logger.info({ delivered }, delivered ? 'drained; exiting' : 'drain timed out; undelivered records stay in the log for the next start');
      process.exit(0);
    }, (err) => {
      logger.error({ err }, 'drain failed');
      process.exit(1);
    });
  };
  // A bug must not leave a half-working node: log it and exit; everything acknowledged is in the
  // log and is delivered after the restart.
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(70);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection; exiting');
    process.exit(70);
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exit(code);
}, (err: Error) => {
  process.stderr.write(`hydrant: ${err.message}\n`);
  process.exit(1);
});
