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
  /* 2: certificate registry — each participant's primary and secondary certificate, rotation, revocation (spec §6) */ `
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
];
