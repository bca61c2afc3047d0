import firehoseJson from './models/firehose.json' with { type: 'json' };
import kinesisJson from './models/kinesis.json' with { type: 'json' };
import { compileModel, type CompiledModel } from './compile.js';
import type { ServiceModel } from './model-types.js';

/**
 * Where Hydrant deliberately accepts more than AWS's model does, each with the reason. Semantic
 * checks (InvalidArgumentException naming the field) still apply after the model.
 */
const HYDRANT_RELAXATIONS: Record<string, { pattern: string }> = {
  // AWS accepts only `*.redshift(-serverless).*` hosts; Hydrant loads into any PostgreSQL or
  // Redshift host (localhost, a compose service name, an IP address), with JDBC parameters.
  ClusterJDBCURL: { pattern: 'jdbc:(redshift|postgresql)://.+' },
  // AWS insists on https (and port 443); self-hosted endpoints often run on localhost over http.
  HttpEndpointUrl: { pattern: 'https?://.*' },
  AmazonopensearchserviceClusterEndpoint: { pattern: 'https?:.*' },
  ElasticsearchClusterEndpoint: { pattern: 'https?:.*' },
};

function relaxed(model: ServiceModel, relaxations: Record<string, { pattern: string }>): ServiceModel {
  const shapes = { ...model.shapes };
  for (const [name, change] of Object.entries(relaxations)) {
    if (!shapes[name]) throw new Error(`model has no shape ${name} to relax`);
    shapes[name] = { ...shapes[name], ...change };
  }
  return { ...model, shapes };
}

/** Amazon Data Firehose (`Firehose_20150804`), compiled once at import. */
export const firehoseModel: CompiledModel = compileModel(relaxed(firehoseJson as unknown as ServiceModel, HYDRANT_RELAXATIONS));

/** Amazon Kinesis Data Streams (`Kinesis_20131202`), compiled once at import. */
export const kinesisModel: CompiledModel = compileModel(kinesisJson as unknown as ServiceModel);
