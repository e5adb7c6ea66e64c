-- V23: an outage change in one round trip. The receiver used to send BEGIN, two statements and
-- COMMIT; this function runs the same two statements (PushSql) in one call, which commits on its
-- own. The two stay separate statements: in READ COMMITTED each statement of a VOLATILE function
-- takes a new snapshot, so the second (the claims of the outage) sees every claim committed by
-- the push that held the outage row before the first could lock it: only the newest version
-- stays PENDING, as before. A refused value fails the call and nothing is written.
--
-- Returns new_message_row (null: a repeat of a MessageID already stored), repeat_conflict (a
-- repeat whose document differs from the first), and for a new message the claim's id, state
-- and how many older claims it superseded.
CREATE FUNCTION store_outage_change(
    p_participant text, p_message_id text, p_action text, p_client_dn text, p_document_sha256 text,
    p_raw_xml bytea, p_outage_mrid text, p_outage_type text, p_version bigint, p_status text,
    p_previous_status text, p_last_modified timestamptz, p_token text, p_service text,
    p_expires_at timestamptz,
    OUT new_message_row bigint, OUT repeat_conflict boolean, OUT new_claim_id bigint,
    OUT new_claim_state text, OUT superseded_claims bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- Step 1: the message; when it is new, the outage row, locked until commit (it serializes the
    -- pushes of one outage); when it is a repeat, counted on the first message.
    WITH new_message AS (
        INSERT INTO inbound_message (participant, message_id, action, client_dn, document_sha256, raw_xml)
        VALUES (p_participant, p_message_id, p_action, p_client_dn, p_document_sha256, p_raw_xml)
        ON CONFLICT (participant, message_id) DO NOTHING
        RETURNING id
    ), locked_outage AS (
        -- ON CONFLICT DO UPDATE waits for and updates the newest committed row, whatever the snapshot
        INSERT INTO outage (participant, outage_mrid, outage_type, newest_version)
        SELECT p_participant, p_outage_mrid, p_outage_type, p_version FROM new_message
        ON CONFLICT (participant, outage_mrid) DO UPDATE
          SET newest_version = GREATEST(outage.newest_version, EXCLUDED.newest_version),
              outage_type = CASE WHEN EXCLUDED.newest_version >= outage.newest_version
                                 THEN EXCLUDED.outage_type ELSE outage.outage_type END,
              updated_at = now()
        RETURNING outage_mrid
    ), repeat AS (
        UPDATE inbound_message m
           SET duplicate_count = m.duplicate_count + 1,
               conflict_count = m.conflict_count
                 + CASE WHEN m.document_sha256 IS DISTINCT FROM p_document_sha256 THEN 1 ELSE 0 END
         WHERE m.participant = p_participant AND m.message_id = p_message_id
           AND NOT EXISTS (SELECT 1 FROM new_message)
        RETURNING m.document_sha256 IS DISTINCT FROM p_document_sha256 AS conflict
    )
    SELECT (SELECT id FROM new_message), (SELECT count(*) FROM locked_outage), (SELECT conflict FROM repeat)
      INTO new_message_row, superseded_claims, repeat_conflict;

    IF new_message_row IS NULL THEN
        superseded_claims := NULL;
        IF repeat_conflict IS NULL THEN
            -- the first copy committed after step 1's snapshot: this statement's sees it
            UPDATE inbound_message m
               SET duplicate_count = m.duplicate_count + 1,
                   conflict_count = m.conflict_count
                     + CASE WHEN m.document_sha256 IS DISTINCT FROM p_document_sha256 THEN 1 ELSE 0 END
             WHERE m.participant = p_participant AND m.message_id = p_message_id
            RETURNING m.document_sha256 IS DISTINCT FROM p_document_sha256 INTO repeat_conflict;
        END IF;
        RETURN;
    END IF;

    -- Step 2, under the outage row lock and on a new snapshot: the new claim is SUPERSEDED when a
    -- claim of the outage with this version or a newer one exists (in any state); otherwise it is
    -- PENDING and every older PENDING claim of the outage becomes SUPERSEDED.
    WITH known AS (
        SELECT EXISTS (SELECT 1 FROM claim c WHERE c.outage_mrid = p_outage_mrid AND c.participant = p_participant
                                               AND c.version >= p_version) AS newer_or_same
    ), new_claim AS (
        INSERT INTO claim (participant, inbound_message_id, kind, outage_mrid, outage_type, version, status,
                           previous_status, last_modified, token, service, expires_at, state)
        SELECT p_participant, new_message_row, 'OUTAGE', p_outage_mrid, p_outage_type, p_version, p_status,
               p_previous_status, p_last_modified, p_token, p_service, p_expires_at,
               CASE WHEN known.newer_or_same THEN 'SUPERSEDED' ELSE 'PENDING' END
          FROM known
        RETURNING id, state
    ), superseded AS (
        UPDATE claim c
           SET state = 'SUPERSEDED', updated_at = now()
         WHERE c.outage_mrid = p_outage_mrid AND c.participant = p_participant AND c.state = 'PENDING'
           AND c.version < p_version
        RETURNING c.id
    )
    SELECT new_claim.id, new_claim.state, (SELECT count(*) FROM superseded)
      INTO new_claim_id, new_claim_state, superseded_claims
      FROM new_claim;
END
$$;
