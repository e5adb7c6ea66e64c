-- V3: fan-out to the participant's own systems (invariant 6). Subscribers, their signing
-- secrets, and one delivery row per (event, subscriber), written by a trigger in the very
-- transaction that inserted the event: producers need not know who subscribes, and a
-- committed event always has its deliveries. The delivery worker claims due rows with a lease
-- on the database clock (FOR NO KEY UPDATE SKIP LOCKED on the subscriber row), sends without
-- any transaction open, and records the answer.

-- A system that receives events by signed HTTP POST. Filters: event_types (the names in
-- event.type), and optionally outage_types (outage events) and markets (market events), both
-- stored upper case; null = every one.
CREATE TABLE subscriber (
    id                   uuid        PRIMARY KEY,
    url                  text        NOT NULL CHECK (url <> ''),
    description          text,
    event_types          text[]      NOT NULL
        CONSTRAINT subscriber_event_types_check
        CHECK (cardinality(event_types) > 0 AND event_types <@ ARRAY['outage.status-changed', 'market.event']),
    outage_types         text[],
    markets              text[],
    enabled              boolean     NOT NULL DEFAULT true,
    -- why it was disabled (a 410 answer, an operator); cleared when enabled again
    disabled_reason      text,
    -- at most this many deliveries to this subscriber in flight at once, over all replicas
    max_in_flight        integer     NOT NULL DEFAULT 4 CHECK (max_in_flight BETWEEN 1 AND 64),
    -- optional client certificate (PEM) for subscribers that require mutual TLS
    client_cert_pem      text,
    client_key_pem       text,
    -- CloudEvents webhook validation handshake (OPTIONS + WebHook-Request-Origin) on create
    validation_handshake boolean     NOT NULL DEFAULT false,
    -- circuit breaker: failures in a row; while paused_until is ahead, nothing is sent
    consecutive_failures integer     NOT NULL DEFAULT 0,
    paused_until         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscriber_client_cert_check CHECK ((client_cert_pem IS NULL) = (client_key_pem IS NULL))
);

-- Standard Webhooks secrets (whsec_ + base64 key). The current one has no expiry; after a
-- rotation the previous ones keep signing alongside it until expires_at.
CREATE TABLE subscriber_secret (
    id            bigserial   PRIMARY KEY,
    subscriber_id uuid        NOT NULL REFERENCES subscriber (id) ON DELETE CASCADE,
    secret        text        NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz
);

CREATE INDEX subscriber_secret_subscriber_idx ON subscriber_secret (subscriber_id);

-- One per (event, subscriber). id is the webhook-id: stable across retries and replays.
-- PENDING: to send (leased while in flight); DELIVERED: answered 2xx; SKIPPED: superseded
-- by a newer version of the same outage before it was sent; DEAD: the last attempt failed
-- (or the subscriber answered 410), replayable by an operator.
CREATE TABLE delivery (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id         uuid        NOT NULL REFERENCES event (id),
    subscriber_id    uuid        NOT NULL REFERENCES subscriber (id) ON DELETE CASCADE,
    -- copied from the event: the order key per (subscriber, outage)
    outage_mrid      varchar(40),
    outage_version   bigint,
    event_created_at timestamptz NOT NULL,
    state            text        NOT NULL DEFAULT 'PENDING'
        CONSTRAINT delivery_state_check CHECK (state IN ('PENDING', 'DELIVERED', 'SKIPPED', 'DEAD')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_until      timestamptz,
    last_status      integer,
    last_error       text,
    -- the start of the last answer's body, bounded (a few KB)
    last_response    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    CONSTRAINT delivery_event_subscriber_key UNIQUE (event_id, subscriber_id)
);

-- What the worker asks on every poll: the due deliveries of a subscriber.
CREATE INDEX delivery_due_idx ON delivery (subscriber_id, next_attempt_at) WHERE state = 'PENDING';
-- Order and supersession: the other versions of an outage for the same subscriber.
CREATE INDEX delivery_outage_idx ON delivery (subscriber_id, outage_mrid, outage_version)
    WHERE outage_mrid IS NOT NULL;
-- The admin API: a subscriber's deliveries by state, newest first.
CREATE INDEX delivery_subscriber_state_idx ON delivery (subscriber_id, state, created_at);
CREATE INDEX delivery_event_idx ON delivery (event_id);

-- Server-side keys shared by every replica (e.g. the HMAC key of the signed payload URLs, so a
-- URL signed by one replica is honoured by another). Created by the first replica that needs it.
CREATE TABLE fanout_key (
    name       text        PRIMARY KEY,
    key        bytea       NOT NULL CHECK (length(key) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The fan-out itself: a delivery for each enabled subscriber whose filters match, in the
-- inserting transaction. No NOTIFY here (it would serialize every commit on the notification
-- queue's lock): producers send NOTIFY oms_event after commit, and the worker polls anyway.
CREATE FUNCTION fanout_event_deliveries() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO delivery (event_id, subscriber_id, outage_mrid, outage_version, event_created_at)
    SELECT NEW.id, s.id, NEW.outage_mrid, NEW.outage_version, NEW.created_at
      FROM subscriber s
     WHERE s.enabled
       AND NEW.type = ANY (s.event_types)
       AND (NEW.type <> 'outage.status-changed' OR s.outage_types IS NULL
            OR upper(NEW.outage_type) = ANY (s.outage_types))
       AND (NEW.type <> 'market.event' OR s.markets IS NULL
            OR upper(NEW.market) = ANY (s.markets));
    RETURN NULL;
END
$$;

CREATE TRIGGER event_fanout AFTER INSERT ON event
    FOR EACH ROW EXECUTE FUNCTION fanout_event_deliveries();
