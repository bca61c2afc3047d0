import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { compressionProblem, CopyOptionsError, parseCopyOptions, postgresProblem } from '../../../sinks/redshift/copy-options.js';
import { ObjectInput, pgCopyStatement } from '../../../sinks/redshift/pg-input.js';
import { redshiftCopyStatement } from '../../../sinks/redshift/loader.js';
import { parseJdbcUrl } from '../../../sinks/redshift/jdbc-url.js';
import { parseColumns, parseTableName } from '../../../sinks/redshift/identifiers.js';
import { topLevelMembers } from '../../../sinks/redshift/json-members.js';

describe('CopyOptions → PostgreSQL COPY FROM STDIN', () => {
  const cases: [string, string][] = [
    ['', "COPY t FROM STDIN WITH (FORMAT text, DELIMITER '|', NULL '\\\\N')"],
    ['ESCAPE', "COPY t FROM STDIN WITH (FORMAT text, DELIMITER '|', NULL '\\N')"],
    ["DELIMITER '\\t' NULL AS 'null'", "COPY t FROM STDIN WITH (FORMAT text, DELIMITER '\t', NULL 'null')"],
    ["delimiter as ',' gzip compupdate off statupdate off region 'us-east-1'", "COPY t FROM STDIN WITH (FORMAT text, DELIMITER ',', NULL '\\\\N')"],
    ['CSV', 'COPY t FROM STDIN WITH (FORMAT csv)'],
    ["FORMAT AS CSV QUOTE AS '''' DELIMITER ';' NULL ''", "COPY t FROM STDIN WITH (FORMAT csv, DELIMITER ';', QUOTE '''', NULL '')"],
    ["JSON 'auto'", 'COPY t FROM STDIN WITH (FORMAT csv)'],
    ["IAM_ROLE 'arn:aws:iam::1:role/x' MANIFEST CSV IGNOREHEADER 1 DATEFORMAT 'YYYY-MM-DD' TIMEFORMAT 'auto'", 'COPY t FROM STDIN WITH (FORMAT csv)'],
  ];
  it.each(cases)('%s', (text, statement) => {
    const o = parseCopyOptions(text);
    expect(postgresProblem(o)).toBeUndefined();
    expect(pgCopyStatement('t', [], o)).toBe(statement);
  });

  it('lists the columns and FORCE_NULL for CSV EMPTYASNULL', () => {
    expect(pgCopyStatement('"s"."t"', ['a', 'B c'], parseCopyOptions('CSV EMPTYASNULL')))
      .toBe('COPY "s"."t" ("a", "B c") FROM STDIN WITH (FORMAT csv, FORCE_NULL ("a", "B c"))');
  });

  const refused: [string, RegExp][] = [
    ['MAXERROR 5', /MAXERROR is not supported/],
    ['CSV ACCEPTINVCHARS', /ACCEPTINVCHARS is not supported/],
    ['TRUNCATECOLUMNS', /TRUNCATECOLUMNS/],
    ['BZIP2', /BZIP2 is not supported/],
    ["FIXEDWIDTH 'a:3'", /FIXEDWIDTH/],
    ['FORMAT AS PARQUET', /FORMAT PARQUET/],
    ["JSON 'auto' DELIMITER ','", /DELIMITER cannot be used with JSON/],
    ["QUOTE '\"'", /QUOTE can only be used with CSV/],
    ['CSV ESCAPE', /ESCAPE cannot be used with CSV/],
    ["DELIMITER '||'", /single one-byte character/],
    ['BLANKSASNULL', /BLANKSASNULL is not supported/],
    ["TIMEFORMAT 'epochsecs'", /only with JSON/],
    ["DATEFORMAT 'MON DD YYYY'", /DATEFORMAT 'MON DD YYYY' is not supported/],
    ["DATEFORMAT 'DD/MM/YYYY' TIMEFORMAT 'MM/DD/YYYY HH:MI:SS'", /different orders/],
    ['ENCODING UTF16', /ENCODING UTF16/],
    ['WHATEVER', /WHATEVER is not a Redshift COPY option/],
  ];
  it.each(refused)('refuses %s', (text, message) => {
    expect(postgresProblem(parseCopyOptions(text))).toMatch(message);
  });

  it('rejects text that is not COPY options at all', () => {
    expect(() => parseCopyOptions("DELIMITER '|")).toThrow(CopyOptionsError);
    expect(() => parseCopyOptions('IGNOREHEADER x')).toThrow(/whole number/);
    expect(() => parseCopyOptions("'x'")).toThrow(/option name/);
  });

  it('GZIP must match the intermediate bucket', () => {
    expect(compressionProblem(parseCopyOptions('CSV'), 'GZIP')).toMatch(/must contain GZIP/);
    expect(compressionProblem(parseCopyOptions('CSV GZIP'), 'UNCOMPRESSED')).toMatch(/contains GZIP/);
    expect(compressionProblem(parseCopyOptions('gzip'), 'GZIP')).toBeUndefined();
  });

  it("builds Firehose's Redshift statement", () => {
    const settings = { table: '"public"."t"', columns: ['a', 'b'], optionsText: " JSON 'auto' GZIP " } as Parameters<typeof redshiftCopyStatement>[0];
    expect(redshiftCopyStatement(settings, "s3://b/p/manifests/x'y", 'arn:aws:iam::1:role/r'))
      .toBe(`COPY "public"."t" ("a", "b") FROM 's3://b/p/manifests/x''y' CREDENTIALS 'aws_iam_role=arn:aws:iam::1:role/r' MANIFEST JSON 'auto' GZIP`);
  });
});

describe('ClusterJDBCURL and identifiers', () => {
  it('parses both dialects with defaults and parameters', () => {
    expect(parseJdbcUrl('jdbc:redshift://c.abc.us-east-1.redshift.amazonaws.com:5439/dev')).toMatchObject({ dialect: 'redshift', port: 5439, database: 'dev', ssl: 'require' });
    expect(parseJdbcUrl('jdbc:postgresql://localhost/db')).toMatchObject({ dialect: 'postgresql', host: 'localhost', port: 5432, ssl: 'disable' });
    expect(parseJdbcUrl('jdbc:postgresql://[::1]:6543/db?sslmode=verify-full&connectTimeout=3')).toMatchObject({ host: '::1', port: 6543, ssl: 'verify-full', connectTimeoutMs: 3000 });
    expect(() => parseJdbcUrl('jdbc:mysql://h/db')).toThrow(/ClusterJDBCURL/);
    expect(() => parseJdbcUrl('jdbc:postgresql://h:99999/db')).toThrow(/port/);
    expect(() => parseJdbcUrl('jdbc:postgresql://h/db?user=x')).toThrow(/parameter 'user'/);
  });

  it('folds unquoted names and keeps quoted ones; refuses anything else', () => {
    expect(parseTableName('Sales.Orders').map((p) => p.sql)).toEqual(['"sales"', '"orders"']);
    expect(parseTableName('"My Schema"."T""1"').map((p) => p.name)).toEqual(['My Schema', 'T"1']);
    expect(parseColumns(' a, "B", c$1 ').map((c) => c.name)).toEqual(['a', 'B', 'c$1']);
    expect(() => parseTableName('t; DROP TABLE x')).toThrow(/not a valid identifier/);
    expect(() => parseColumns('a,a')).toThrow(/twice/);
    expect(() => parseColumns('a,"b')).toThrow(/unterminated/);
  });
});

async function through(input: ObjectInput, chunks: (string | Buffer)[]): Promise<string> {
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    Readable.from(chunks.map((c) => Buffer.from(c))).pipe(input).on('data', (d: Buffer) => out.push(d)).on('end', resolve).on('error', reject);
  });
  return Buffer.concat(out).toString();
}

describe('ObjectInput (one staged object made ready for COPY)', () => {
  it('skips IGNOREHEADER lines across chunks and ends the last line', async () => {
    const input = new ObjectInput({ options: parseCopyOptions('CSV IGNOREHEADER 2'), url: 's3://b/k' });
    expect(await through(input, ['h1\nh', '2\n1,a\n', '2,b'])).toBe('1,a\n2,b\n');
  });

  it("doubles backslashes for text without ESCAPE, as Redshift reads them literally", async () => {
    expect(await through(new ObjectInput({ options: parseCopyOptions(''), url: 'u' }), ['a\\b|\\N\n'])).toBe('a\\\\b|\\\\N\n');
    expect(await through(new ObjectInput({ options: parseCopyOptions('ESCAPE'), url: 'u' }), ['a\\|b\n'])).toBe('a\\|b\n');
  });

  it("turns concatenated JSON objects split anywhere into CSV rows in column order", async () => {
    const columns = [{ name: 'id', type: 'bigint' }, { name: 'msg', type: 'text' }, { name: 'at', type: 'timestamp without time zone' }];
    const input = new ObjectInput({ options: parseCopyOptions("JSON 'auto' TIMEFORMAT 'epochsecs' EMPTYASNULL"), columns, url: 'u' });
    const text = '{"msg":"a,\\"b\\"\\n{}","id":12345678901234567890,"at":1700000000}{"id":2,"msg":""} \n{"at":null}';
    const chunked = [];
    for (let i = 0; i < text.length; i += 3) chunked.push(text.slice(i, i + 3));
    expect(await through(input, chunked)).toBe('"12345678901234567890","a,""b""\n{}","2023-11-14T22:13:20.000Z"\n"2",,\n,,\n');
    expect(input.rows).toBe(3);
  });

  it('refuses what is not a JSON object', async () => {
    const input = new ObjectInput({ options: parseCopyOptions("JSON 'auto'"), columns: [], url: 's3://b/k' });
    await expect(through(input, ['{"a":1} [1]'])).rejects.toThrow(/s3:\/\/b\/k: byte 8: expected a JSON object/);
    await expect(through(new ObjectInput({ options: parseCopyOptions("JSON 'auto'"), columns: [], url: 'u' }), ['{"a":tru}'])).rejects.toThrow(/invalid JSON object/);
    await expect(through(new ObjectInput({ options: parseCopyOptions("JSON 'auto'"), columns: [], url: 'u' }), ['{"a":1'])).rejects.toThrow(/incomplete/);
  });

  it('reads top-level members as raw JSON', () => {
    expect([...topLevelMembers(' { "a" : 1e3 , "b":{"c":[1,"}"]}, "a\\u0041":"x" } ')]).toEqual([['a', '1e3'], ['b', '{"c":[1,"}"]}'], ['aA', '"x"']]);
  });
});
