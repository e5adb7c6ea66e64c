-- V2: redeeming claims under the AUP, and the outbox of events for the participant's systems.
-- Every time here is the database clock (now()), never a pod's: leases and the AUP gate must
-- mean the same on every replica.

-- Work on a claim is leased, not locked across the HTTP call: a worker that dies loses its
-- lease at lease_until and another replica takes the claim over.
ALTER TABLE claim
    ADD COLUMN lease_owner     text,
    ADD COLUMN lease_until     timestamptz,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error      text,
    ADD COLUMN redeemed_at     timestamptz;

CREATE INDEX claim_due_idx ON claim (service, next_attempt_at) WHERE state = 'PENDING';

-- One row per (identity, service): the ISO allows one retrieve call per certificate and
-- service every interval. A worker may call only after moving next_allowed_at forward with
-- one conditional statement; that row, not an election or a pod clock, keeps the rule.
CREATE TABLE aup_gate (
    identity        text        NOT NULL,
    service         text        NOT NULL,
    next_allowed_at timestamptz NOT NULL DEFAULT '-infinity',
    calls           bigint      NOT NULL DEFAULT 0,
    aup_pages       bigint      NOT NULL DEFAULT 0,
    -- set when the ISO answered 403 for this service: not retried until an operator clears it
    refused_at      timestamptz,
    refused_reason  text,
    PRIMARY KEY (identity, service)
);

-- A document retrieved from the ISO, kept compressed. sha256 and size_bytes describe the
-- uncompressed UTF-8 XML, as subscribers see it.
CREATE TABLE payload (
    id           bigserial   PRIMARY KEY,
    content_type text        NOT NULL DEFAULT 'application/xml',
    content_gzip bytea       NOT NULL,
    size_bytes   bigint      NOT NULL CHECK (size_bytes >= 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE claim ADD COLUMN payload_id bigint REFERENCES payload (id);

-- The outbox: one row per change to publish, written in the transaction that made the change
-- (a redeemed claim, or a market event that needs no retrieve). id is the CloudEvents id:
-- stable across retries and replays.
CREATE TABLE event (
    id                 uuid        PRIMARY KEY,
    type               text        NOT NULL CHECK (type IN ('outage.status-changed', 'market.event')),
    subject            text        NOT NULL,
    time               timestamptz NOT NULL,
    outage_mrid        varchar(40),
    outage_version     bigint,
    outage_type        text,
    market             text,
    event_type         text,
    -- the CloudEvents data object, without the payload (added at delivery: inline or by URL)
    data               jsonb       NOT NULL,
    payload_id         bigint      REFERENCES payload (id),
    inbound_message_id bigint      REFERENCES inbound_message (id),
    claim_id           bigint      REFERENCES claim (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_outage_shape_check CHECK (
        type <> 'outage.status-changed' OR (outage_mrid IS NOT NULL AND outage_version IS NOT NULL))
);

CREATE INDEX event_outage_idx ON event (outage_mrid, outage_version) WHERE outage_mrid IS NOT NULL;
CREATE INDEX event_created_idx ON event (created_at);

-- Where catch-up (RetrieveOutageChanges) left off, per identity and service.
CREATE TABLE sync_cursor (
    identity    text        NOT NULL,
    service     text        NOT NULL,
    since       timestamptz,
    cursor      text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (identity, service)
);

-- Wake-ups (LISTEN/NOTIFY on channels oms_claim_due and oms_event) are sent by the writers
-- after commit, debounced, never from triggers: a NOTIFY inside the ingest transaction would
-- serialize every commit on the notification queue's lock and defeat group commit.
