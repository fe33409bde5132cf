/**
 * Delivery into outbound queues under flow control (spec §4.1 delivery flow, §4.2, §4.5, §9):
 * accepting a message for its recipients, retrieval, deletion, expiry after 10 calendar days, manual
 * stop/start — keeping the flow-control counters, the transaction log and the participant-status
 * history in step in one SQLite transaction, then publishing events once the transaction committed.
 */
import type { Clock } from '../domain/clock.js';
import { PendingEvents, type EventSink } from '../domain/events.js';
import { DeleteRateMonitor, deliveryOpen, nextMessageStatus, transitionEvent, watermarkOf, type OutboundDelivery, type Watermarks } from '../domain/flow-control.js';
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

export class DeliveryService {
  private readonly deleteRate: DeleteRateMonitor;
  /** Senders told their recipient's queue is full, per stop episode (participant|bf|breach time). */
  private readonly toldSenders = new Map<string, Set<string>>();

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

  watermarks(businessFunctionId: string): Watermarks {
    const w = this.settings.watermarks[businessFunctionId];
    if (!w) throw new Error(`no watermarks configured for business function ${businessFunctionId}`);
    return w;
  }

  /**
   * Stores an accepted message and delivers (or holds) it for each recipient, atomically, together with
   * `alsoWrite` (the sender's quota count); resolves once committed, and only then are events published.
   */
  async accept(message: NewMessage, recipients: readonly string[], alsoWrite: () => void = () => {}): Promise<void> {
    const pending = new PendingEvents();
    const now = message.receivedAt;
    await this.commits.run(() => {
      alsoWrite();
      const messagePk = this.messages.insertMessage(message);
      for (const recipientId of recipients) {
        let state = this.flow.get(recipientId, message.businessFunctionId, now);
        // Held messages go out first, in order: while any are held, new ones queue up behind them.
        const open = deliveryOpen(state.messageStatus, state.outboundDelivery) && state.heldCount === 0;
        const item = this.messages.enqueue(message, messagePk, recipientId, now, open ? 'delivered' : 'held');
        this.logState(item, recipientId, now, message.traceId, open ? null : 'HELD',
          open ? null : `held: ${recipientId}'s ${message.businessFunctionId} queue is ${state.outboundDelivery === 'Stopped' ? 'manually stopped' : state.messageStatus}`);
        if (open) {
          state = this.deliver(state, item, pending, now);
        } else {
          state = { ...state, heldCount: state.heldCount + 1, updatedAt: now };
          this.tellSenderQueueFull(state, message.senderId, pending);
        }
        this.watchDeleteRate(state, pending, now);
        this.flow.save(state);
      }
    });
    pending.flushTo(this.events);
  }

  /** First retrieval completes delivery (spec §4.5 `completed`) and, by default, lowers the count. */
  retrieve(recipientId: string, item: QueuedMessage, traceId: string): void {
    const now = this.clock.now();
    const pending = new PendingEvents();
    this.messages.transaction(() => {
      if (!this.messages.markRetrieved(item.queueItemId, now)) return;
      this.logState(item, recipientId, now, traceId, 'RETRIEVED', 'retrieved by the receiving participant', 'completed');
      if (this.settings.countMode !== 'unretrieved') return;
      let state = this.flow.get(recipientId, item.businessFunctionId, now);
      state = this.drain({ ...state, messageCount: Math.max(0, state.messageCount - 1) }, pending, now, traceId);
      this.flow.save(state);
    });
    pending.flushTo(this.events);
  }

  /** Removes a message from a queue (spec §4.5 `removed`): deleted by the recipient, or expired. */
  remove(recipientId: string, item: QueuedMessage, traceId: string, reasonCode: 'DELETED' | 'EXPIRED', detail: string): void {
    const pending = new PendingEvents();
    this.messages.transaction(() => this.removeInTransaction(recipientId, item, traceId, reasonCode, detail, pending));
    pending.flushTo(this.events);
  }

  /** Manual stop / start of outbound delivery (spec §4.2 "Manage Outbound Delivery"). */
  setOutboundDelivery(participantId: string, businessFunctionId: string, outboundDelivery: OutboundDelivery, traceId: string): FlowControlRow {
    const now = this.clock.now();
    const pending = new PendingEvents();
    const result = this.messages.transaction(() => {
      let state = this.flow.get(participantId, businessFunctionId, now);
      if (state.outboundDelivery !== outboundDelivery) {
        state = { ...state, outboundDelivery, updatedAt: now };
        this.flow.recordHistory(state, now, outboundDelivery === 'Stopped' ? 'MANUAL_STOP' : 'MANUAL_START', `outbound delivery switched ${outboundDelivery === 'Stopped' ? 'off' : 'on'} by the participant`);
        if (outboundDelivery === 'Started') state = this.drain(state, pending, now, traceId);
        this.flow.save(state);
      }
      return state;
    });
    pending.flushTo(this.events);
    return result;
  }

  /**
   * Removes every queued message older than the retention (spec §4.1: up to 10 calendar days), driven
   * by the simulated clock. Returns how many were removed.
   */
  expire(traceId: string): number {
    const now = this.clock.now();
    const cutoff = now - this.settings.queueRetentionDays * DAY_MS;
    let removed = 0;
    for (;;) {
      const batch = this.messages.expired(cutoff, 500);
      if (batch.length === 0) return removed;
      const pending = new PendingEvents();
      this.messages.transaction(() => {
        for (const item of batch) {
          this.removeInTransaction(item.recipientId, item, traceId, 'EXPIRED', `not deleted within ${this.settings.queueRetentionDays} calendar days of arrival`, pending);
        }
      });
      pending.flushTo(this.events);
      removed += batch.length;
    }
  }

  private removeInTransaction(recipientId: string, item: QueuedMessage, traceId: string, reasonCode: 'DELETED' | 'EXPIRED', detail: string, pending: PendingEvents): void {
    const now = this.clock.now();
    this.messages.dequeue(item.queueItemId);
    this.logState(item, recipientId, now, traceId, reasonCode, detail, 'removed');
    let state = this.flow.get(recipientId, item.businessFunctionId, now);
    if (item.state === 'held') {
      state = { ...state, heldCount: Math.max(0, state.heldCount - 1) };
    } else if (this.settings.countMode === 'queued' || item.retrievedAt === null) {
      state = { ...state, messageCount: Math.max(0, state.messageCount - 1) };
    }
    this.flow.save(this.drain(state, pending, now, traceId));
  }

  /** After the count went down: re-evaluate the status and release held messages while delivery is open. */
  private drain(state: FlowControlRow, pending: PendingEvents, now: number, traceId: string): FlowControlRow {
    this.deleteRate.drain(`${state.participantId}|${state.businessFunctionId}`, now);
    state = this.transition(state, pending, now);
    while (state.heldCount > 0 && deliveryOpen(state.messageStatus, state.outboundDelivery)) {
      const item = this.messages.releaseOldestHeld(state.participantId, state.businessFunctionId);
      if (!item) break;
      this.logState(item, state.participantId, now, traceId, 'RELEASED', 'delivered into the queue after flow control resumed');
      state = this.deliver({ ...state, heldCount: state.heldCount - 1 }, item, pending, now);
    }
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
    return this.transition({ ...state, messageCount: state.messageCount + 1, updatedAt: now }, pending, now);
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
    const episode = `${state.participantId}|${state.businessFunctionId}|${state.messageBreachedAt ?? state.outboundDelivery}`;
    let told = this.toldSenders.get(episode);
    if (!told) this.toldSenders.set(episode, (told = new Set()));
    if (told.has(senderId)) return;
    told.add(senderId);
    pending.publish(senderId, this.flowEvent(state, 'QUEUE_FULL'));
  }

  /** Counts an arrival and raises INSUFFICIENT_DELETE_RATE when drains fall behind (drains are counted in drain()). */
  private watchDeleteRate(state: FlowControlRow, pending: PendingEvents, now: number): void {
    const key = `${state.participantId}|${state.businessFunctionId}`;
    this.deleteRate.arrival(key, now);
    if (state.messageStatus === 'Normal' || !this.deleteRate.alertDue(key, now)) return;
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
    this.log.append({
      loggedAt: at, traceId, messageId: item.messageId, messageContextId: item.messageContextId,
      businessFunctionId: item.businessFunctionId, resourceId: item.resourceId, fromParticipant: item.senderId,
      toParticipant: recipientId, messageType: 'message', priority: item.priority, status, reasonCode, detail,
    });
  }
}
