-- PostgreSQL gives events their ids at commit (see its 0018). SQLite has one writer, which
-- already orders commits: nothing to change; the file keeps both engines' numbering aligned.
SELECT 1;
