/**
 * Create/update-time checks of a Prefix / ErrorOutputPrefix combination. Returns the message of
 * the InvalidArgumentException Firehose would answer with, or null when the combination is fine.
 * AWS words these as "The supplied prefix(es) do not satisfy the following constraint: <rule>";
 * the rules below use the developer guide's wording where it gives one.
 */
import { MAX_PREFIX_LENGTH, parsePrefix, PrefixSyntaxError, type ParsedPrefix } from './prefix.js';

export interface PrefixSettings {
  prefix?: string | null;
  errorOutputPrefix?: string | null;
  /** DynamicPartitioningConfiguration.Enabled */
  dynamicPartitioning?: boolean;
  /**
   * Where partition keys come from, when dynamic partitioning is enabled: `query` when a
   * MetadataExtraction processor runs (with `queryKeys`, the keys its query makes, when they can
   * be read from it), `lambda` when a Lambda processor runs. Omitted: those checks are skipped.
   */
  partitionKeySources?: { query?: boolean; queryKeys?: readonly string[]; lambda?: boolean };
}

const LEAD = 'The supplied prefix(es) do not satisfy the following constraint: ';

function parseField(name: 'Prefix' | 'ErrorOutputPrefix', value: string): ParsedPrefix | string {
  if (value.length > MAX_PREFIX_LENGTH) return `${name} must be at most ${MAX_PREFIX_LENGTH} characters long`;
  try {
    return parsePrefix(value);
  } catch (err) {
    if (err instanceof PrefixSyntaxError) {
      return `${LEAD}${name} may contain '!{' only as the start of a valid !{namespace:value} expression; ${err.message}`;
    }
    throw err;
  }
}

export function validatePrefixes(settings: PrefixSettings): string | null {
  const prefixText = settings.prefix ?? '';
  const errorText = settings.errorOutputPrefix ?? '';

  const prefix = parseField('Prefix', prefixText);
  if (typeof prefix === 'string') return prefix;
  const errorPrefix = parseField('ErrorOutputPrefix', errorText);
  if (typeof errorPrefix === 'string') return errorPrefix;

  if (prefix.has('error-output-type')) {
    return `${LEAD}Prefix cannot contain !{firehose:error-output-type}; it may only be used in ErrorOutputPrefix`;
  }
  if ((prefix.has('partitionKeyFromQuery') || prefix.has('partitionKeyFromLambda')) && !settings.dynamicPartitioning) {
    return `${LEAD}partitionKeyFromQuery and partitionKeyFromLambda namespaces can only be used in Prefix when dynamic partitioning is enabled`;
  }
  if (errorPrefix.has('partitionKeyFromQuery') || errorPrefix.has('partitionKeyFromLambda')) {
    return `${LEAD}ErrorOutputPrefix cannot contain partitionKeyFromQuery or partitionKeyFromLambda namespaces`;
  }
  if (!errorText && prefix.hasExpressions) {
    return `${LEAD}ErrorOutputPrefix cannot be null or empty when Prefix contains expressions`;
  }
  if (!errorText && settings.dynamicPartitioning) {
    return `${LEAD}ErrorOutputPrefix cannot be null or empty when dynamic partitioning is enabled`;
  }
  if (errorPrefix.hasExpressions && !errorPrefix.has('error-output-type')) {
    return `${LEAD}ErrorOutputPrefix must contain at least one !{firehose:error-output-type} expression when it contains expressions`;
  }
  if (settings.dynamicPartitioning) return checkPartitionKeys(prefix, settings.partitionKeySources);
  return null;
}

/** Dynamic partitioning: the Prefix uses partition keys, and each one has a source that makes it. */
function checkPartitionKeys(prefix: ParsedPrefix, sources: PrefixSettings['partitionKeySources']): string | null {
  if (!prefix.has('partitionKeyFromQuery') && !prefix.has('partitionKeyFromLambda')) {
    return `${LEAD}Prefix must contain at least one !{partitionKeyFromQuery:key} or !{partitionKeyFromLambda:key} expression when dynamic partitioning is enabled`;
  }
  if (!sources) return null;
  for (const part of prefix.parts) {
    if (typeof part === 'string') continue;
    if (part.kind === 'partitionKeyFromQuery') {
      if (!sources.query) return `${LEAD}!{partitionKeyFromQuery:${part.key}} needs a MetadataExtraction processor in ProcessingConfiguration`;
      if (sources.queryKeys && !sources.queryKeys.includes(part.key)) {
        return `${LEAD}!{partitionKeyFromQuery:${part.key}} names a key the MetadataExtractionQuery does not produce (it produces ${sources.queryKeys.join(', ') || 'no keys'})`;
      }
    } else if (part.kind === 'partitionKeyFromLambda' && !sources.lambda) {
      return `${LEAD}!{partitionKeyFromLambda:${part.key}} needs a Lambda processor in ProcessingConfiguration`;
    }
  }
  return null;
}
