/**
 * Hive column types, as Glue tables declare them (`string`, `int`, `decimal(10,2)`,
 * `array<string>`, `map<string,int>`, `struct<a:int,b:string>`, ...): the schema language of
 * record format conversion. `uniontype` is refused, as Firehose refuses it.
 */

export type HiveType =
  | { kind: 'string' | 'boolean' | 'tinyint' | 'smallint' | 'int' | 'bigint' | 'float' | 'double' | 'date' | 'timestamp' | 'binary' }
  | { kind: 'char' | 'varchar'; length: number }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'array'; element: HiveType }
  | { kind: 'map'; key: HiveType; value: HiveType }
  | { kind: 'struct'; fields: { name: string; type: HiveType }[] };

/** A column type that cannot be parsed; the message names the problem. */
export class HiveTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HiveTypeError';
  }
}

const SIMPLE: Record<string, HiveType['kind']> = {
  string: 'string', boolean: 'boolean', tinyint: 'tinyint', smallint: 'smallint', int: 'int', integer: 'int',
  bigint: 'bigint', float: 'float', double: 'double', 'double precision': 'double', date: 'date', timestamp: 'timestamp', binary: 'binary',
};

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  parse(): HiveType {
    const t = this.type();
    this.space();
    if (this.i < this.text.length) this.fail(`unexpected '${this.text.slice(this.i)}'`);
    return t;
  }

  private fail(why: string): never {
    throw new HiveTypeError(`'${this.text}' is not a valid Hive type: ${why}`);
  }

  private space(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i])) this.i++;
  }

  private word(): string {
    this.space();
    const m = /^[A-Za-z_][A-Za-z0-9_]*( precision)?/i.exec(this.text.slice(this.i));
    if (!m) this.fail(`expected a type name at position ${this.i}`);
    this.i += m[0].length;
    return m[0].toLowerCase();
  }

  private expect(c: string): void {
    this.space();
    if (this.text[this.i] !== c) this.fail(`expected '${c}' at position ${this.i}`);
    this.i++;
  }

  private peek(c: string): boolean {
    this.space();
    return this.text[this.i] === c;
  }

  private int(): number {
    this.space();
    const m = /^\d+/.exec(this.text.slice(this.i));
    if (!m) this.fail(`expected a number at position ${this.i}`);
    this.i += m[0].length;
    return Number(m[0]);
  }

  private fieldName(): string {
    this.space();
    if (this.text[this.i] === '`') {
      const end = this.text.indexOf('`', this.i + 1);
      if (end < 0) this.fail('unclosed `');
      const name = this.text.slice(this.i + 1, end);
      this.i = end + 1;
      return name;
    }
    return this.word();
  }

  private type(): HiveType {
    const name = this.word();
    if (SIMPLE[name]) return { kind: SIMPLE[name] } as HiveType;
    switch (name) {
      case 'char':
      case 'varchar': {
        this.expect('(');
        const length = this.int();
        this.expect(')');
        return { kind: name, length };
      }
      case 'decimal': {
        let precision = 10;
        let scale = 0;
        if (this.peek('(')) {
          this.expect('(');
          precision = this.int();
          if (this.peek(',')) {
            this.expect(',');
            scale = this.int();
          }
          this.expect(')');
        }
        if (precision < 1 || precision > 38 || scale > precision) this.fail(`decimal(${precision},${scale}) needs 1 <= precision <= 38 and scale <= precision`);
        return { kind: 'decimal', precision, scale };
      }
      case 'array': {
        this.expect('<');
        const element = this.type();
        this.expect('>');
        return { kind: 'array', element };
      }
      case 'map': {
        this.expect('<');
        const key = this.type();
        this.expect(',');
        const value = this.type();
        this.expect('>');
        return { kind: 'map', key, value };
      }
      case 'struct': {
        this.expect('<');
        const fields: { name: string; type: HiveType }[] = [];
        while (!this.peek('>')) {
          if (fields.length > 0) this.expect(',');
          const fieldName = this.fieldName();
          this.expect(':');
          fields.push({ name: fieldName, type: this.type() });
        }
        this.expect('>');
        return { kind: 'struct', fields };
      }
      case 'uniontype':
        this.fail('uniontype is not supported by record format conversion');
      // eslint-disable-next-line no-fallthrough -- fail() never returns
      default:
        this.fail(`unknown type '${name}'`);
    }
  }
}

/** Parses a Hive type string. Throws HiveTypeError. */
export function parseHiveType(text: string): HiveType {
  return new Parser(text).parse();
}
