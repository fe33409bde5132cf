/**
 * Delivery into outbound queues under flow control (spec §4.1 delivery flow, §4.2, §4.5, §9):
 * accepting a message for its recipients, retrieval, deletion, expiry after 10 calendar days, manual
 * stop/start — keeping the flow-control counters, the transaction log and the participant-status
 * history in step in one SQLite transaction, then publishing events once the transaction committed.
 */
import type { Clock } from '../domain/clock.js';
import { PendingEvents, type EventSink } from '../domain/events.js';
import { checkWatermarks, DeleteRateMonitor, deliveryOpen, nextMessageStatus, transitionEvent, watermarkOf, type OutboundDelivery, type Watermarks } from '../domain/flow-control.js';
import type { FlowControlRow, FlowControlStore } from '../store/flow-control-store.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { MessageStore, NewMessage, QueuedMessage } from '../store/message-store.js';
import type { TransactionLog } from '../store/transaction-log.js';

const DAY_MS = 86_400_000;

export interface DeliverySettings {
  /** Watermarks per business function id. */
  watermarks: Record<string, Watermarks>;
  /** What the flow-control message count counts: unretrieved messages (default) or every queued one. */
  countMode: 'unretrieved' | 'queued';
  queueRetentionDays: number;
  deleteRateWindowMinutes: number;
}

/** Why an accepted message is worth a remark in its transaction log entries. */
export interface AcceptanceNote {
  reasonCode: string;
  detail: string;
}

export class DeliveryService {
  private readonly deleteRate: DeleteRateMonitor;
  /**
   * Senders told a recipient's queue is full, during its current stop episode only: an entry per
   * recipient queue that is not delivering, dropped when delivery reopens (so the next breach or manual
   * stop tells them again) — never more entries than recipients × business functions.
   */
  private readonly toldSenders = new Map<string, { episode: string; senders: Set<string> }>();
  /** Queue items removed as expired since start (the control API reports how many a clock move expired). */
  private expiredSoFar = 0;

  constructor(
    private readonly commits: GroupCommit,
    private readonly messages: MessageStore,
    private readonly flow: FlowControlStore,
    private readonly log: TransactionLog,
    private readonly events: EventSink,
    private readonly settings: DeliverySettings,
    private readonly clock: Clock,
  ) {
    this.deleteRate = new DeleteRateMonitor(settings.deleteRateWindowMinutes);
  }

  /** Forgets what lives only in memory (delete-rate windows, senders told of a full queue): after a reset or snapshot restore. */
  forgetVolatileState(): void {
    this.deleteRate.clear();
    this.toldSenders.clear();
  }

  /**
   * Replaces a business function's watermarks at run time (control API `setWatermarks`); queues follow them
   * from their next arrival or retrieval. Undefined when no watermarks exist for that business function.
   */
  setWatermarks(businessFunctionId: string, w: Watermarks): Watermarks | undefined {
    if (!this.settings.watermarks[businessFunctionId]) return undefined;
    return (this.settings.watermarks[businessFunctionId] = checkWatermarks({ low: w.low, warn: w.warn, high: w.high }, businessFunctionId));
  }

  watermarks(businessFunctionId: string): Watermarks {
    const w = this.settings.watermarks[businessFunctionId];
    if (!w) throw new Error(`no watermarks configured for business function ${businessFunctionId}`);
    return w;
  }

  /**
   * Stores an accepted message and delivers (or holds) it for each recipient, atomically, together with
   * `alsoWrite` (the sender's quota count); resolves once committed, and only then are events published.
   * `note` goes on each recipient's `delivery_pending` log entry (e.g. a churn-day sender, spec §12).
   */
  async accept(message: NewMessage, recipients: readonly string[], alsoWrite: () => void = () => {}, note?: AcceptanceNote): Promise<number> {
    const pending = new PendingEvents();
    const now = message.receivedAt;
    let messagePk = 0;
    await this.inGroupCommit(pending, () => {
      alsoWrite();
      messagePk = this.messages.insertMessage(message);
      for (const recipientId of recipients) {
        let state = this.flow.get(recipientId, message.businessFunctionId, now);
        // Held messages go out first, in order: while any are held, new ones queue up behind them.
        const open = deliveryOpen(state.messageStatus, state.outboundDelivery) && state.heldCount === 0;
        const item = this.messages.enqueue(message, messagePk, recipientId, now, open ? 'delivered' : 'held');
        const held = `held: ${recipientId}'s ${message.businessFunctionId} queue is ${state.outboundDelivery === 'Stopped' ? 'manually stopped' : state.messageStatus}`;
        this.logState(item, recipientId, now, message.traceId, open ? note?.reasonCode ?? null : 'HELD',
          open ? note?.detail ?? null : note ? `${held}; ${note.detail}` : held);
        if (open) {
          this.forgetToldSenders(`${recipientId}|${message.businessFunctionId}`, pending);
          state = this.deliver(state, item, pending, now);
        } else {
          state = { ...state, heldCount: state.heldCount + 1, updatedAt: now };
          this.tellSenderQueueFull(state, message.senderId, pending);
        }
        this.watchDeleteRate(state, pending, now);
        this.save(state, pending);
      }
    });
    pending.flushTo(this.events);
    return messagePk;
  }

  /**
   * The recipients whose queue would hold a new message now (stopped by a watermark or manually, or
   * still releasing held messages), with the reason; empty when every one would receive it at once.
   */
  closedRecipients(recipients: readonly string[], businessFunctionId: string, now: number): Array<{ participantId: string; reason: string }> {
    return recipients.flatMap((participantId) => {
      const state = this.flow.get(participantId, businessFunctionId, now);
      if (deliveryOpen(state.messageStatus, state.outboundDelivery) && state.heldCount === 0) return [];
      const reason = state.outboundDelivery === 'Stopped' ? 'outbound delivery manually stopped'
        : state.messageStatus === 'Stopped' ? `message status Stopped at ${state.messageCount} unretrieved messages`
        : `${state.heldCount} held messages still waiting to be delivered`;
      return [{ participantId, reason }];
    });
  }

  /**
   * First retrieval completes delivery (spec §4.5 `completed`) and, by default, lowers the count. Written
   * in the group commit like a submission (one COMMIT per event-loop turn, not per request); resolves once
   * committed, and only then are events published.
   */
  async retrieve(recipientId: string, item: QueuedMessage, traceId: string): Promise<void> {
    const now = this.clock.now();
    const pending = new PendingEvents();
    await this.inGroupCommit(pending, () => {
      if (!this.messages.markRetrieved(item.queueItemId, now)) return;
      this.logState(item, recipientId, now, traceId, 'RETRIEVED', 'retrieved by the receiving participant', 'completed');
      if (this.settings.countMode !== 'unretrieved') return;
      let state = this.flow.get(recipientId, item.businessFunctionId, now);
      state = this.drain({ ...state, messageCount: Math.max(0, state.messageCount - 1) }, pending, now, traceId);
      this.save(state, pending);
    });
    pending.flushTo(this.events);
  }

  /**
   * Removes a message from a queue (spec §4.5 `removed`) at the recipient's request, in the group commit;
   * resolves once committed, then publishes. Expiry removes in `expire`.
   */
  async remove(recipientId: string, item: QueuedMessage, traceId: string, reasonCode: 'DELETED' | 'EXPIRED', detail: string): Promise<void> {
    const pending = new PendingEvents();
    await this.inGroupCommit(pending, () => this.removeInTransaction(recipientId, item, traceId, reasonCode, detail, pending));
    pending.flushTo(this.events);
  }

  /**
   * How many messages the recipient's queue lists (delivered, retrieved or not, not expired): the counter
   * kept with the queue, less those past the retention that expiry has not removed yet (an index range
   * over the overdue items only — normally none). Never a count of the queue.
   */
  queueSize(recipientId: string, businessFunctionId: string, expiredUpTo: number = this.expiredUpTo()): number {
    const { queuedCount } = this.flow.get(recipientId, businessFunctionId, this.clock.now());
    return Math.max(0, (queuedCount ?? 0) - this.messages.countOverdue(recipientId, businessFunctionId, expiredUpTo));
  }

  /** Manual stop / start of outbound delivery (spec §4.2 "Manage Outbound Delivery"). */
  setOutboundDelivery(participantId: string, businessFunctionId: string, outboundDelivery: OutboundDelivery, traceId: string): FlowControlRow {
    const now = this.clock.now();
    const pending = new PendingEvents();
    const result = this.inTransaction(pending, () => {
      let state = this.flow.get(participantId, businessFunctionId, now);
      if (state.outboundDelivery !== outboundDelivery) {
        state = { ...state, outboundDelivery, updatedAt: now };
        this.flow.recordHistory(state, now, outboundDelivery === 'Stopped' ? 'MANUAL_STOP' : 'MANUAL_START', `outbound delivery switched ${outboundDelivery === 'Stopped' ? 'off' : 'on'} by the participant`);
        if (outboundDelivery === 'Started') state = this.drain(state, pending, now, traceId);
        this.save(state, pending);
      }
      return state;
    });
    this.publishOnceCommitted(pending);
    return result;
  }

  /**
   * Queue items enqueued at or before this instant have expired (spec §4.1: up to 10 calendar days).
   * Reads leave them out by this rule, so none is ever shown between a clock move and `expire`.
   */
  expiredUpTo(now: number = this.clock.now()): number {
    return now - this.settings.queueRetentionDays * DAY_MS;
  }

  /**
   * Removes every queued message older than the retention, with its log record, counters and events.
   * Runs when the simulated clock moves and on the housekeeping timer — never on a read. One index
   * lookup (the oldest queue item) says whether anything is due. `traceId` (for the log records) is
   * asked for only then, so an idle sweep draws nothing from the seeded random source. Returns how many
   * were removed.
   */
  expire(traceIdOf: string | (() => string)): number {
    const cutoff = this.expiredUpTo();
    const oldest = this.messages.oldestEnqueuedAt();
    if (oldest === undefined || oldest > cutoff) return 0;
    const traceId = typeof traceIdOf === 'string' ? traceIdOf : traceIdOf();
    let removed = 0;
    for (;;) {
      const batch = this.messages.expired(cutoff, 500);
      if (batch.length === 0) return removed;
      const pending = new PendingEvents();
      this.inTransaction(pending, () => {
        for (const item of batch) {
          this.removeInTransaction(item.recipientId, item, traceId, 'EXPIRED', `not deleted within ${this.settings.queueRetentionDays} calendar days of arrival`, pending);
        }
      });
      this.publishOnceCommitted(pending);
      removed += batch.length;
      this.expiredSoFar += batch.length;
    }
  }

  /** How many queue items expired since start. */
  get expiredCount(): number {
    return this.expiredSoFar;
  }

  /** How many recipient queues remember which senders were told they are full (bounded by recipients × business functions). */
  get toldSendersSize(): number {
    return this.toldSenders.size;
  }

  /**
   * Runs `write` in the group commit. What it changed in memory along with its writes (senders told of a
   * full queue, delete-rate counts) is undone if its writes are: when it throws (its savepoint is rolled
   * back, before the next operation of the batch runs) and when the batch's COMMIT fails.
   */
  private async inGroupCommit(pending: PendingEvents, write: () => void): Promise<void> {
    try {
      await this.commits.run(() => {
        try {
          write();
        } catch (err) {
          pending.rollBack();
          throw err;
        }
      });
    } catch (err) {
      pending.rollBack();
      throw err;
    }
  }

  /** `messages.transaction` with the same undo of in-memory changes as `inGroupCommit`. */
  private inTransaction<T>(pending: PendingEvents, write: () => T): T {
    try {
      return this.messages.transaction(write);
    } catch (err) {
      pending.rollBack();
      throw err;
    }
  }

  /** Delivery reopened: the next breach or stop tells the senders again. */
  private forgetToldSenders(queue: string, pending: PendingEvents): void {
    const told = this.toldSenders.get(queue);
    if (!told) return;
    this.toldSenders.delete(queue);
    pending.undoOnRollBack(() => this.toldSenders.set(queue, told));
  }

  /**
   * A write outside the group commit may still have joined its open batch (same connection, same turn):
   * nobody hears of it before that batch commits, and if that batch's COMMIT fails, what the write changed
   * in memory is undone with it.
   */
  private publishOnceCommitted(pending: PendingEvents): void {
    this.commits.afterCommit(() => pending.flushTo(this.events), () => pending.rollBack());
  }

  private removeInTransaction(recipientId: string, item: QueuedMessage, traceId: string, reasonCode: 'DELETED' | 'EXPIRED', detail: string, pending: PendingEvents): void {
    const now = this.clock.now();
    // Read before this transaction: another request, or another instance's expiry (issue #14), may have removed it since.
    if (!this.messages.dequeue(item.queueItemId)) return;
    this.logState(item, recipientId, now, traceId, reasonCode, detail, 'removed');
    let state = this.flow.get(recipientId, item.businessFunctionId, now);
    if (item.state === 'held') {
      state = { ...state, heldCount: Math.max(0, state.heldCount - 1) };
    } else {
      state = { ...state, queuedCount: Math.max(0, (state.queuedCount ?? 0) - 1) };
      if (this.settings.countMode === 'queued' || item.retrievedAt === null) state = { ...state, messageCount: Math.max(0, state.messageCount - 1) };
    }
    this.save(this.drain(state, pending, now, traceId), pending);
  }

  /**
   * Writes a queue's state. Its listeners (the Web App's live count series, the other instances) hear of it
   * with the operation's events, once the write committed: never of a state a failed transaction undid.
   */
  private save(state: FlowControlRow, pending: PendingEvents): void {
    this.flow.save(state);
    pending.also(() => this.flow.committed(state));
  }

  /** After the count went down: re-evaluate the status and release held messages while delivery is open. */
  private drain(state: FlowControlRow, pending: PendingEvents, now: number, traceId: string): FlowControlRow {
    pending.undoOnRollBack(this.deleteRate.drain(`${state.participantId}|${state.businessFunctionId}`, now));
    state = this.transition(state, pending, now);
    while (state.heldCount > 0 && deliveryOpen(state.messageStatus, state.outboundDelivery)) {
      const item = this.messages.releaseOldestHeld(state.participantId, state.businessFunctionId);
      if (!item) break;
      this.logState(item, state.participantId, now, traceId, 'RELEASED', 'delivered into the queue after flow control resumed');
      state = this.deliver({ ...state, heldCount: state.heldCount - 1 }, item, pending, now);
    }
    if (deliveryOpen(state.messageStatus, state.outboundDelivery)) this.forgetToldSenders(`${state.participantId}|${state.businessFunctionId}`, pending);
    return state;
  }

  /** A message became visible in the queue: count it, tell the recipient, re-evaluate the status. */
  private deliver(state: FlowControlRow, item: QueuedMessage, pending: PendingEvents, now: number): FlowControlRow {
    pending.publish(state.participantId, {
      eventType: 'MESSAGE_AVAILABLE',
      businessFunctionId: item.businessFunctionId,
      businessFunctionResourceId: item.resourceId,
      messageContextId: item.messageContextId,
      messageType: 'message',
      priority: item.priority,
      initiatingParticipantId: item.senderId,
      receivingParticipantId: state.participantId,
    });
    return this.transition({ ...state, messageCount: state.messageCount + 1, queuedCount: (state.queuedCount ?? 0) + 1, updatedAt: now }, pending, now);
  }

  private transition(state: FlowControlRow, pending: PendingEvents, now: number): FlowControlRow {
    const to = nextMessageStatus(state.messageStatus, state.messageCount, this.watermarks(state.businessFunctionId));
    const subType = transitionEvent(state.messageStatus, to);
    if (!subType) return state;
    const next: FlowControlRow = { ...state, messageStatus: to, messageBreachedAt: to === 'Normal' ? null : now, updatedAt: now };
    this.flow.recordHistory(next, now, subType, `message status ${state.messageStatus} → ${to} at ${next.messageCount} unretrieved messages`);
    pending.publish(next.participantId, this.flowEvent(next, subType));
    return next;
  }

  private tellSenderQueueFull(state: FlowControlRow, senderId: string, pending: PendingEvents): void {
    const queue = `${state.participantId}|${state.businessFunctionId}`;
    const episode = String(state.messageBreachedAt ?? state.outboundDelivery);
    const before = this.toldSenders.get(queue);
    let told = before;
    if (told?.episode !== episode) {
      this.toldSenders.set(queue, (told = { episode, senders: new Set() }));
      pending.undoOnRollBack(() => (before ? this.toldSenders.set(queue, before) : this.toldSenders.delete(queue)));
    }
    if (told.senders.has(senderId)) return;
    told.senders.add(senderId);
    pending.undoOnRollBack(() => told.senders.delete(senderId));
    pending.publish(senderId, this.flowEvent(state, 'QUEUE_FULL'));
  }

  /** Counts an arrival and raises INSUFFICIENT_DELETE_RATE when drains fall behind (drains are counted in drain()). */
  private watchDeleteRate(state: FlowControlRow, pending: PendingEvents, now: number): void {
    const key = `${state.participantId}|${state.businessFunctionId}`;
    pending.undoOnRollBack(this.deleteRate.arrival(key, now));
    if (state.messageStatus === 'Normal' || !this.deleteRate.alertDue(key, now, (takeBack) => pending.undoOnRollBack(takeBack))) return;
    this.flow.recordHistory(state, now, 'INSUFFICIENT_DELETE_RATE',
      `more messages arrived than were retrieved or deleted in the last ${this.settings.deleteRateWindowMinutes} minutes`);
    pending.publish(state.participantId, this.flowEvent(state, 'INSUFFICIENT_DELETE_RATE'));
  }

  private flowEvent(state: FlowControlRow, subType: 'QUEUE_WARN' | 'QUEUE_FULL' | 'QUEUE_RESUMED' | 'INSUFFICIENT_DELETE_RATE') {
    return {
      eventType: 'FLOW_CONTROL' as const,
      subType,
      businessFunctionId: state.businessFunctionId,
      participantId: state.participantId,
      messageCount: state.messageCount,
      heldCount: state.heldCount,
      messageStatus: state.messageStatus,
      outboundDelivery: state.outboundDelivery,
      watermark: watermarkOf(state.messageStatus),
    };
  }

  private logState(item: QueuedMessage, recipientId: string, at: number, traceId: string, reasonCode: string | null, detail: string | null,
    status: 'delivery_pending' | 'completed' | 'removed' = 'delivery_pending'): void {
    // Every caller is inside commits.run or messages.transaction, which undo all of it on a throw.
    this.log.appendWithinTransaction({
      loggedAt: at, traceId, messageId: item.messageId, messagePk: item.messagePk, messageContextId: item.messageContextId,
      businessFunctionId: item.businessFunctionId, resourceId: item.resourceId, fromParticipant: item.senderId,
      toParticipant: recipientId, messageType: 'message', priority: item.priority, status, reasonCode, detail,
    });
  }
}
