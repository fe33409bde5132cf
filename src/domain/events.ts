/**
 * Event notifications (spec §4.7, frames per §13.6 [D]). The hub adds `eventId` and `eventDateTime`;
 * the AsyncAPI document openapi/events.asyncapi.yaml is the contract of every frame.
 */
import type { FlowControlEventType, MessageStatus, OutboundDelivery } from './flow-control.js';

export type IdxEvent =
  | {
      eventType: 'MESSAGE_AVAILABLE';
      businessFunctionId: string;
      businessFunctionResourceId: string;
      messageContextId: string;
      messageType: 'message';
      priority: 'h' | 'm' | 'l';
      initiatingParticipantId: string;
      receivingParticipantId: string;
    }
  | {
      eventType: 'FLOW_CONTROL';
      subType: FlowControlEventType;
      businessFunctionId: string;
      participantId: string;
      messageCount: number;
      heldCount: number;
      messageStatus: MessageStatus;
      outboundDelivery: OutboundDelivery;
      watermark: 'Low' | 'Warn' | 'High';
    }
  | {
      eventType: 'OUTAGE';
      outageId: number;
      outageStart: string;
      outageEnd: string;
      description: string;
    };

/** Where domain services send events; the WebSocket hub is the production implementation. */
export interface EventSink {
  publish(participantId: string, event: IdxEvent): void;
}

/**
 * An event sink that collects, for use inside a transaction: events go out only after the commit. It also
 * keeps how to undo what the transaction changed in memory (a sender marked as told, a delete-rate count), so
 * a transaction that fails leaves no trace there either (`rollBack`).
 */
export class PendingEvents implements EventSink {
  private readonly pending: Array<[string, IdxEvent] | (() => void)> = [];
  private readonly undos: Array<() => void> = [];
  publish(participantId: string, event: IdxEvent): void {
    this.pending.push([participantId, event]);
  }
  /** Runs `notice` at the flush, in order with the events: other news of the same writes (a saved flow-control state). */
  also(notice: () => void): void {
    this.pending.push(notice);
  }
  /** Registers how to undo an in-memory change made with the transaction's writes, should they be rolled back. */
  undoOnRollBack(undo: () => void): void {
    this.undos.push(undo);
  }
  /** The transaction failed: undoes its in-memory changes (last first) and drops its events. Idempotent. */
  rollBack(): void {
    for (const undo of this.undos.splice(0).reverse()) undo();
    this.pending.length = 0;
  }
  flushTo(sink: EventSink): void {
    this.undos.length = 0;
    for (const item of this.pending.splice(0)) {
      if (typeof item === 'function') item();
      else sink.publish(item[0], item[1]);
    }
  }
}
