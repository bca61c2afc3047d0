/**
 * `ProcessingConfiguration` (reference §4.1, §8.1): the API shape, checked and resolved with
 * AWS's parameter defaults and ranges. Every parameter value is a string in the API ("3", "1",
 * "true"). Problems are InvalidArgumentExceptions naming the processor and parameter. The order
 * of `Processors` does not matter: they always run in Firehose's order (see `ProcessorChain`).
 */
import { invalidArgument } from '../../core/aws-error.js';

/** One processor as given in the API. */
export interface ProcessorInput {
  Type: string;
  Parameters?: { ParameterName: string; ParameterValue: string }[];
}

/** `ProcessingConfiguration` as given in the API. */
export interface ProcessingConfigurationInput {
  Enabled?: boolean;
  Processors?: ProcessorInput[];
}

export type SubRecordType = 'JSON' | 'DELIMITED' | 'KPL';

/** The resolved configuration: one optional block per processor type, defaults applied. */
export interface ResolvedProcessing {
  /** `Enabled: false` keeps the processors stored but runs none of them. */
  enabled: boolean;
  decompression?: { format: 'GZIP' };
  cloudWatchLogs?: { dataMessageExtraction: boolean };
  deaggregation?: { subRecordType: SubRecordType; delimiter?: Buffer };
  lambda?: {
    lambdaArn: string;
    numberOfRetries: number;
    /** `BufferSizeInMBs` in bytes. */
    bufferSizeBytes: number;
    /** `BufferIntervalInSeconds` in ms. */
    bufferIntervalMs: number;
    roleArn?: string;
  };
  metadataExtraction?: { query: string; engine: 'JQ-1.6' };
  appendDelimiter?: { delimiter: Buffer };
}

/** Destination-dependent Lambda buffering defaults (reference §6.2). */
export interface ProcessingContext {
  /** Firehose's destination family: Splunk and Snowflake buffer less per invocation. */
  destination?: 's3' | 'redshift' | 'opensearch' | 'splunk' | 'http' | 'snowflake';
  /** DynamicPartitioningConfiguration.Enabled: MetadataExtraction needs it. */
  dynamicPartitioning?: boolean;
}

const MB = 1024 * 1024;
const PROCESSOR_TYPES = ['RecordDeAggregation', 'Decompression', 'CloudWatchLogProcessing', 'Lambda', 'MetadataExtraction', 'AppendDelimiterToRecord'] as const;

/** Parameters each processor type accepts; `true` marks the required ones. */
const PARAMETERS: Record<(typeof PROCESSOR_TYPES)[number], Record<string, boolean>> = {
  Lambda: { LambdaArn: true, NumberOfRetries: false, RoleArn: false, BufferSizeInMBs: false, BufferIntervalInSeconds: false },
  RecordDeAggregation: { SubRecordType: true, Delimiter: false },
  Decompression: { CompressionFormat: false },
  CloudWatchLogProcessing: { DataMessageExtraction: true },
  MetadataExtraction: { MetadataExtractionQuery: true, JsonParsingEngine: true },
  AppendDelimiterToRecord: { Delimiter: false },
};

/** Lambda parameter ranges (reference §8.1). */
export const LAMBDA_LIMITS = {
  retries: { min: 0, max: 300, default: 3 },
  bufferSizeMB: { min: 0.2, max: 3, default: 1, smallDefault: 0.256 },
  intervalSeconds: { min: 0, max: 900, default: 60, snowflakeDefault: 30 },
} as const;

const LAMBDA_ARN = /^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]+))?$/;

function fail(message: string): never {
  throw invalidArgument(message);
}

function parameters(p: ProcessorInput, index: number): Map<string, string> {
  const type = p.Type as (typeof PROCESSOR_TYPES)[number];
  const allowed = PARAMETERS[type];
  const where = `ProcessingConfiguration.Processors[${index}] (${type})`;
  const out = new Map<string, string>();
  for (const { ParameterName: name, ParameterValue: value } of p.Parameters ?? []) {
    if (!(name in allowed)) fail(`${where}: parameter ${name} is not valid for the ${type} processor; valid parameters are ${Object.keys(allowed).join(', ')}.`);
    if (out.has(name)) fail(`${where}: parameter ${name} is given more than once.`);
    if (typeof value !== 'string' || value.trim() === '') fail(`${where}: parameter ${name} must not be blank.`);
    out.set(name, value);
  }
  for (const [name, required] of Object.entries(allowed)) {
    if (required && !out.has(name) && !(type === 'RecordDeAggregation' && name === 'Delimiter')) fail(`${where}: parameter ${name} is required.`);
  }
  return out;
}

function numberIn(where: string, name: string, value: string | undefined, range: { min: number; max: number }, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < range.min || n > range.max) {
    fail(`${where}: ${name} is '${value}'; it must be ${integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}.`);
  }
  return n;
}

/**
 * Decodes an AppendDelimiterToRecord `Delimiter`: the text with JSON-style escapes
 * (`\n`, `\t`, `\r`, `\\`, `\uXXXX`), which is how AWS shows the default newline ("\\n").
 */
export function decodeEscapedDelimiter(value: string): Buffer {
  const text = value.replace(/\\(u[0-9a-fA-F]{4}|[ntr0\\"'])/g, (_m, esc: string) => {
    switch (esc[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '0': return '\0';
      case 'u': return String.fromCharCode(parseInt(esc.slice(1), 16));
      default: return esc;
    }
  });
  return Buffer.from(text, 'utf8');
}

function base64Delimiter(where: string, value: string | undefined): Buffer {
  if (value === undefined) fail(`${where}: parameter Delimiter is required when SubRecordType is DELIMITED.`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0 || bytes.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
    fail(`${where}: Delimiter must be the base64 encoding of the delimiter (e.g. IyMjIw== for ####); '${value}' is not.`);
  }
  return bytes;
}

/** Checks and resolves a ProcessingConfiguration. Throws InvalidArgumentException. Absent → disabled. */
export function resolveProcessingConfiguration(input: ProcessingConfigurationInput | undefined | null, ctx: ProcessingContext = {}): ResolvedProcessing {
  const out: ResolvedProcessing = { enabled: false };
  if (!input) return out;
  const processors = input.Processors ?? [];
  out.enabled = input.Enabled !== false && processors.length > 0;
  const seen = new Set<string>();
  processors.forEach((p, index) => {
    if (!(PROCESSOR_TYPES as readonly string[]).includes(p.Type)) fail(`ProcessingConfiguration.Processors[${index}]: Type '${p.Type}' is not one of ${PROCESSOR_TYPES.join(', ')}.`);
    if (seen.has(p.Type)) fail(`ProcessingConfiguration: the ${p.Type} processor is given more than once.`);
    seen.add(p.Type);
    const where = `ProcessingConfiguration.Processors[${index}] (${p.Type})`;
    const params = parameters(p, index);
    switch (p.Type) {
      case 'Lambda': {
        const arn = params.get('LambdaArn')!;
        if (!LAMBDA_ARN.test(arn)) fail(`${where}: LambdaArn '${arn}' is not a Lambda function ARN or name.`);
        const small = ctx.destination === 'splunk' || ctx.destination === 'snowflake';
        out.lambda = {
          lambdaArn: arn,
          numberOfRetries: numberIn(where, 'NumberOfRetries', params.get('NumberOfRetries'), LAMBDA_LIMITS.retries, LAMBDA_LIMITS.retries.default, true),
          bufferSizeBytes: Math.round(MB * numberIn(where, 'BufferSizeInMBs', params.get('BufferSizeInMBs'), LAMBDA_LIMITS.bufferSizeMB,
            small ? LAMBDA_LIMITS.bufferSizeMB.smallDefault : LAMBDA_LIMITS.bufferSizeMB.default, false)),
          bufferIntervalMs: 1000 * numberIn(where, 'BufferIntervalInSeconds', params.get('BufferIntervalInSeconds'), LAMBDA_LIMITS.intervalSeconds,
            ctx.destination === 'snowflake' ? LAMBDA_LIMITS.intervalSeconds.snowflakeDefault : LAMBDA_LIMITS.intervalSeconds.default, true),
        };
        const role = params.get('RoleArn');
        if (role !== undefined) out.lambda.roleArn = role;
        break;
      }
      case 'RecordDeAggregation': {
        const type = params.get('SubRecordType')!;
        if (type !== 'JSON' && type !== 'DELIMITED' && type !== 'KPL') fail(`${where}: SubRecordType '${type}' must be JSON, DELIMITED or KPL.`);
        if (type === 'DELIMITED') out.deaggregation = { subRecordType: type, delimiter: base64Delimiter(where, params.get('Delimiter')) };
        else if (params.has('Delimiter')) fail(`${where}: Delimiter is only valid when SubRecordType is DELIMITED.`);
        else out.deaggregation = { subRecordType: type };
        break;
      }
      case 'Decompression': {
        const format = params.get('CompressionFormat') ?? 'GZIP';
        if (format !== 'GZIP') fail(`${where}: CompressionFormat '${format}' is not supported; the only value is GZIP.`);
        out.decompression = { format };
        break;
      }
      case 'CloudWatchLogProcessing': {
        const v = params.get('DataMessageExtraction')!;
        if (v !== 'true' && v !== 'false') fail(`${where}: DataMessageExtraction must be 'true' or 'false', not '${v}'.`);
        out.cloudWatchLogs = { dataMessageExtraction: v === 'true' };
        break;
      }
      case 'MetadataExtraction': {
        const engine = params.get('JsonParsingEngine')!;
        if (engine !== 'JQ-1.6') fail(`${where}: JsonParsingEngine '${engine}' is not supported; the only value is JQ-1.6.`);
        out.metadataExtraction = { query: params.get('MetadataExtractionQuery')!, engine };
        break;
      }
      case 'AppendDelimiterToRecord': {
        const v = params.get('Delimiter');
        const delimiter = v === undefined ? Buffer.from('\n') : decodeEscapedDelimiter(v);
        if (delimiter.length === 0) fail(`${where}: Delimiter must not be empty.`);
        out.appendDelimiter = { delimiter };
        break;
      }
    }
  });
  if (out.cloudWatchLogs && !out.decompression) {
    fail('ProcessingConfiguration: the CloudWatchLogProcessing processor needs the Decompression processor (CloudWatch Logs data arrives gzipped).');
  }
  if (out.metadataExtraction && !ctx.dynamicPartitioning) {
    fail('ProcessingConfiguration: the MetadataExtraction processor can only be used when dynamic partitioning is enabled.');
  }
  return out;
}
