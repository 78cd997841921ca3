"""The Flask webhook receiver of Meta's and the integrators' guides (run under gunicorn)."""

from flask import Flask, request

import common

app = Flask(__name__)


@app.post("/webhooks/whatsapp")
def webhook():
    body = request.get_data()
    if not common.verified(body, request.headers.get("X-Hub-Signature-256")):
        return "bad signature", 403
    common.store(body)
    return "ok", 200
