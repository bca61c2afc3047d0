export { compileModel, type CompiledModel, type ParseOptions } from './compile.js';
export { firehoseModel, kinesisModel } from './models.js';
export { decodeStrictBase64 } from './base64.js';
export { MAX_VALIDATION_ERRORS } from './errors.js';
export type { ServiceModel, ModelShape, ModelOperation, ShapeType } from './model-types.js';
export type * from './inputs.js';
