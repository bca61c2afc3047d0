/**
 * Secrets that AWS keeps in Secrets Manager (`SecretsManagerConfiguration.SecretARN`), resolved
 * from Hydrant's own configuration instead:
 * 1. the config file's `secrets` object, keyed by the secret's ARN (or by its name, the part
 *    after `:secret:`), whose value is the secret's JSON (an object such as
 *    `{"username": "...", "password": "..."}`, or a JSON string);
 * 2. the environment variable `HYDRANT_SECRET_<NAME>`, where NAME is the secret's name upper-cased
 *    with every character other than A–Z and 0–9 turned into `_` (ARN
 *    `arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/redshift-AbCdEf` →
 *    `HYDRANT_SECRET_PROD_REDSHIFT_ABCDEF`), holding the same JSON.
 */

/** A secret's value: the JSON object it holds. */
export type SecretValue = Record<string, unknown>;

/** Finds a secret by ARN; undefined when it is configured nowhere. Throws when it is configured but not valid JSON. */
export type SecretResolver = (secretArn: string) => SecretValue | undefined;

/** The secret's name in an ARN (`arn:…:secret:<name>`), or the text itself when it is no ARN. */
export function secretName(arn: string): string {
  const i = arn.indexOf(':secret:');
  return i < 0 ? arn : arn.slice(i + ':secret:'.length);
}

/** The environment variable that may hold a secret. */
export function secretEnvName(arn: string): string {
  return `HYDRANT_SECRET_${secretName(arn).toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

function asValue(raw: unknown, where: string): SecretValue {
  let v = raw;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new Error(`the secret in ${where} is not JSON`);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`the secret in ${where} is not a JSON object`);
  return v as SecretValue;
}

/** A resolver over the config file's `secrets` and the environment. */
export function createSecretResolver(configured: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): SecretResolver {
  return (arn) => {
    for (const key of [arn, secretName(arn)]) {
      if (configured[key] !== undefined) return asValue(configured[key], `secrets["${key}"]`);
    }
    const name = secretEnvName(arn);
    if (env[name] !== undefined) return asValue(env[name], name);
    return undefined;
  };
}
