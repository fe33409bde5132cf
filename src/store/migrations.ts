/**
 * Schema migrations, applied in order and recorded in SQLite's user_version. Append new steps; never
 * edit a released one (a tester's data/idx-sim.db must open after an upgrade).
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: participants, URM users, standing data, messages, queues, transaction log */ `
  CREATE TABLE participants (
    participant_id TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('MC', 'MDP', 'LNSP')),
    source         TEXT NOT NULL DEFAULT 'fixture'
  );
  CREATE TABLE urm_users (
    client_id         TEXT PRIMARY KEY,
    secret_sha256     TEXT NOT NULL,
    entitlements_json TEXT NOT NULL,
    source            TEXT NOT NULL DEFAULT 'fixture'
  );
  -- Effective-dated roles, like MSATS standing data; dates are market (AEST) dates, to_date inclusive.
  CREATE TABLE nmi_roles (
    id             INTEGER PRIMARY KEY,
    nmi            TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('MC', 'MDP', 'LNSP')),
    participant_id TEXT NOT NULL,
    from_date      TEXT NOT NULL,
    to_date        TEXT,
    source         TEXT NOT NULL DEFAULT 'fixture'
  );
  CREATE INDEX nmi_roles_by_nmi ON nmi_roles (nmi, from_date);
  -- One row per accepted submission; the gzip bytes are kept exactly as received.
  CREATE TABLE messages (
    id                    INTEGER PRIMARY KEY,
    message_id            TEXT NOT NULL UNIQUE,
    message_context_id    TEXT NOT NULL,
    context_key           TEXT NOT NULL,
    sender_id             TEXT NOT NULL,
    business_function_id  TEXT NOT NULL,
    resource_id           TEXT NOT NULL,
    priority              TEXT NOT NULL,
    message_date_time     TEXT NOT NULL,
    received_at           INTEGER NOT NULL,
    size_bytes            INTEGER NOT NULL,
    gzip_size_bytes       INTEGER NOT NULL,
    schema_version        TEXT NOT NULL,
    transaction_count     INTEGER NOT NULL,
    signature             TEXT,
    trace_id              TEXT NOT NULL,
    payload_gzip          BLOB NOT NULL,
    UNIQUE (sender_id, context_key)
  );
  -- A message in a receiving participant's queue (fan-out: one row per recipient).
  CREATE TABLE queue_items (
    id           INTEGER PRIMARY KEY,
    message_pk   INTEGER NOT NULL REFERENCES messages (id),
    recipient_id TEXT NOT NULL,
    enqueued_at  INTEGER NOT NULL,
    retrieved_at INTEGER,
    UNIQUE (recipient_id, message_pk)
  );
  CREATE INDEX queue_items_by_recipient ON queue_items (recipient_id, id);
  -- Append-only: every state change of every message, and every refused request (spec §4.5).
  CREATE TABLE transaction_log (
    id                         INTEGER PRIMARY KEY,
    logged_at                  INTEGER NOT NULL,
    trace_id                   TEXT NOT NULL,
    message_id                 TEXT,
    message_context_id         TEXT,
    business_function_id       TEXT,
    resource_id                TEXT,
    from_participant           TEXT,
    to_participant             TEXT,
    message_type               TEXT NOT NULL,
    priority                   TEXT,
    status                     TEXT NOT NULL,
    reason_code                TEXT,
    detail                     TEXT
  );
  CREATE INDEX transaction_log_by_context ON transaction_log (message_context_id);
  CREATE INDEX transaction_log_by_time ON transaction_log (logged_at);
  `,
  /* 2: flow control: held deliveries, delivery order, queue counters, status history, outages (spec §4.2, §4.3, §9) */ `
  -- A held message is accepted but not yet visible in the recipient's queue (flow control stopped it).
  ALTER TABLE queue_items ADD COLUMN state TEXT NOT NULL DEFAULT 'delivered' CHECK (state IN ('delivered', 'held'));
  -- Delivery order: the queue lists and pages by it, so messages released after a stop come after
  -- everything already delivered and a cursor never skips them.
  ALTER TABLE queue_items ADD COLUMN delivery_seq INTEGER;
  ALTER TABLE queue_items ADD COLUMN business_function_id TEXT NOT NULL DEFAULT 'pqd';
  UPDATE queue_items SET delivery_seq = id;
  CREATE UNIQUE INDEX queue_items_by_delivery ON queue_items (recipient_id, delivery_seq);
  CREATE INDEX queue_items_held ON queue_items (recipient_id, business_function_id, state, id);
  CREATE INDEX queue_items_by_enqueued ON queue_items (enqueued_at);
  -- Current flow-control state per participant x business function. The counts are kept in step with
  -- queue_items in the same transactions (counting on every submission would not scale with the queue).
  CREATE TABLE flow_control (
    participant_id        TEXT NOT NULL,
    business_function_id  TEXT NOT NULL,
    message_status        TEXT NOT NULL DEFAULT 'Normal' CHECK (message_status IN ('Normal', 'Warned', 'Stopped')),
    outbound_delivery     TEXT NOT NULL DEFAULT 'Started' CHECK (outbound_delivery IN ('Started', 'Stopped')),
    message_count         INTEGER NOT NULL DEFAULT 0,
    held_count            INTEGER NOT NULL DEFAULT 0,
    message_breached_at   INTEGER,
    updated_at            INTEGER NOT NULL,
    PRIMARY KEY (participant_id, business_function_id)
  );
  INSERT INTO flow_control (participant_id, business_function_id, message_count, updated_at)
    SELECT recipient_id, 'pqd', count(*), 0 FROM queue_items WHERE retrieved_at IS NULL GROUP BY recipient_id;
  -- Participant Status history: one row per change of delivery state, breach or outage (spec §4.3).
  CREATE TABLE participant_status_history (
    id                    INTEGER PRIMARY KEY,
    participant_id        TEXT NOT NULL,
    business_function_id  TEXT,
    recorded_at           INTEGER NOT NULL,
    event                 TEXT NOT NULL,
    message_status        TEXT,
    outbound_delivery     TEXT,
    message_count         INTEGER,
    held_count            INTEGER,
    detail                TEXT
  );
  CREATE INDEX participant_status_history_by_participant ON participant_status_history (participant_id, recorded_at);
  -- Injected outages (tester toolkit); participants_json null = every participant.
  CREATE TABLE outages (
    id                INTEGER PRIMARY KEY,
    outage_start      INTEGER NOT NULL,
    outage_end        INTEGER NOT NULL,
    description       TEXT NOT NULL,
    participants_json TEXT,
    created_at        INTEGER NOT NULL
  );
  `,
  /* 3: daily quota counters (spec §8), so a restart does not hand a participant a fresh day */ `
  CREATE TABLE quota_counters (
    counter_key  TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    count        INTEGER NOT NULL
  );
  CREATE INDEX quota_counters_by_end ON quota_counters (window_end);
  `,
  /* 4: Transaction Log API (spec §4.5): one searchable record per message × receiving participant, and per refusal */ `
  -- The current state of each record, derived from the append-only transaction_log (which stays the
  -- source of truth): first_log_id is the row that created the record, last_log_id the row of its current
  -- status. Refusals have no message_id and are records of one row each.
  CREATE TABLE translog_records (
    id                  INTEGER PRIMARY KEY,
    message_id          TEXT,
    message_context_key TEXT,
    from_participant    TEXT,
    to_participant      TEXT,
    message_type        TEXT NOT NULL,
    status              TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    status_at           INTEGER NOT NULL,
    first_log_id        INTEGER NOT NULL REFERENCES transaction_log (id),
    last_log_id         INTEGER NOT NULL REFERENCES transaction_log (id),
    UNIQUE (message_id, to_participant)
  );
  CREATE INDEX translog_records_by_from ON translog_records (from_participant, id);
  CREATE INDEX translog_records_by_to ON translog_records (to_participant, id);
  CREATE INDEX translog_records_by_context ON translog_records (message_context_key);
  CREATE INDEX transaction_log_by_message ON transaction_log (message_id, id);
  INSERT INTO translog_records (message_id, message_context_key, from_participant, to_participant, message_type, status,
      created_at, status_at, first_log_id, last_log_id)
    SELECT l.message_id, lower(l.message_context_id), l.from_participant, l.to_participant, l.message_type, l.status,
      f.logged_at, l.logged_at, g.first_id, g.last_id
    FROM (SELECT min(id) AS first_id, max(id) AS last_id FROM transaction_log WHERE message_id IS NOT NULL GROUP BY message_id, to_participant
          UNION ALL
          SELECT id, id FROM transaction_log WHERE message_id IS NULL) g
    JOIN transaction_log f ON f.id = g.first_id
    JOIN transaction_log l ON l.id = g.last_id
    ORDER BY g.first_id;
  `,
  /* 5: certificate registry — each participant's primary and secondary certificate, rotation, revocation (spec §6) */ `
  CREATE TABLE certificates (
    id             INTEGER PRIMARY KEY,
    participant_id TEXT NOT NULL,
    slot           TEXT NOT NULL CHECK (slot IN ('primary', 'secondary')),
    serial_number  TEXT NOT NULL,
    fingerprint256 TEXT NOT NULL UNIQUE,
    common_name    TEXT NOT NULL,
    valid_from     INTEGER NOT NULL,
    valid_to       INTEGER NOT NULL,
    cert_pem       TEXT NOT NULL,
    registered_at  INTEGER NOT NULL,
    revoked_at     INTEGER,
    -- set when another certificate takes the slot: from then on this one is no longer registered
    replaced_at    INTEGER
  );
  CREATE UNIQUE INDEX certificates_current ON certificates (participant_id, slot) WHERE replaced_at IS NULL;
  -- The slot a participant rotated to; no row = primary.
  CREATE TABLE active_certificate_slots (
    participant_id TEXT PRIMARY KEY,
    slot           TEXT NOT NULL CHECK (slot IN ('primary', 'secondary')),
    changed_at     INTEGER NOT NULL
  );
  `,
  /* 6: cheaper writes on the submission path (each index is one more B-tree per insert) */ `
  -- Read by nothing: the transaction-log API searches translog_records, the queue pages by delivery order.
  DROP INDEX transaction_log_by_time;
  DROP INDEX queue_items_by_recipient;
  -- Held messages are few and transient: index only them.
  DROP INDEX queue_items_held;
  CREATE INDEX queue_items_held ON queue_items (recipient_id, business_function_id, id) WHERE state = 'held';
  `,
  /* 7: one certificate may serve several participant ids (spec §6): a row is a registration, unique per participant and certificate */ `
  CREATE TABLE certificate_registrations (
    id             INTEGER PRIMARY KEY,
    participant_id TEXT NOT NULL,
    slot           TEXT NOT NULL CHECK (slot IN ('primary', 'secondary')),
    serial_number  TEXT NOT NULL,
    fingerprint256 TEXT NOT NULL,
    common_name    TEXT NOT NULL,
    valid_from     INTEGER NOT NULL,
    valid_to       INTEGER NOT NULL,
    cert_pem       TEXT NOT NULL,
    registered_at  INTEGER NOT NULL,
    revoked_at     INTEGER,
    replaced_at    INTEGER,
    UNIQUE (participant_id, fingerprint256)
  );
  INSERT INTO certificate_registrations (id, participant_id, slot, serial_number, fingerprint256, common_name, valid_from, valid_to,
      cert_pem, registered_at, revoked_at, replaced_at)
    SELECT id, participant_id, slot, serial_number, fingerprint256, common_name, valid_from, valid_to, cert_pem, registered_at, revoked_at, replaced_at
    FROM certificates;
  DROP TABLE certificates;
  ALTER TABLE certificate_registrations RENAME TO certificates;
  CREATE UNIQUE INDEX certificates_current ON certificates (participant_id, slot) WHERE replaced_at IS NULL;
  CREATE INDEX certificates_by_fingerprint ON certificates (fingerprint256);
  `,
  /* 8: outages take down named IDX APIs (503 while active); null = every IDX API */ `
  ALTER TABLE outages ADD COLUMN apis_json TEXT;
  CREATE INDEX outages_by_end ON outages (outage_end);
  `,
  /* 9: simulator control API (issue #10): the request journal and fault-injection rules, both part of snapshots */ `
  -- Every request and answer per participant, as a test asserts on it; bounded by IDX_SIM_JOURNAL_* settings.
  CREATE TABLE sim_journal (
    id                  INTEGER PRIMARY KEY,
    at                  INTEGER NOT NULL,
    participant_id      TEXT,
    method              TEXT NOT NULL,
    path                TEXT NOT NULL,
    query               TEXT,
    operation_id        TEXT,
    status              INTEGER NOT NULL,
    error_code          TEXT,
    trace_id            TEXT NOT NULL,
    message_context_id  TEXT,
    duration_ms         REAL NOT NULL,
    fault_rule_id       INTEGER,
    request_bytes       INTEGER,
    request_body        TEXT,
    request_encoding    TEXT,
    response_bytes      INTEGER,
    response_body       TEXT,
    response_encoding   TEXT
  );
  CREATE INDEX sim_journal_by_participant ON sim_journal (participant_id, id);
  CREATE INDEX sim_journal_by_at ON sim_journal (at);
  -- Fault-injection rules; from_at/to_at are simulated-clock instants (null = open).
  CREATE TABLE sim_fault_rules (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    api             TEXT,
    operation_id    TEXT,
    participant_id  TEXT,
    from_at         INTEGER,
    to_at           INTEGER,
    share           REAL NOT NULL DEFAULT 1,
    status          INTEGER,
    latency_ms      INTEGER,
    latency_max_ms  INTEGER,
    description     TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    hits            INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
  );
  `,
  /* 10: one B-tree less per transaction-log row (issue #13) */ `
  -- No query can use it: the only lookup by context id compares lower(message_context_id); the
  -- Transaction Log API searches translog_records by its own message_context_key index.
  DROP INDEX transaction_log_by_context;
  `,
  /* 11: the queue list's totalRecords from a counter kept with the others, not a count of the queue (issue #13) */ `
  -- Delivered messages in each queue, retrieved or not (held ones are held_count): what GET /pqd/v1/bpqd
  -- lists. Kept in step with queue_items in the same transactions as message_count and held_count.
  ALTER TABLE flow_control ADD COLUMN queued_count INTEGER NOT NULL DEFAULT 0;
  UPDATE flow_control SET queued_count = (SELECT count(*) FROM queue_items q
    WHERE q.recipient_id = flow_control.participant_id AND q.business_function_id = flow_control.business_function_id AND q.state = 'delivered');
  `,
  /* 12: the simulated clock, shared by every instance on one database (issue #14); one row, written on every change */ `
  -- offset_ms: simulated minus real time while running; frozen_at: the instant it stands at while frozen.
  CREATE TABLE sim_clock (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    offset_ms   BIGINT NOT NULL,
    frozen_at   BIGINT,
    changed_at  BIGINT NOT NULL
  );
  `,
  /* 13: the transaction log and its records keyed by the message's row id, not by the random hub message id (issue #13) */ `
  -- messages.id grows with every accepted message, so an index led by it grows at its end: a batch of
  -- submissions or deletions adds to a page or two, where an index led by the random message_id took one
  -- page per row (most of a commit's WAL frames). message_id stays in both tables for the answers.
  ALTER TABLE transaction_log ADD COLUMN message_pk INTEGER;
  UPDATE transaction_log SET message_pk = (SELECT m.id FROM messages m WHERE m.message_id = transaction_log.message_id)
    WHERE message_id IS NOT NULL;
  DROP INDEX transaction_log_by_message;
  CREATE INDEX transaction_log_by_message_pk ON transaction_log (message_pk, id);
  -- SQLite cannot drop the UNIQUE (message_id, to_participant) constraint: the table is copied without it.
  CREATE TABLE translog_records_13 (
    id                  INTEGER PRIMARY KEY,
    message_id          TEXT,
    message_context_key TEXT,
    from_participant    TEXT,
    to_participant      TEXT,
    message_type        TEXT NOT NULL,
    status              TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    status_at           INTEGER NOT NULL,
    first_log_id        INTEGER NOT NULL REFERENCES transaction_log (id),
    last_log_id         INTEGER NOT NULL REFERENCES transaction_log (id),
    message_pk          INTEGER
  );
  INSERT INTO translog_records_13 (id, message_id, message_context_key, from_participant, to_participant, message_type, status,
      created_at, status_at, first_log_id, last_log_id, message_pk)
    SELECT r.id, r.message_id, r.message_context_key, r.from_participant, r.to_participant, r.message_type, r.status,
      r.created_at, r.status_at, r.first_log_id, r.last_log_id, (SELECT m.id FROM messages m WHERE m.message_id = r.message_id)
    FROM translog_records r;
  DROP TABLE translog_records;
  ALTER TABLE translog_records_13 RENAME TO translog_records;
  -- One record per message x receiving participant; refusals (message_pk null) are never equal.
  CREATE UNIQUE INDEX translog_records_by_message ON translog_records (message_pk, to_participant);
  CREATE INDEX translog_records_by_from ON translog_records (from_participant, id);
  CREATE INDEX translog_records_by_to ON translog_records (to_participant, id);
  CREATE INDEX translog_records_by_context ON translog_records (message_context_key);
  `,
  /* 14: a journal row whose body is a stored message's gzip bytes refers to the message instead of copying them (issue #13) */ `
  -- A GET of a queued message answers its stored gzip bytes, an accepted POST sent them: the row keeps the
  -- message's row id and how many of its bytes the journal keeps (IDX_SIM_JOURNAL_BODY_BYTES when written),
  -- and leaves that body's text null (the body whose size is set and text is null is the one referred to).
  -- The archive's purge copies the bytes into such rows before it empties the payloads
  -- (JournalStore.keepBodiesOfPurged).
  ALTER TABLE sim_journal ADD COLUMN body_message_pk INTEGER;
  ALTER TABLE sim_journal ADD COLUMN body_kept_bytes INTEGER;
  `,
  /* 15: the archive's purge finds payloads still stored without scanning every message ever accepted (issue #13) */ `
  -- Partial: a payload leaves the index when the purge empties it, so the index holds the retained window
  -- only. received_at grows with each submission, so an insert adds at the index's right edge.
  CREATE INDEX messages_unpurged_by_received ON messages (received_at) WHERE length(payload_gzip) > 0;
  `,
];
