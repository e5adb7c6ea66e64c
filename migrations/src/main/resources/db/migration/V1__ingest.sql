-- V1: the ingest path. A push is stored in one transaction: its inbound_message row, and
-- either an outage claim (plus the outage row) or a market_event row (plus a claim when the
-- event carries a claim check). Nothing here is written outside such a transaction.
--
-- Free-text columns (status, outage_type, event_type, market, action) are deliberately not
-- constrained to known values: the ISO may add values, and unknown ones are stored and passed
-- on, never rejected. Lengths the contract fixes (mRID 40, token 256) are enforced here too,
-- so bad data fails even if a caller forgets to validate.

-- Every push as received. message_id (the ISO's MessageID) is the deduplication key: a
-- repeated push finds its row here and only bumps the counters.
CREATE TABLE inbound_message (
    id              bigserial   PRIMARY KEY,
    message_id      text        NOT NULL UNIQUE CHECK (message_id <> ''),
    action          text,
    client_dn       text,
    -- the database clock, not the pod's: comparable across replicas
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- SHA-256 (lowercase hex) of the canonical push document. Retries are re-signed, so the
    -- raw bytes differ between true duplicates; this hash tells a duplicate from a conflict.
    document_sha256 text,
    -- the whole SOAP envelope exactly as received (signature included), for audit and replay
    raw_xml         bytea       NOT NULL,
    duplicate_count integer     NOT NULL DEFAULT 0,
    -- repeats of this MessageID whose document differed from the first (which is kept)
    conflict_count  integer     NOT NULL DEFAULT 0
);

-- One row per outage. Besides remembering the newest version seen, this row is the
-- per-outage serialization point: every store of an outage change upserts it first, which
-- takes its row lock until commit, so two pushes of one outage never decide supersession
-- concurrently (and cannot both leave a PENDING claim).
CREATE TABLE outage (
    outage_mrid    varchar(40) PRIMARY KEY CHECK (outage_mrid <> ''),
    outage_type    text,
    newest_version bigint      NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- A market event as pushed. fanout_state: READY when the push itself is the whole event (no
-- claim check), AWAITING_PAYLOAD when a claim (kind MARKET_EVENT) must be redeemed first.
-- Later migrations may widen the CHECK with further states.
CREATE TABLE market_event (
    id                 bigserial   PRIMARY KEY,
    inbound_message_id bigint      NOT NULL UNIQUE REFERENCES inbound_message (id),
    event_id           text        NOT NULL,
    event_type         text        NOT NULL,
    market             text        NOT NULL,
    trade_date         date        NOT NULL,
    event_time         timestamptz NOT NULL,
    description        text,
    fanout_state       text        NOT NULL
        CONSTRAINT market_event_fanout_state_check CHECK (fanout_state IN ('READY', 'AWAITING_PAYLOAD')),
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- A claim check to redeem (or, when token is null, an outage to fetch by mRID). Every outage
-- change writes one, even one that is already superseded on arrival, so the history of
-- versions is complete. Later migrations add lease columns for the redemption worker.
CREATE TABLE claim (
    id                 bigserial    PRIMARY KEY,
    inbound_message_id bigint       NOT NULL REFERENCES inbound_message (id),
    kind               text         NOT NULL CONSTRAINT claim_kind_check CHECK (kind IN ('OUTAGE', 'MARKET_EVENT')),
    outage_mrid        varchar(40)  REFERENCES outage (outage_mrid),
    outage_type        text,
    version            bigint,
    status             text,
    previous_status    text,
    last_modified      timestamptz,
    market_event_id    bigint       REFERENCES market_event (id),
    -- null: the push carried no claim check; the worker then retrieves by mRID
    token              varchar(256) CHECK (token <> ''),
    -- the ISO retrieve service to call (each service has its own AUP gate)
    service            text         NOT NULL CHECK (service <> ''),
    expires_at         timestamptz,
    state              text         NOT NULL DEFAULT 'PENDING'
        CONSTRAINT claim_state_check CHECK (state IN ('PENDING', 'SUPERSEDED', 'REDEEMED', 'DEAD')),
    attempts           integer      NOT NULL DEFAULT 0,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    -- an outage claim names its outage and version; a market-event claim names its event
    -- and always has a token (a market event without a claim check has no claim at all)
    CONSTRAINT claim_kind_shape_check CHECK (
        (kind = 'OUTAGE' AND outage_mrid IS NOT NULL AND version IS NOT NULL AND status IS NOT NULL
            AND market_event_id IS NULL)
        OR
        (kind = 'MARKET_EVENT' AND market_event_id IS NOT NULL AND token IS NOT NULL
            AND outage_mrid IS NULL AND version IS NULL))
);

-- Supersession asks "is there any claim of this outage with version >= v?" on every store.
CREATE INDEX claim_outage_version_idx ON claim (outage_mrid, version);

-- The pending claims of an outage (superseded on newer versions, redeemed by the worker).
CREATE INDEX claim_pending_by_outage_idx ON claim (outage_mrid, version) WHERE state = 'PENDING';

-- Foreign keys are not indexed by PostgreSQL itself; these keep lookups from a message cheap.
CREATE INDEX claim_inbound_message_idx ON claim (inbound_message_id);
CREATE INDEX claim_market_event_idx ON claim (market_event_id) WHERE market_event_id IS NOT NULL;
