/**
 * One lane for long work cut into steps (building a sort order, a large add, a streamed whole-table
 * read, a long sort): each step awaits {@link nextTurn}, and the lane lets ONE waiting step go per turn of
 * the event loop, in arrival order. Between two steps the loop reads sockets and answers other requests.
 *
 * With plain `setImmediate` pauses every long operation would run one step per turn, so a small request
 * arriving while ten of them are in progress would wait for ten steps; on the lane it waits for one.
 * When nothing else is waiting, a turn is immediate and the steps run back to back.
 */

const waiting: (() => void)[] = [];
let scheduled = false;

function release(): void {
  scheduled = false;
  const next = waiting.shift();
  if (waiting.length > 0) {
    scheduled = true;
    setImmediate(release);
  }
  next?.();
}

/** Resolves when this step's turn on the lane comes (after pending I/O has been handled). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(release);
    }
  });
}
