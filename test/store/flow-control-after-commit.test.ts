/**
 * Who listens to flow-control state — the Web App's live Flow Control view (the queue-count series and its
 * `count` stream), the other instances (the hub bus), the participants' event WebSockets (FLOW_CONTROL) —
 * hears of a change only once it is committed, in commit order, exactly once. A state saved in a
 * transaction that then fails never existed, and nobody may be told of it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { testBackend } from '../helpers/database.js';
import { useHarness } from '../helpers/harness.js';

/** While set, the next group-commit batch waits for the test instead of the next event-loop turn. */
let holdNextCommit = false;
let heldCommit: (() => void) | undefined;

// Watermarks low enough that the second message in LNSPNORTH's queue crosses Warn (QUEUE_WARN).
const h = useHarness({ profile: 'ci', fcPqdLow: 1, fcPqdWarn: 2, fcPqdHigh: 4 }, () => ({
  scheduleCommit: (commit) => {
    if (holdNextCommit) heldCommit = commit;
    else setImmediate(commit);
  },
}));
afterEach(() => {
  heldCommit?.();
  heldCommit = undefined;
  holdNextCommit = false;
});

/** Everything told to the in-process listeners, in order. */
function listen(): string[] {
  const heard: string[] = [];
  h().ctx.queueSeries.onChange((participantId, _bf, sample) => heard.push(`count ${participantId} ${sample.messageCount} ${sample.messageStatus}`));
  h().ctx.events.observe((participantId, frame) => {
    if (frame.eventType === 'FLOW_CONTROL') heard.push(`FLOW_CONTROL ${participantId} ${frame.subType} ${frame.messageCount}`);
  });
  return heard;
}

/**
 * The database loses the open transaction under the hub, so that its COMMIT fails: SQLite has it rolled
 * back; PostgreSQL has a statement fail in it (PostgreSQL then rolls it back, and the port refuses the COMMIT).
 */
function loseTransaction(): void {
  if (testBackend() === 'sqlite') {
    h().ctx.db.exec('ROLLBACK');
    return;
  }
  expect(() => h().ctx.db.exec('SELECT no_such_column FROM flow_control')).toThrow();
}

/**
 * Submits as MDPONE into a group-commit batch held open until the submission has written (`queuedWhileOpen`
 * queue items in LNSPNORTH's queue), then loses the transaction under it, so that its COMMIT fails.
 */
async function submitIntoLostBatch(queuedWhileOpen: number) {
  holdNextCommit = true;
  const failing = h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
  const deadline = Date.now() + 5000;
  while ((heldCommit === undefined || queued() < queuedWhileOpen) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  expect(queued(), 'the submission wrote inside the held batch').toBe(queuedWhileOpen);
  loseTransaction();
  const commit = heldCommit!;
  heldCommit = undefined;
  holdNextCommit = false;
  commit();
  return failing;
}

const queued = () => (h().ctx.db.prepare("SELECT count(*) AS n FROM queue_items WHERE recipient_id = 'LNSPNORTH'").get() as { n: number }).n;

describe('flow-control listeners hear of a state only after it committed', () => {
  it('a submission whose batch fails to commit announces nothing; its successful resend announces once', async () => {
    const first = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    expect(first.statusCode, first.body).toBe(200);
    const heard = listen();

    // The next submission's batch is held open, then the database loses the transaction under it: the
    // COMMIT fails and its writes (LNSPNORTH's count going to 2, status Warned) are undone.
    expect((await submitIntoLostBatch(2)).statusCode).toBeGreaterThanOrEqual(500);
    expect(queued()).toBe(1);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(heard, 'told of a state that was rolled back').toEqual([]);
    expect(h().ctx.queueSeries.samples('LNSPNORTH', 'pqd').map((s) => s.messageCount)).toEqual([1]);

    const resent = await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    expect(resent.statusCode, resent.body).toBe(200);
    // The resend is the first committed crossing of Warn with arrivals outpacing deletions, so it raises the
    // delete-rate alert too — the failed attempt raised it only in memory, and that was undone with its writes
    // (the same sequence as a second submission that never failed, below).
    expect(heard).toEqual(['FLOW_CONTROL LNSPNORTH QUEUE_WARN 2', 'FLOW_CONTROL LNSPNORTH INSUFFICIENT_DELETE_RATE 2', 'count LNSPNORTH 2 Warned']);
  });

  it('submissions sharing one batch announce their states in commit order, once each; the refused one announces nothing', async () => {
    const heard = listen();
    // Three submissions in one turn share one batch; the middle one is refused by the database (its
    // messageContextId repeats the first's: the duplicate is rolled back to its savepoint).
    const duplicate = h().payload({ sender: 'MDPONE' });
    const contextId = h().contextId('MDPONE');
    const [a, b, c] = await Promise.all([
      h().submit('MDPONE', duplicate, { 'x-messageContextId': contextId }),
      h().submit('MDPONE', duplicate, { 'x-messageContextId': contextId }),
      h().submit('MDPONE', h().payload({ sender: 'MDPONE' })),
    ]);
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([200, 409, 200]);
    expect(queued()).toBe(2);
    expect(heard).toEqual(['count LNSPNORTH 1 Normal', 'FLOW_CONTROL LNSPNORTH QUEUE_WARN 2', 'FLOW_CONTROL LNSPNORTH INSUFFICIENT_DELETE_RATE 2', 'count LNSPNORTH 2 Warned']);
  });

  it('what a failed submission changed in memory is undone: a sender told QUEUE_FULL only by it is told again on its resend', async () => {
    // LNSPNORTH stops its outbound delivery: each sender is told once per stop that its messages are held.
    h().ctx.delivery.setOutboundDelivery('LNSPNORTH', 'pqd', 'Stopped', 'trace-stop');
    const heard = listen();

    // MDPONE's first submission into the stopped queue is held and would tell MDPONE, but its batch fails.
    expect((await submitIntoLostBatch(1)).statusCode).toBeGreaterThanOrEqual(500);
    expect(queued()).toBe(0);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(heard.filter((e) => e.startsWith('FLOW_CONTROL MDPONE')), 'told of a hold that was rolled back').toEqual([]);

    // Its resend is held, and now MDPONE is told (once: a second held message tells it nothing new).
    for (let i = 0; i < 2; i++) expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
    expect(heard.filter((e) => e.startsWith('FLOW_CONTROL MDPONE'))).toEqual(['FLOW_CONTROL MDPONE QUEUE_FULL 0']);
  });

  it('a manual start that joined a batch whose COMMIT fails is undone in memory too: senders told of the stop are not told again', async () => {
    h().ctx.delivery.setOutboundDelivery('LNSPNORTH', 'pqd', 'Stopped', 'trace-stop');
    const heard = listen();
    // MDPONE's first message into the stopped queue is held and tells it so (once per stop).
    expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
    expect(heard.filter((e) => e.startsWith('FLOW_CONTROL MDPONE'))).toEqual(['FLOW_CONTROL MDPONE QUEUE_FULL 0']);

    // A second submission's batch is held open; the participant's manual start runs in the same turn, so it
    // joins that batch (same connection) — and forgets, in memory, which senders were told of the stop.
    holdNextCommit = true;
    const failing = h().submit('MDPONE', h().payload({ sender: 'MDPONE' }));
    const deadline = Date.now() + 5000;
    while ((heldCommit === undefined || queued() < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(h().ctx.delivery.setOutboundDelivery('LNSPNORTH', 'pqd', 'Started', 'trace-start').outboundDelivery).toBe('Started');
    loseTransaction();
    const commit = heldCommit!;
    heldCommit = undefined;
    holdNextCommit = false;
    commit();
    expect((await failing).statusCode).toBeGreaterThanOrEqual(500);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));

    // The start never happened: delivery is still stopped, and MDPONE, already told in this stop, is not told again.
    expect(h().ctx.flowControlStore.get('LNSPNORTH', 'pqd', h().ctx.clock.now()).outboundDelivery).toBe('Stopped');
    expect((await h().submit('MDPONE', h().payload({ sender: 'MDPONE' }))).statusCode).toBe(200);
    expect(heard.filter((e) => e.startsWith('FLOW_CONTROL MDPONE')), 'told twice in one stop').toEqual(['FLOW_CONTROL MDPONE QUEUE_FULL 0']);
  });
});
