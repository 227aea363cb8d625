"""The framework floor: a bare Flask app answering "ok", served exactly like openday."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok() -> str:
    return "ok"
