"""The same receiver with FastAPI under uvicorn."""

from fastapi import FastAPI, Request, Response

import common

app = FastAPI()


@app.post("/webhooks/whatsapp")
async def webhook(request: Request):
    body = await request.body()
    if not common.verified(body, request.headers.get("x-hub-signature-256")):
        return Response("bad signature", status_code=403)
    common.store(body)
    return Response("ok")
