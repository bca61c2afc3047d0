import firehoseJson from './models/firehose.json' with { type: 'json' };
import kinesisJson from './models/kinesis.json' with { type: 'json' };
import { compileModel, type CompiledModel } from './compile.js';
import type { ServiceModel } from './model-types.js';

/** Amazon Data Firehose (`Firehose_20150804`), compiled once at import. */
export const firehoseModel: CompiledModel = compileModel(firehoseJson as unknown as ServiceModel);

/** Amazon Kinesis Data Streams (`Kinesis_20131202`), compiled once at import. */
export const kinesisModel: CompiledModel = compileModel(kinesisJson as unknown as ServiceModel);
