-- Segments: contact filters saved under a name (the audiences of campaigns).
CREATE TABLE segments (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT   NOT NULL,
    -- The filter as `parley_app::contacts::SegmentFilter` JSON.
    filter     TEXT   NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
