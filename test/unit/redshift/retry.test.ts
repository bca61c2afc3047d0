import { describe, expect, it } from 'vitest';
import { classifyRedshiftError } from '../../../sinks/redshift/retry.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('classifyRedshiftError', () => {
  // Firehose retries every failed COPY within the duration (a user may fix the table or the
  // password meanwhile); the code says what went wrong, `transient` whether it clears by itself.
  const table: [string, unknown, string, boolean][] = [
    ['08006 connection failure', pgError('08006'), 'Redshift.ConnectionFailed', true],
    ['08001 cannot connect', pgError('08001'), 'Redshift.ConnectionFailed', true],
    ['57P01 admin shutdown', pgError('57P01'), 'Redshift.ConnectionFailed', true],
    ['57P03 cannot connect now', pgError('57P03'), 'Redshift.ConnectionFailed', true],
    ['40001 serialization failure', pgError('40001'), 'InternalError', true],
    ['40P01 deadlock', pgError('40P01'), 'InternalError', true],
    ['53300 too many connections', pgError('53300'), 'InternalError', true],
    ['53100 disk full', pgError('53100'), 'Redshift.DiskFull', true],
    ['42P01 undefined table', pgError('42P01'), 'Redshift.TableNotFound', false],
    ['3F000 no such schema', pgError('3F000'), 'Redshift.TableNotFound', false],
    ['42703 undefined column', pgError('42703'), 'Redshift.ColumnNotFound', false],
    ['42601 syntax error', pgError('42601'), 'Redshift.SyntaxError', false],
    ['22P02 invalid text', pgError('22P02'), 'Redshift.DataLoadFailed', false],
    ['22001 value too long', pgError('22001'), 'Redshift.DataLoadFailed', false],
    ['22P04 bad copy file format', pgError('22P04'), 'Redshift.ColumnMismatch', false],
    ['23502 not null', pgError('23502'), 'Redshift.MissingColumn', false],
    ['23505 unique', pgError('23505'), 'Redshift.DataLoadFailed', false],
    ['28P01 bad password', pgError('28P01'), 'Redshift.AuthenticationFailed', false],
    ['28000 no such role', pgError('28000'), 'Redshift.AuthenticationFailed', false],
    ['3D000 no such database', pgError('3D000'), 'Redshift.DatabaseNotFound', false],
    ['42501 permission denied', pgError('42501'), 'Redshift.InsufficientPrivilege', false],
    ['25006 read-only', pgError('25006'), 'Redshift.ReadOnlyCluster', false],
    ['XX000 internal', pgError('XX000'), 'InternalError', true],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'Redshift.ConnectionFailed', true],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'Redshift.ConnectionFailed', true],
    ['pg connection terminated', new Error('Connection terminated unexpectedly'), 'Redshift.ConnectionFailed', true],
    ['pg connect timeout', new Error('timeout expired'), 'Redshift.ConnectionFailed', true],
    ['attempt timeout', Object.assign(new Error('the attempt did not finish'), { name: 'TimeoutError' }), 'Redshift.ConnectionFailed', true],
    ['missing staged object', Object.assign(new Error('no such key'), { code: 'S3.NoSuchKey' }), 'Redshift.MissingS3File', false],
    ['S3 access denied', Object.assign(new Error('denied'), { code: 'S3.AccessDenied' }), 'Redshift.S3BucketAccessDenied', false],
    ['S3 down', Object.assign(new Error('503'), { code: 'S3.SlowDown' }), 'InternalError', true],
    ['JSON the stand-in cannot load', Object.assign(new Error('bad json'), { code: 'Redshift.DataLoadFailed' }), 'Redshift.DataLoadFailed', false],
    ['anything else', 'a string', 'InternalError', true],
  ];
  it.each(table)('%s → %s', (_name, err, code, transient) => {
    const out = classifyRedshiftError(err);
    expect(out.status).toBe('retryable');
    expect(out.errorCode).toBe(code);
    expect(out.transient).toBe(transient);
  });

  it('keeps the database\'s message and SQLSTATE', () => {
    const out = classifyRedshiftError(Object.assign(pgError('22P02', 'invalid input syntax for type integer: "x"'), { detail: 'COPY t, line 1' }));
    expect(out.errorMessage).toBe('invalid input syntax for type integer: "x" (COPY t, line 1) [SQLSTATE 22P02]');
    expect(out.sqlState).toBe('22P02');
  });
});
