-- Segments: contact filters saved under a name (the audiences of campaigns).
CREATE TABLE segments (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    -- The filter as `parley_app::contacts::SegmentFilter` JSON.
    filter     TEXT    NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
