/** `transforms.glue.tablesDir` in a config file is relative to the file, wherever Hydrant is started from. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFile } from '../../../src/config/config.js';
import { GlueTables } from '../../../src/delivery/convert/glue-tables.js';
import { tempDir } from '../../helpers/util.js';

describe('glue tables from the config file', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('hydrant-config');
    await mkdir(join(dir.path, 'tables', 'db'), { recursive: true });
    await writeFile(join(dir.path, 'tables', 'db', 't.json'), JSON.stringify({ Table: { Name: 't', DatabaseName: 'db', StorageDescriptor: { Columns: [{ Name: 'a', Type: 'int' }] } } }));
    await writeFile(join(dir.path, 'hydrant.json'), JSON.stringify({ transforms: { glue: { tablesDir: 'tables', tables: [{ DatabaseName: 'db', Name: 'inline', Columns: [{ Name: 'b', Type: 'string' }] }] } } }));
  });
  afterAll(() => dir?.remove());

  it('resolves tablesDir against the config file and keeps inline tables', async () => {
    const config = await loadConfigFile(join(dir.path, 'hydrant.json'));
    expect(config.transforms?.glue?.tablesDir).toBe(join(dir.path, 'tables'));
    const tables = new GlueTables(config.transforms!.glue!);
    expect((await tables.get('db', 't')).columns.map((c) => c.name)).toEqual(['a']);
    expect((await tables.get('db', 'inline')).columns.map((c) => c.name)).toEqual(['b']);
  });
});
