// Child processes of a benchmark: every one tracked here is killed when this process exits,
// however it exits (normal exit, Ctrl-C, SIGTERM).
const live = new Set();

function killAll() {
  for (const child of live) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Track `child` until it exits. */
export function track(child) {
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}
