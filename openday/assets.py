"""Static files as phones should get them: each under a name carrying a hash of its content, so it
can be cached for a year and never revalidated, and compressed once (Brotli and gzip) when it is
built rather than on every request.

At start the app copies ``static/`` into ``OPENDAY_ASSETS_DIR`` (default ``instance/assets``):
``static/css/openday.<hash>.css`` with ``.br`` and ``.gz`` beside it, and ``manifest.json``
mapping each name to its hashed copy. ``url_for('static', filename=...)`` stays the only way a
template names a file; a ``url_defaults`` hook swaps in the hashed name. WhiteNoise serves the
copies from the app (``make run``, gunicorn alone) with the Brotli or gzip file the browser
accepts; nginx serves the same directory directly in production (deploy/). A name the manifest
does not know falls through to Flask's own static view, unhashed and uncached.

Only changed files are copied and compressed again, so a start with nothing new only hashes the
tree (a few milliseconds). Copies of older versions stay: a page rendered before a deploy may
still name them.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

MANIFEST = "manifest.json"
# Inputs of `make vendor` (esbuild entry points), not files a page loads.
NOT_SERVED = ("vendor/src/",)
IMMUTABLE = "public, max-age=31536000, immutable"


def assets_dir(app: Flask) -> Path:
    """Where the hashed copies go: the setting, the environment's OPENDAY_ASSETS_DIR, or
    ``instance/assets``."""
    return Path(app.config.get("OPENDAY_ASSETS_DIR") or os.environ.get("OPENDAY_ASSETS_DIR")
                or os.path.join(app.instance_path, "assets"))


def hashed_name(name: str, data: bytes) -> str:
    """``css/openday.css`` → ``css/openday.<12 hex>.css``; the hash is of the content."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    folder, slash, base = name.rpartition("/")
    stem, dot, ext = base.rpartition(".")
    base = f"{stem}.{digest}.{ext}" if dot and stem else f"{base}.{digest}"
    return f"{folder}{slash}{base}"


def build(source: Path, target: Path) -> dict[str, str]:
    """Copy every file under ``source`` to ``target/static`` under its hashed name, with Brotli
    and gzip variants where they are smaller, and write ``target/manifest.json``."""
    compressor = Compressor(quiet=True)
    manifest: dict[str, str] = {}
    for path in sorted(source.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(source).parts)
        if hidden or not path.is_file():
            continue
        name = path.relative_to(source).as_posix()
        if name.startswith(NOT_SERVED):
            continue
        data = path.read_bytes()
        hashed = hashed_name(name, data)
        manifest[name] = hashed
        out = target / "static" / hashed
        if out.exists():
            continue  # same name, same content: built by an earlier start
        out.parent.mkdir(parents=True, exist_ok=True)
        if compressor.should_compress(hashed):
            # The variants first and the file last: a copy that exists is a complete one, which
            # the check above relies on when a start was interrupted.
            squeezers = [("gz", compressor.compress_gzip)]
            if compressor.use_brotli:
                squeezers.insert(0, ("br", compressor.compress_brotli))
            for suffix, squeeze in squeezers:
                packed = squeeze(data)
                if len(packed) <= 0.95 * len(data):  # WhiteNoise's own threshold
                    _write(out.with_name(f"{out.name}.{suffix}"), packed)
        _write(out, data)
    text = json.dumps(manifest, indent=1, sort_keys=True).encode()
    if read_manifest(target) != manifest:
        _write(target / MANIFEST, text)
    return manifest


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename: gunicorn's workers each build at start, and a
    reader (nginx, another worker) never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)  # nginx's workers read these as another user
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def read_manifest(target: Path) -> dict[str, str] | None:
    try:
        return json.loads((target / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


class HashedStatic(WhiteNoise):
    """WhiteNoise serving the hashed copies: a year, public, immutable. These answers never reach
    Flask's after_request, so the one security header that matters for a file is set here."""

    def add_cache_headers(self, headers, path, url):
        headers["Cache-Control"] = IMMUTABLE
        headers["X-Content-Type-Options"] = "nosniff"


def init_app(app: Flask) -> None:
    # Debug: a file edited under the developer's hands shows on the next reload. Tests: the
    # plain names unless a test asks for the assets (OPENDAY_ASSETS_DIR).
    if app.debug or (app.testing and not app.config.get("OPENDAY_ASSETS_DIR")):
        return
    target = assets_dir(app)
    try:
        manifest = build(Path(app.static_folder), target)
    except OSError as exc:  # a read-only checkout: what an earlier build left, if anything
        app.logger.warning("openday: static files not rebuilt in %s: %s", target, exc)
        manifest = read_manifest(target)
    if not manifest:
        return
    app.extensions["openday_assets"] = manifest

    @app.url_defaults
    def hashed_static(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            hashed = manifest.get(values.get("filename"))
            if hashed is not None:
                values["filename"] = hashed

    app.wsgi_app = HashedStatic(app.wsgi_app, root=target / "static",
                                prefix=app.static_url_path, allow_all_origins=False)
