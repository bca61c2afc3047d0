import { AwsError } from '../../core/aws-error.js';
import { DeserializerCompiler, type Converter, type DeserializerOptions } from './deserialize.js';
import { unknownOperation, validationError } from './errors.js';
import type { ServiceModel } from './model-types.js';
import { ValidatorCompiler, type ValidationContext, type Validator } from './validate.js';

/** How the body handed to `parse` was encoded on the wire. */
export type ParseOptions = DeserializerOptions;

/** A service model compiled into closures once; `parse` does no model interpretation per call. */
export interface CompiledModel {
  readonly model: ServiceModel;
  /** e.g. `Firehose_20150804`. */
  readonly targetPrefix: string;
  /** SigV4 signing name, e.g. `firehose`. */
  readonly signingName: string;
  readonly operationNames: readonly string[];
  hasOperation(operation: string): boolean;
  /** `Firehose_20150804.PutRecord` → `PutRecord`; undefined for another prefix or an unknown operation. */
  operationFromTarget(target: string | undefined): string | undefined;
  /**
   * Checks an operation's input exactly like AWS's front end and returns it, with blobs decoded
   * to `Buffer`, timestamps as epoch seconds, integers truncated/clamped and null members
   * removed. Works IN PLACE on `body` (the freshly decoded JSON, or CBOR with `{ cbor: true }`),
   * so nothing is copied; both encodings yield identical values. Throws AwsError:
   * UnknownOperationException, SerializationException (first type mismatch), ValidationException
   * (all constraint violations, at most 10).
   */
  parse<T = unknown>(operation: string, body: unknown, options?: ParseOptions): T;
  /** The modeled error shapes of an operation. */
  operationErrors(operation: string): readonly string[];
  /** HTTP status of a modeled error shape (`error.httpStatusCode`, else 500 for faults, else 400); undefined if not an error shape. */
  errorStatus(errorName: string): number | undefined;
  /** An AwsError for a modeled error shape with the model's status. */
  error(errorName: string, message: string, extra?: Record<string, unknown>): AwsError;
}

interface CompiledOperation {
  read: Converter;
  readCbor: Converter;
  validate: Validator | null;
  errors: readonly string[];
}

const noInput: Converter = (v) => v;

export function compileModel(model: ServiceModel): CompiledModel {
  const readers = new DeserializerCompiler(model);
  const cborReaders = new DeserializerCompiler(model, { cbor: true });
  const validators = new ValidatorCompiler(model);
  const ops = new Map<string, CompiledOperation>();
  for (const [name, op] of Object.entries(model.operations)) {
    ops.set(name, {
      read: op.input ? readers.converter(op.input) : noInput,
      readCbor: op.input ? cborReaders.converter(op.input) : noInput,
      validate: op.input ? validators.validator(op.input) : null,
      errors: Object.freeze([...op.errors]),
    });
  }
  const statuses = new Map<string, number>();
  for (const [name, shape] of Object.entries(model.shapes)) {
    if (shape.exception) statuses.set(name, shape.error?.httpStatusCode ?? (shape.fault ? 500 : 400));
  }
  const prefix = model.metadata.targetPrefix + '.';

  return {
    model,
    targetPrefix: model.metadata.targetPrefix,
    signingName: model.metadata.signingName,
    operationNames: Object.freeze([...ops.keys()]),
    hasOperation: (operation) => ops.has(operation),
    operationFromTarget(target) {
      if (target === undefined || !target.startsWith(prefix)) return undefined;
      const op = target.slice(prefix.length);
      return ops.has(op) ? op : undefined;
    },
    parse<T>(operation: string, body: unknown, options?: ParseOptions): T {
      const op = ops.get(operation);
      if (op === undefined) throw unknownOperation();
      const read = options?.cbor === true ? op.readCbor : op.read;
      const value = read(body === undefined || body === null ? {} : body);
      if (op.validate !== null) {
        const ctx: ValidationContext = { errors: [], path: [] };
        op.validate(value, ctx);
        if (ctx.errors.length > 0) throw validationError(ctx.errors);
      }
      return value as T;
    },
    operationErrors(operation) {
      return ops.get(operation)?.errors ?? [];
    },
    errorStatus: (errorName) => statuses.get(errorName),
    error(errorName, message, extra) {
      return new AwsError(errorName, message, statuses.get(errorName) ?? 400, extra ? { extra } : {});
    },
  };
}
