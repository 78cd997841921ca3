"""Fidelity of Parley's WhatsApp simulator against an independent implementation.

pywa (a WhatsApp Cloud API library for Python) sends messages through the simulator, with an
httpx transport that points its Graph API calls at the simulator instead of Meta, and pywa's
webhook parser must accept every webhook the simulator emits (signatures checked).
"""

import http.server
import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from pywa import WhatsApp, types
from pywa.types.templates import TemplateLanguage

ROOT = Path(__file__).resolve().parents[2]
PARLEY = os.environ.get("PARLEY_BIN", str(ROOT / "target" / "debug" / "parley"))
APP_SECRET = "pywa-fidelity-secret"
CONTROL = {"x-simulator-secret": "pywa-fidelity-controls"}
TOKEN = "pywa-fidelity-token"
NUMBER = "1100000000001"
WABA = "900000000001"
AMIRA = "15550100001"  # a persona who writes to NUMBER and answers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Captured:
    def __init__(self):
        self.lock = threading.Lock()
        self.webhooks = []  # (raw body, signature header)

    def all(self):
        with self.lock:
            return list(self.webhooks)


def start_receiver(captured):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with captured.lock:
                captured.webhooks.append((body, self.headers.get("X-Hub-Signature-256")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class ToSimulator(httpx.HTTPTransport):
    """Sends what pywa addresses to graph.facebook.com to the simulator instead."""

    def __init__(self, simulator):
        super().__init__()
        self.simulator = httpx.URL(simulator)

    def handle_request(self, request):
        request.url = request.url.copy_with(
            scheme=self.simulator.scheme, host=self.simulator.host, port=self.simulator.port
        )
        return super().handle_request(request)


@pytest.fixture(scope="module")
def world():
    captured = Captured()
    receiver = start_receiver(captured)
    sim_port = free_port()
    process = subprocess.Popen(
        [PARLEY, "simulate", "--webhook-url", f"http://127.0.0.1:{receiver.server_port}/hook",
         "--app-secret", APP_SECRET, "--access-token", TOKEN, "--listen", f"127.0.0.1:{sim_port}", "--speed", "50",
         "--control-secret", CONTROL["x-simulator-secret"]],
        stdout=subprocess.DEVNULL,
    )
    simulator = f"http://127.0.0.1:{sim_port}"
    for _ in range(200):
        try:
            httpx.get(f"{simulator}/_simulator/accepted", headers=CONTROL, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    wa = WhatsApp(
        phone_id=NUMBER,
        token=TOKEN,
        session=httpx.Client(transport=ToSimulator(simulator), timeout=10),
        app_secret=APP_SECRET,
        waba_id=WABA,
        validate_updates=True,
        filter_updates=False,
    )
    yield wa, simulator, captured
    process.terminate()
    process.wait(timeout=10)
    receiver.shutdown()


def test_pywa_sends_every_kind_through_the_simulator(world):
    wa, simulator, _ = world
    # The customer writes first, so the service window is open.
    opened = httpx.post(f"{simulator}/_simulator/customers/{AMIRA}/messages", headers=CONTROL,
                        json={"type": "text", "text": {"body": "Hi from the test"}}).json()["id"]
    sent = [
        wa.send_message(to=AMIRA, text="Hello from pywa 👋"),
        wa.send_message(to=AMIRA, text="Pick one", buttons=[types.Button(title="Yes", callback_data="yes"),
                                                            types.Button(title="No", callback_data="no")]),
        wa.send_message(to=AMIRA, text="Choose a size", buttons=types.SectionList(button_title="Sizes", sections=[
            types.Section(title="Sizes", rows=[types.SectionRow(title="Small", callback_data="s"),
                                               types.SectionRow(title="Large", callback_data="l")])])),
        wa.send_image(to=AMIRA, image="https://example.com/cat.png", caption="A cat"),
        wa.send_location(to=AMIRA, latitude=38.72, longitude=-9.14, name="Shop", address="Lisbon"),
        wa.send_reaction(to=AMIRA, emoji="👍", message_id=opened),
        wa.send_template(to=AMIRA, name="hello_world", language=TemplateLanguage.ENGLISH_US),
    ]
    uploaded = wa.upload_media(media=b"%PDF-1.4 tiny", mime_type="application/pdf", filename="note.pdf")
    sent.append(wa.send_document(to=AMIRA, document=uploaded.id, filename="note.pdf", caption="Your invoice"))
    for message in sent:
        assert message.id.startswith("wamid."), message
    assert wa.mark_message_as_read(message_id=opened).success
    assert wa.indicate_typing(message_id=opened).success
    assert wa.get_media_url(media_id=uploaded.id).mime_type == "application/pdf"
    accepted = httpx.get(f"{simulator}/_simulator/accepted", headers=CONTROL).json()["accepted"]
    assert {a.get("type", "text") for a in accepted} >= {"text", "interactive", "image", "location", "reaction",
                                                         "template", "document"}


def test_pywa_parses_every_webhook_the_simulator_emits(world):
    wa, simulator, captured = world
    seen = {"message": 0, "status": 0, "button": 0, "selection": 0, "template": 0}
    wa.add_handlers(
        pywa.handlers.MessageHandler(lambda _, __: seen.__setitem__("message", seen["message"] + 1)),
        pywa.handlers.MessageStatusHandler(lambda _, __: seen.__setitem__("status", seen["status"] + 1)),
        pywa.handlers.CallbackButtonHandler(lambda _, __: seen.__setitem__("button", seen["button"] + 1)),
        pywa.handlers.CallbackSelectionHandler(lambda _, __: seen.__setitem__("selection", seen["selection"] + 1)),
        pywa.handlers.TemplateStatusUpdateHandler(lambda _, __: seen.__setitem__("template", seen["template"] + 1)),
    )
    # Customers write every inbound type; a template goes through review.
    for content in [
        {"type": "text", "text": {"body": "שלום 😀"}},
        {"type": "location", "location": {"latitude": 1.5, "longitude": 2.5, "name": "Here"}},
        {"type": "contacts", "contacts": [{"name": {"formatted_name": "Sam Rivera", "first_name": "Sam"},
                                           "phones": [{"phone": "+1 555 0100", "type": "CELL"}]}]},
    ]:
        httpx.post(f"{simulator}/_simulator/customers/{AMIRA}/messages", headers=CONTROL, json=content).raise_for_status()
    httpx.post(f"{simulator}/v26.0/{WABA}/message_templates", headers={"Authorization": f"Bearer {TOKEN}"},
               json={"name": "pywa_check", "language": "en_US", "category": "UTILITY",
                     "components": [{"type": "BODY", "text": "Your code is ready"}]}).raise_for_status()
    # Statuses, replies to buttons and lists, reactions, the review verdict, and the scripted
    # customers' own traffic all arrive within a few seconds at speed 50.
    deadline = time.time() + 20
    while time.time() < deadline:
        kinds = json.dumps([json.loads(body) for body, _ in captured.all()])
        if all(k in kinds for k in ("button_reply", "list_reply", '"read"', "message_template_status_update")):
            break
        time.sleep(0.2)
    webhooks = captured.all()
    assert len(webhooks) > 20, len(webhooks)
    for body, signature in webhooks:
        response, status = wa.webhook_update_handler(update=body, hmac_header=signature)
        assert status == 200, (status, response, body[:300])
    for kind, count in seen.items():
        assert count > 0, f"pywa saw no {kind} update: {seen}"


import pywa.handlers  # noqa: E402  (kept beside its use above for readability)
