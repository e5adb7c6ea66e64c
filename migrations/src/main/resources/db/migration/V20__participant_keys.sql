-- V20: the participant becomes part of the keys (V19 added it).
--
-- Locks, in this order so that the long parts block as little as possible:
-- 1. The checks of the rows written before V19 (all 'default'): SHARE UPDATE EXCLUSIVE, reads
--    and writes go on. The foreign key takes ROW SHARE on outage, which blocks nothing.
-- 2. The unique index (participant, message_id): SHARE, writes of messages wait while it is
--    built, reads go on (CONCURRENTLY is not allowed in Flyway's transaction).
-- 3. The swap of the keys: exclusive locks, catalog only, held for a moment until commit.
ALTER TABLE inbound_message VALIDATE CONSTRAINT inbound_message_participant_check;
ALTER TABLE outage VALIDATE CONSTRAINT outage_participant_check;
ALTER TABLE claim VALIDATE CONSTRAINT claim_participant_check;
ALTER TABLE market_event VALIDATE CONSTRAINT market_event_participant_check;
ALTER TABLE event VALIDATE CONSTRAINT event_participant_check;
ALTER TABLE delivery VALIDATE CONSTRAINT delivery_participant_check;
ALTER TABLE claim VALIDATE CONSTRAINT claim_outage_fkey;

-- MessageIDs are unique per participant only (each participant's copy of a market event has
-- its own MessageID); a repeat is found by (participant, message_id).
CREATE UNIQUE INDEX inbound_message_participant_message_key ON inbound_message (participant, message_id);

ALTER TABLE inbound_message ADD CONSTRAINT inbound_message_participant_message_key
    UNIQUE USING INDEX inbound_message_participant_message_key;
ALTER TABLE inbound_message DROP CONSTRAINT inbound_message_message_id_key;

ALTER TABLE claim DROP CONSTRAINT claim_outage_mrid_fkey;
ALTER TABLE outage DROP CONSTRAINT outage_pkey;
ALTER TABLE outage ADD CONSTRAINT outage_pkey PRIMARY KEY USING INDEX outage_participant_key;
