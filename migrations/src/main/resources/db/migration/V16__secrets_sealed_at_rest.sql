-- V16: secrets sealed at rest. Subscriber signing secrets, subscribers' client private keys and
-- the payload-link key get a sealed column (AES-256-GCM: nonce, ciphertext, tag) and the id of the
-- key-encryption key that sealed it. SQL cannot know that key (it lives outside the database), so
-- the plaintext columns stay for now: the receiver seals the rows that still have plaintext at
-- start-up (idempotent, one batch at a time with FOR UPDATE SKIP LOCKED, so replicas starting
-- together share the work) and writes only sealed values from then on. A row holds one form or the
-- other, never both.

ALTER TABLE subscriber_secret
    ALTER COLUMN secret DROP NOT NULL,
    ADD COLUMN secret_sealed  bytea,
    ADD COLUMN sealing_key_id text,
    ADD CONSTRAINT subscriber_secret_one_form_check CHECK ((secret IS NULL) <> (secret_sealed IS NULL)),
    ADD CONSTRAINT subscriber_secret_key_id_check CHECK ((secret_sealed IS NULL) = (sealing_key_id IS NULL));

ALTER TABLE subscriber
    ADD COLUMN client_key_sealed bytea,
    ADD COLUMN sealing_key_id    text,
    DROP CONSTRAINT subscriber_client_cert_check,
    ADD CONSTRAINT subscriber_client_cert_check
        CHECK ((client_cert_pem IS NULL) = (client_key_pem IS NULL AND client_key_sealed IS NULL)),
    ADD CONSTRAINT subscriber_client_key_one_form_check
        CHECK (client_key_pem IS NULL OR client_key_sealed IS NULL),
    ADD CONSTRAINT subscriber_key_id_check CHECK ((client_key_sealed IS NULL) = (sealing_key_id IS NULL));

ALTER TABLE fanout_key
    ALTER COLUMN key DROP NOT NULL,
    ADD COLUMN key_sealed     bytea,
    ADD COLUMN sealing_key_id text,
    ADD CONSTRAINT fanout_key_one_form_check CHECK ((key IS NULL) <> (key_sealed IS NULL)),
    ADD CONSTRAINT fanout_key_key_id_check CHECK ((key_sealed IS NULL) = (sealing_key_id IS NULL));
