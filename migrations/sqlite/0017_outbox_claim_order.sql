-- Claims take members' messages before campaigns' (`priority`), then the oldest due: an index
-- in that order lets a claim stop after the jobs it takes instead of sorting every pending
-- job (60,000 queued sends made each claim sort them all).
CREATE INDEX outbox_claim_order ON outbox (priority, next_attempt_at, message_id)
    WHERE state = 'pending';
