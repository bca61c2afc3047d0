import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointJournal } from '../../../src/delivery/checkpoint/journal.js';
import { tempDir } from '../../helpers/util.js';

describe('CheckpointJournal', () => {
  const dirs: { remove(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await d.remove();
  });

  it('commits only the contiguous prefix of completed batches, per shard, and survives reopen', async () => {
    const dir = await tempDir('journal');
    dirs.push(dir);
    const j = await CheckpointJournal.open(dir.path);
    expect(j.committed('s0')).toBe(0);
    await j.begin({ id: 'a', ranges: [{ shardId: 's0', first: 0, last: 9 }], target: { key: 'ka' }, cutAt: 1 });
    await j.begin({ id: 'b', ranges: [{ shardId: 's0', first: 10, last: 19 }, { shardId: 's1', first: 0, last: 4 }], target: { key: 'kb' }, cutAt: 2 });
    expect(j.resumePosition('s0')).toBe(20);
    expect(j.resumePosition('s1')).toBe(5);
    await j.complete('b');
    // 'a' is still pending: s0 must not move past it, s1 is free to move.
    expect(j.committed('s0')).toBe(0);
    expect(j.committed('s1')).toBe(5);

    const reopened = await CheckpointJournal.open(dir.path);
    expect(reopened.pending().map((p) => p.id)).toEqual(['a']);
    expect(reopened.pending()[0].target).toEqual({ key: 'ka' });
    expect(reopened.resumePosition('s0')).toBe(20);
    await reopened.complete('a');
    expect(reopened.committed('s0')).toBe(20);
    expect((await CheckpointJournal.open(dir.path)).committed('s0')).toBe(20);
  });

  it('skipTo moves reading past positions that can no longer be read', async () => {
    const dir = await tempDir('journal');
    dirs.push(dir);
    const j = await CheckpointJournal.open(dir.path);
    await j.skipTo('s0', 42);
    expect(j.resumePosition('s0')).toBe(42);
    await j.skipTo('s0', 10);
    expect(j.resumePosition('s0')).toBe(42);
  });
});
