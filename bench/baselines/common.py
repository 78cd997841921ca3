"""What both baselines do per request, as Meta's and the integrators' guides show it: verify
X-Hub-Signature-256 over the raw body, parse the JSON, insert each message into SQLite with a
unique wamid, and commit before answering."""

import hashlib
import hmac
import json
import os
import sqlite3
import threading

SECRET = os.environ["WA_APP_SECRET"].encode()
DATABASE = os.environ.get("BASELINE_DB", "/tmp/baseline.db")

_local = threading.local()


def connection():
    db = getattr(_local, "db", None)
    if db is None:
        db = sqlite3.connect(DATABASE, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS messages (wamid TEXT PRIMARY KEY, sender TEXT, body TEXT, payload TEXT)"
        )
        db.commit()
        _local.db = db
    return db


def verified(body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256="):])


def store(body: bytes) -> None:
    payload = json.loads(body)
    db = connection()
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            for message in change.get("value", {}).get("messages", []):
                db.execute(
                    "INSERT OR IGNORE INTO messages (wamid, sender, body, payload) VALUES (?, ?, ?, ?)",
                    (
                        message["id"],
                        message.get("from"),
                        message.get("text", {}).get("body"),
                        json.dumps(message),
                    ),
                )
    db.commit()
