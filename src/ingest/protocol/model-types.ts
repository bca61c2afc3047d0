/**
 * The compact service model written by `scripts/gen-model.mjs` from botocore: only what input
 * validation and error mapping need (documentation removed).
 */
export type ShapeType =
  | 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'double' | 'float'
  | 'boolean' | 'blob' | 'timestamp';

export interface ModelShape {
  type: ShapeType;
  /** Member name → target shape name, in model order. */
  members?: Record<string, string>;
  required?: string[];
  /** List member shape. */
  member?: string;
  /** Map key and value shapes. */
  key?: string;
  value?: string;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  exception?: boolean;
  fault?: boolean;
  error?: { httpStatusCode?: number };
  /** AWS-observed order of validation errors for members (listed first, the rest in model order). */
  order?: string[];
  /** AWS-observed order in which an enum's value set is printed. */
  enumOrder?: string[];
  /** Enum values Hydrant accepts beyond AWS's (Hydrant extensions, e.g. CompressionFormat ZSTD); included in `enum`. */
  hydrantExtension?: string[];
}

export interface ModelOperation {
  input?: string;
  output?: string;
  errors: string[];
}

export interface ServiceModel {
  _source?: string;
  metadata: {
    targetPrefix: string;
    jsonVersion: string;
    signingName: string;
    endpointPrefix?: string;
    apiVersion: string;
    serviceId?: string;
  };
  operations: Record<string, ModelOperation>;
  shapes: Record<string, ModelShape>;
}
