/**
 * Several idx-sim instances on one database behave as one hub (issue #14). This is the one place that
 * says what an instance tells the others over the hub bus and what it does when told; docs/multi-instance.md
 * is the audit behind it. With a bus that is not shared (one SQLite process) nothing here does anything.
 */
import type { AdjustableClock } from '../domain/clock.js';
import type { Watermarks } from '../domain/flow-control.js';
import type { CertificateRegistry } from '../security/certificate-registry.js';
import type { FlowControlRow } from '../store/flow-control-store.js';
import type { ParticipantStore } from '../store/participant-store.js';
import type { SimClockStore } from '../store/sim-clock-store.js';
import type { DeliveryService } from './delivery-service.js';
import type { EventHub } from './event-hub.js';
import type { FaultService } from './fault-service.js';
import type { FlowControlService } from './flow-control-service.js';
import type { HubBus, HubNotice } from './hub-bus.js';
import type { QueueCountSeries } from './queue-count-series.js';
import { CLOSE_STATE_REPLACED } from './sim-state-service.js';

export interface InstanceSyncParts {
  bus: HubBus;
  clock: AdjustableClock;
  clockStore: SimClockStore;
  events: EventHub;
  certificates: CertificateRegistry;
  /** Participants and NMI standing data, kept in memory. */
  participants: ParticipantStore;
  /** Outages, kept in memory. */
  flowControl: FlowControlService;
  faults: FaultService;
  delivery: DeliveryService;
  queueSeries: QueueCountSeries;
  /** What a reset or restore makes an instance forget (the same as on the instance that did it). */
  forgetCaches: () => void;
}

export class InstanceSync {
  /** Set while adopting another instance's clock, so adopting is not taken for a change of our own. */
  private adopting = false;

  constructor(private readonly p: InstanceSyncParts) {
    if (!p.bus.shared) return;
    // A newly started instance takes the clock the others run on; the first one stores its own.
    if (!this.refreshClock()) this.storeClock();
    p.clock.onChange(() => {
      if (this.adopting) return;
      this.storeClock();
      p.bus.publish({ kind: 'clock' });
    });
    p.certificates.onWrite(() => p.bus.publish({ kind: 'certificates' }));
    p.participants.onWrite(() => p.bus.publish({ kind: 'standing-data' }));
    p.flowControl.onOutageAdded(() => p.bus.publish({ kind: 'outages' }));
    p.faults.onChange(() => p.bus.publish({ kind: 'faults' }));
    p.bus.subscribe((notice) => this.receive(notice));
  }

  get shared(): boolean {
    return this.p.bus.shared;
  }

  /**
   * Reads the clock the instances share and runs on it; false when none is stored yet. The control API
   * calls this before it reads or moves the clock, so it never acts on a clock another instance moved a
   * moment ago whose notice is still on its way.
   */
  refreshClock(): boolean {
    if (!this.p.bus.shared) return false;
    const stored = this.p.clockStore.get();
    if (!stored) return false;
    this.adopting = true;
    try {
      this.p.clock.adopt(stored);
    } finally {
      this.adopting = false;
    }
    return true;
  }

  /** After this instance reset or restored the database: the others forget what they kept of the old content. */
  stateReplaced(reason: string): void {
    this.p.bus.publish({ kind: 'state-replaced', reason });
  }

  /** After this instance changed watermarks through the control API: the others use them too. */
  watermarksChanged(businessFunctionId: string, watermarks: Watermarks): void {
    this.p.bus.publish({ kind: 'watermarks', businessFunctionId, watermarks });
  }

  /** A queue's counts changed here: the other instances' Web App charts sample them too. */
  queueCountsChanged(row: FlowControlRow): void {
    if (this.p.bus.shared) this.p.bus.publish({ kind: 'queue-counts', row });
  }

  private storeClock(): void {
    this.p.clockStore.save(this.p.clock.state(), this.p.clock.now());
  }

  private receive(notice: HubNotice): void {
    switch (notice.kind) {
      case 'event':
        return; // the event hub delivers these itself (src/services/event-hub.ts)
      case 'clock':
        this.refreshClock();
        this.p.faults.changedElsewhere();
        return;
      case 'state-replaced':
        this.p.forgetCaches();
        this.refreshClock();
        this.p.events.disconnect(CLOSE_STATE_REPLACED, `simulator state ${notice.reason}; reconnect`);
        return;
      case 'certificates':
        this.p.certificates.invalidate();
        return;
      case 'standing-data':
        this.p.participants.invalidate();
        return;
      case 'outages':
        this.p.flowControl.forgetOutages();
        return;
      case 'faults':
        this.p.faults.changedElsewhere();
        return;
      case 'watermarks':
        this.p.delivery.setWatermarks(notice.businessFunctionId, notice.watermarks);
        return;
      case 'queue-counts':
        this.p.queueSeries.record(notice.row);
        return;
      case 'resync':
        // Notices may have been lost while the bus was away: read again whatever could have changed.
        this.refreshClock();
        this.p.certificates.invalidate();
        this.p.participants.invalidate();
        this.p.flowControl.forgetOutages();
        this.p.faults.changedElsewhere();
        return;
    }
  }
}
