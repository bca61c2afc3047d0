import firehoseJson from './models/firehose.json' with { type: 'json' };
import kinesisJson from './models/kinesis.json' with { type: 'json' };
import { compileModel, type CompiledModel } from './compile.js';
import type { ServiceModel } from './model-types.js';

/**
 * Where a self-hosted Firehose must accept more than AWS's model does, each with the reason.
 * Semantic checks (InvalidArgumentException naming the field) still apply after the model.
 */
const FIREHOSE_RELAXED_PATTERNS: Record<string, string> = {
  // AWS accepts only `*.redshift(-serverless).*` hosts; Hydrant loads into any PostgreSQL or
  // Redshift host (localhost, a compose service name, an IP address), with JDBC parameters.
  ClusterJDBCURL: 'jdbc:(redshift|postgresql)://.+',
};

function relax(model: ServiceModel, patterns: Record<string, string>): ServiceModel {
  for (const [shape, pattern] of Object.entries(patterns)) {
    if (!model.shapes[shape]) throw new Error(`relaxed shape ${shape} is not in the model`);
    model.shapes[shape] = { ...model.shapes[shape], pattern };
  }
  return model;
}

/** Amazon Data Firehose (`Firehose_20150804`), compiled once at import. */
export const firehoseModel: CompiledModel = compileModel(relax(firehoseJson as unknown as ServiceModel, FIREHOSE_RELAXED_PATTERNS));

/** Amazon Kinesis Data Streams (`Kinesis_20131202`), compiled once at import. */
export const kinesisModel: CompiledModel = compileModel(kinesisJson as unknown as ServiceModel);
