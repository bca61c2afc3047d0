/** Data transformation: processing configuration, the processor chain, the Lambda runtime, failed-record documents. */
export { ProcessorChain, METADATA_EXTRACTION_FAILED, type ProcessorChainOptions } from './chain.js';
export { resolveProcessingConfiguration, type ProcessingConfigurationInput, type ProcessorInput, type ResolvedProcessing, type ProcessingContext } from './processing-config.js';
export { LambdaRuntime, MAX_INVOKE_PAYLOAD_BYTES, type InvokeOutcome, type LambdaRuntimeOptions } from './lambda/lambda-runtime.js';
export { planInvocations, buildEvent } from './lambda/lambda-stage.js';
export { TransformAbortedError } from './errors.js';
export { FunctionResolver, functionArn, functionNameFromArn, type FunctionDefinition, type FunctionsConfig } from './lambda/function-resolver.js';
export { checkResponse } from './lambda/response.js';
export { JqEngine, JqCompileError } from './jq/jq-engine.js';
export {
  processingFailedDocument, formatConversionFailedDocument, activePartitionExceededDocument, failureLines, ACTIVE_PARTITIONS_EXCEEDED,
  type ProcessingFailedDocument, type FormatConversionFailedDocument, type DataCatalogTable,
} from './failed-records.js';
export { TransformServices, type TransformsConfig } from './services.js';
export type { TransformInput, ProcessedRecord, RecordFailure, PartitionKeys, KinesisRecordMetadata, TransformErrorOutputType } from './types.js';
