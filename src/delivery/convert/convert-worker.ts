/** The conversion worker thread: JSON records → rows → one Parquet file, plus the records that did not fit. */
import { serveTasks } from '../../util/worker-task.js';
import type { ConvertResult, ConvertTask, RecordConversionFailure } from './convert-task.js';
import { RowReader } from './json-rows.js';
import { writeParquet } from './parquet-file.js';

serveTasks((payload) => {
  const task = payload as ConvertTask;
  const reader = new RowReader(task.columns, task.deserializer);
  const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
  const rows: unknown[][] = [];
  const failures: RecordConversionFailure[] = [];
  for (let i = 0; i + 1 < task.offsets.length; i++) {
    const out = reader.read(data.subarray(task.offsets[i], task.offsets[i + 1]));
    if (out.ok) rows.push(...out.rows);
    else failures.push({ index: i, errorCode: out.errorCode, errorMessage: out.errorMessage });
  }
  let file: Uint8Array | null = null;
  if (rows.length > 0) {
    const written = writeParquet(task.columns, rows, task.serializer);
    file = written.byteOffset === 0 && written.buffer.byteLength === written.byteLength ? written : written.slice();
  }
  const result: ConvertResult = { file, rows: rows.length, failures };
  return { result, transfer: file ? [file.buffer as ArrayBuffer] : [] };
});
