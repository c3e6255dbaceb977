"""The floor for bench/aggregate.py: the least a Flask + PostgreSQL endpoint can do per request.

It answers the same URL and body as mes_web's aggregate endpoint, so the same wrk script drives
both, but does only this: parse the JSON body, read one row by primary key (the batch) through a
SQLAlchemy Core connection pool owned by the worker process, and return small JSON. No auth, no
ORM, no write, no transaction beyond the single SELECT.

    DATABASE_URL=postgresql://... gunicorn --chdir bench floor_app:app
"""

import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

DATABASE_URL = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)

# Created when a gunicorn worker imports this module (no --preload), so each worker has its own pool.
engine = create_engine(DATABASE_URL, pool_size=5, max_overflow=0)
ROW_BY_ID = text("SELECT id, batch_number, is_closed FROM batches WHERE id = :id")

app = Flask(__name__)


@app.get("/health")
def health():
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return jsonify(status="ok")


@app.post("/api/v1/batches/<int:batch_id>/aggregate")
def aggregate(batch_id: int):
    body = request.get_json(force=True, silent=True) or {}
    with engine.connect() as connection:
        row = connection.execute(ROW_BY_ID, {"id": batch_id}).first()
    if row is None:
        return jsonify(error="not_found"), 404
    return jsonify(id=row.id, is_closed=row.is_closed, unique_code=body.get("unique_code"))
