#!/usr/bin/env node
// Generates the compact service models used by src/ingest/protocol from the botocore
// service definitions (Apache-2.0). Run: node scripts/gen-model.mjs [botocoreDataDir]
// Output: src/ingest/protocol/models/{firehose,kinesis}.json (committed; runtime never needs botocore).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '../src/ingest/protocol/models');

const SERVICES = [
  {
    name: 'firehose',
    version: '2015-08-04',
    // Hydrant extensions (documented, not AWS behaviour): `extendEnum` adds values Hydrant
    // accepts beyond AWS's — ZSTD compression of S3 objects (extension .zst); `pattern` replaces
    // the model's — users run endpoints and clusters on plain HTTP on their own networks (AWS
    // allows only https).
    quirks: {
      CompressionFormat: { extendEnum: ['ZSTD'] },
      HttpEndpointUrl: { pattern: 'https?://.*' },
      AmazonopensearchserviceClusterEndpoint: { pattern: 'https?:.*' },
      ElasticsearchClusterEndpoint: { pattern: 'https?:.*' },
    },
  },
  {
    name: 'kinesis',
    version: '2013-12-02',
    // Behaviour of the real service that the botocore model does not carry, recorded against
    // production Kinesis by kinesalite's test suite. `order` is the order in which AWS reports
    // validation errors for a shape's members (listed members first, the rest in model order);
    // `enumOrder` is the order AWS prints an enum's value set in.
    quirks: {
      CreateStreamInput: { order: ['ShardCount', 'StreamName'] },
      PutRecordInput: { order: ['SequenceNumberForOrdering', 'PartitionKey', 'ExplicitHashKey', 'Data', 'StreamName'] },
      PutRecordsInput: { order: ['Records', 'StreamName'] },
      PutRecordsRequestEntry: { order: ['PartitionKey', 'ExplicitHashKey', 'Data'] },
      GetShardIteratorInput: { order: ['ShardId', 'ShardIteratorType', 'StartingSequenceNumber', 'StreamName'] },
      MergeShardsInput: { order: ['ShardToMerge', 'AdjacentShardToMerge', 'StreamName'] },
      SplitShardInput: { order: ['NewStartingHashKey', 'StreamName', 'ShardToSplit'] },
      ListTagsForStreamInput: { order: ['Limit', 'ExclusiveStartTagKey', 'StreamName'] },
      AddTagsToStreamInput: { order: ['Tags', 'StreamName'] },
      RemoveTagsFromStreamInput: { order: ['TagKeys', 'StreamName'] },
      DescribeStreamInput: { order: ['Limit', 'ExclusiveStartShardId', 'StreamName'] },
      ListShardsInput: { order: ['MaxResults', 'ExclusiveStartShardId', 'StreamName', 'NextToken'] },
      IncreaseStreamRetentionPeriodInput: { order: ['RetentionPeriodHours', 'StreamName'] },
      DecreaseStreamRetentionPeriodInput: { order: ['RetentionPeriodHours', 'StreamName'] },
      ShardIteratorType: { enumOrder: ['AFTER_SEQUENCE_NUMBER', 'LATEST', 'AT_TIMESTAMP', 'AT_SEQUENCE_NUMBER', 'TRIM_HORIZON'] },
    },
  },
];

function botocoreDir() {
  const arg = process.argv[2];
  if (arg) return resolve(arg);
  const pkg = execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8' }).trim();
  return join(pkg, 'data');
}

function botocoreVersion(dataDir) {
  try {
    const init = readFileSync(join(dataDir, '..', '__init__.py'), 'utf8');
    const m = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(init);
    if (m) return m[1];
  } catch { /* fall through */ }
  return 'unknown';
}

function loadServiceJson(dataDir, name, version) {
  const base = join(dataDir, name, version, 'service-2.json');
  if (existsSync(base + '.gz')) return JSON.parse(gunzipSync(readFileSync(base + '.gz')).toString('utf8'));
  if (existsSync(base)) return JSON.parse(readFileSync(base, 'utf8'));
  throw new Error(`no service model at ${base}(.gz)`);
}

function compactShape(name, shape, quirk) {
  const out = { type: shape.type };
  if (shape.members) {
    out.members = {};
    for (const [member, def] of Object.entries(shape.members)) out.members[member] = def.shape;
  }
  if (shape.required?.length) out.required = [...shape.required];
  if (shape.member) out.member = shape.member.shape;
  if (shape.key) out.key = shape.key.shape;
  if (shape.value) out.value = shape.value.shape;
  for (const k of ['min', 'max', 'pattern', 'enum']) if (shape[k] !== undefined) out[k] = shape[k];
  if (quirk?.pattern) out.pattern = quirk.pattern;
  if (shape.exception) out.exception = true;
  if (shape.fault) out.fault = true;
  if (shape.error?.httpStatusCode !== undefined) out.error = { httpStatusCode: shape.error.httpStatusCode };
  if (quirk?.order) {
    for (const m of quirk.order) if (!out.members?.[m]) throw new Error(`quirk order for ${name}: no member ${m}`);
    out.order = quirk.order;
  }
  if (quirk?.enumOrder) {
    const a = [...quirk.enumOrder].sort().join(), b = [...(shape.enum ?? [])].sort().join();
    if (a !== b) throw new Error(`quirk enumOrder for ${name} does not match the model's enum`);
    out.enumOrder = quirk.enumOrder;
  }
  if (quirk?.extendEnum) {
    if (!out.enum) throw new Error(`quirk extendEnum for ${name}: not an enum`);
    out.enum = [...out.enum, ...quirk.extendEnum.filter((v) => !out.enum.includes(v))];
    out.hydrantExtension = quirk.extendEnum;
  }
  return out;
}

function generate(dataDir, svc) {
  const src = loadServiceJson(dataDir, svc.name, svc.version);
  const md = src.metadata;
  const operations = {};
  for (const [name, op] of Object.entries(src.operations)) {
    const o = {};
    if (op.input) o.input = op.input.shape;
    if (op.output) o.output = op.output.shape;
    o.errors = (op.errors ?? []).map((e) => e.shape);
    operations[name] = o;
  }
  const shapes = {};
  for (const [name, shape] of Object.entries(src.shapes)) shapes[name] = compactShape(name, shape, svc.quirks[name]);
  for (const name of Object.keys(svc.quirks)) if (!shapes[name]) throw new Error(`quirk for unknown shape ${name}`);
  return {
    _source: `Generated by scripts/gen-model.mjs from botocore ${botocoreVersion(dataDir)} ` +
      `data/${svc.name}/${svc.version}/service-2.json (Apache-2.0, Copyright Amazon.com, Inc. or its affiliates); ` +
      'documentation removed; "order"/"enumOrder" record AWS-observed behaviour not in the model' +
      (Object.values(svc.quirks).some((q) => q.extendEnum) ? '; "hydrantExtension" lists enum values Hydrant accepts beyond AWS\'s (Hydrant extensions).' : '.'),
    metadata: {
      targetPrefix: md.targetPrefix,
      jsonVersion: md.jsonVersion,
      signingName: md.signingName ?? md.endpointPrefix,
      endpointPrefix: md.endpointPrefix,
      apiVersion: md.apiVersion,
      serviceId: md.serviceId,
    },
    operations,
    shapes,
  };
}

const dataDir = botocoreDir();
mkdirSync(outDir, { recursive: true });
for (const svc of SERVICES) {
  const model = generate(dataDir, svc);
  const file = join(outDir, `${svc.name}.json`);
  writeFileSync(file, JSON.stringify(model) + '\n');
  console.log(`wrote ${file}: ${Object.keys(model.operations).length} operations, ${Object.keys(model.shapes).length} shapes`);
}
