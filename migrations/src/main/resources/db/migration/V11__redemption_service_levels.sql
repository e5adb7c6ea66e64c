-- V11: redemption that survives the ISO's service levels (a maintenance window, a receiver that
-- dies mid-fetch, a service no identity serves) and operator actions without SQL.

-- UNSERVICEABLE: no configured identity serves the claim's service; revived once one does.
-- NOT VALID here (a short lock) and validated in V12, its own transaction, so that the check of
-- existing rows does not block writes.
ALTER TABLE claim DROP CONSTRAINT claim_state_check;
ALTER TABLE claim ADD CONSTRAINT claim_state_check
    CHECK (state IN ('PENDING', 'SUPERSEDED', 'REDEEMED', 'DEAD', 'UNSERVICEABLE')) NOT VALID;

ALTER TABLE claim
    -- failures that do not count toward OMS_RETRIEVE_MAX_ATTEMPTS (the ISO unavailable); they
    -- only make a claim DEAD once it is older than OMS_REDEEM_GIVE_UP_AFTER
    ADD COLUMN transient_failures integer NOT NULL DEFAULT 0,
    -- set with the take of the AUP gate, before the request leaves; cleared with the answer.
    -- Still set when the lease ran out: the receiver was lost during the fetch.
    ADD COLUMN fetch_started_at   timestamptz,
    ADD COLUMN lost_fetches       integer NOT NULL DEFAULT 0,
    -- why a claim is DEAD: attempts, gave_up, receiver_lost
    ADD COLUMN dead_reason        text,
    -- an operator's retry: the give-up time counts from here rather than from created_at
    ADD COLUMN retried_at         timestamptz;

-- UNSERVICEABLE claims by service: revived when an identity serving it is configured.
CREATE INDEX claim_unserviceable_idx ON claim (service) WHERE state = 'UNSERVICEABLE';

-- The last call's outcome per (identity, service), for GET /api/v1/gates.
ALTER TABLE aup_gate
    ADD COLUMN last_outcome    text,
    ADD COLUMN last_outcome_at timestamptz;
