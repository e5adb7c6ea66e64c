-- V19: several participants in one deployment (iso-interface.md, last section; invariant 9).
-- Every message, outage, claim, market event, event and delivery belongs to one participant,
-- named by a key [A-Za-z0-9_-]{1,32}; rows written before this migration belong to 'default'.
-- V20 validates what this adds and swaps the keys to (participant, ...).
--
-- Locks, on a large existing database. Everything here only changes the catalog and holds its
-- (exclusive) locks for a moment, except the outage index, built first:
-- - ADD COLUMN with a constant default does not rewrite the table: existing rows read as
--   'default' at once, without an UPDATE.
-- - The checks and the new foreign key are added NOT VALID (new writes are checked from now
--   on) and validated in V20 without blocking writes.
-- - The claim, event and delivery indexes of the hot paths are kept as they are: a
--   participant's rows are found through them and filtered by participant (two participants
--   rarely share an mRID).

-- Two participants may both hear of one outage (a shared transmission outage), each with its
-- own versions: the outage row, the per-outage serialization point, is per participant. One
-- row per outage: a small table, whose index is built while the migration holds it alone.
ALTER TABLE outage ADD COLUMN participant text NOT NULL DEFAULT 'default';
CREATE UNIQUE INDEX outage_participant_key ON outage (participant, outage_mrid);

ALTER TABLE inbound_message ADD COLUMN participant text NOT NULL DEFAULT 'default';
ALTER TABLE claim           ADD COLUMN participant text NOT NULL DEFAULT 'default';
ALTER TABLE market_event    ADD COLUMN participant text NOT NULL DEFAULT 'default';
ALTER TABLE event           ADD COLUMN participant text NOT NULL DEFAULT 'default';
ALTER TABLE delivery        ADD COLUMN participant text NOT NULL DEFAULT 'default';
ALTER TABLE inbound_message ADD CONSTRAINT inbound_message_participant_check
    CHECK (participant ~ '^[A-Za-z0-9_-]{1,32}$') NOT VALID;
ALTER TABLE outage ADD CONSTRAINT outage_participant_check
    CHECK (participant ~ '^[A-Za-z0-9_-]{1,32}$') NOT VALID;
ALTER TABLE claim ADD CONSTRAINT claim_participant_check
    CHECK (participant ~ '^[A-Za-z0-9_-]{1,32}$') NOT VALID;
ALTER TABLE market_event ADD CONSTRAINT market_event_participant_check
    CHECK (participant ~ '^[A-Za-z0-9_-]{1,32}$') NOT VALID;
ALTER TABLE event ADD CONSTRAINT event_participant_check
    CHECK (participant ~ '^[A-Za-z0-9_-]{1,32}$') NOT VALID;
ALTER TABLE delivery ADD CONSTRAINT delivery_participant_check
    CHECK (participant ~ '^[A-Za-z0-9_-]{1,32}$') NOT VALID;

-- A claim's outage is its participant's (V20 drops the key on the mRID alone). A market-event
-- claim (no mRID) is not checked (MATCH SIMPLE).
ALTER TABLE claim ADD CONSTRAINT claim_outage_fkey
    FOREIGN KEY (participant, outage_mrid) REFERENCES outage (participant, outage_mrid) NOT VALID;

-- A subscriber may name the participants whose events it gets; null: every participant.
ALTER TABLE subscriber ADD COLUMN participants text[]
    CONSTRAINT subscriber_participants_check
    CHECK (participants IS NULL
           OR (cardinality(participants) > 0
               AND array_to_string(participants, ',', '?') ~ '^[A-Za-z0-9_-]{1,32}(,[A-Za-z0-9_-]{1,32})*$'));

-- The fan-out as in V3, with the participant: copied onto the delivery (order and supersession
-- are per participant and outage) and matched against the subscriber's participants.
CREATE OR REPLACE FUNCTION fanout_event_deliveries() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO delivery (event_id, subscriber_id, participant, outage_mrid, outage_version, event_created_at)
    SELECT NEW.id, s.id, NEW.participant, NEW.outage_mrid, NEW.outage_version, NEW.created_at
      FROM subscriber s
     WHERE s.enabled
       AND NEW.type = ANY (s.event_types)
       AND (s.participants IS NULL OR NEW.participant = ANY (s.participants))
       AND (NEW.type <> 'outage.status-changed' OR s.outage_types IS NULL
            OR upper(NEW.outage_type) = ANY (s.outage_types))
       AND (NEW.type <> 'market.event' OR s.markets IS NULL
            OR upper(NEW.market) = ANY (s.markets));
    RETURN NULL;
END
$$;
