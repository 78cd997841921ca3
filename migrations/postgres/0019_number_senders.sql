-- Which nodes send on which business number, renewed every second while they do: each node
-- paces a number at its rate divided by the nodes sending on it (outbox/sharing.rs).
CREATE TABLE number_senders (
    phone_number_id TEXT NOT NULL,
    node            TEXT NOT NULL,
    seen_at         BIGINT NOT NULL,
    PRIMARY KEY (phone_number_id, node)
);
