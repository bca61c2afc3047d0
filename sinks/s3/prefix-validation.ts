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
  return null;
}
