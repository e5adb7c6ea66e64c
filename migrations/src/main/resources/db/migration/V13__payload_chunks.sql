-- Documents up to OMS_MAX_PAYLOAD_BYTES are stored and read back in bounded pieces: the gzip
-- bytes as the ISO sent them, split into chunks written one statement each while the answer
-- streams in, so no replica ever holds a whole document. Rows written before this migration
-- keep their single content_gzip value; payload_piece reads both forms the same way.
CREATE TABLE payload_chunk (
    payload_id bigint  NOT NULL REFERENCES payload (id) ON DELETE CASCADE,
    seq        integer NOT NULL CHECK (seq >= 0),
    data       bytea   NOT NULL,
    PRIMARY KEY (payload_id, seq)
);
-- Already gzip: compressing it again only costs CPU.
ALTER TABLE payload_chunk ALTER COLUMN data SET STORAGE EXTERNAL;

ALTER TABLE payload ALTER COLUMN content_gzip DROP NOT NULL;
-- size_bytes and sha256 are null while the document is still being written (and checked);
-- nothing refers to such a payload, and a failed fetch deletes it.
ALTER TABLE payload ALTER COLUMN size_bytes DROP NOT NULL;
ALTER TABLE payload ALTER COLUMN sha256 DROP NOT NULL;
ALTER TABLE payload ADD CONSTRAINT payload_complete_or_writing CHECK ((size_bytes IS NULL) = (sha256 IS NULL));

-- Every payload as its pieces in order: the chunks, or the one content_gzip of an older row.
CREATE VIEW payload_piece AS
    SELECT id AS payload_id, 0 AS seq, content_gzip AS data FROM payload WHERE content_gzip IS NOT NULL
    UNION ALL
    SELECT payload_id, seq, data FROM payload_chunk;
