"""A notice's files: PDF, DOCX and XLSX, each recognised by its content, never by its name.

A PDF starts with ``%PDF-``. DOCX and XLSX are ZIP packages (Office Open XML): a ZIP whose
``[Content_Types].xml`` is present and whose main part is ``word/document.xml`` or
``xl/workbook.xml``. A file whose content is none of these, or whose name ends in another kind's
extension (a ZIP called ``.pdf``, a PDF called ``.xlsx``, a program called ``.docx``), is refused:
the name is what a reader's computer will open it with. Files are stored under the instance
folder by a random name and served only as downloads (``Content-Disposition: attachment``,
``nosniff``), so a browser never renders one in the site's origin.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from openday.core.errors import RuleError
from openday.core.i18n import _l

KINDS = {
    "pdf": ("application/pdf", ".pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
_OOXML_MAIN = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


@dataclass(frozen=True)
class Upload:
    """A file checked and ready to store."""

    filename: str
    kind: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> str | None:
    """The kind the bytes are (pdf, docx, xlsx), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for kind, main in _OOXML_MAIN.items():
        if main in names:
            return kind
    return None


def clean_filename(raw: str | None, kind: str) -> str:
    """The uploader's name without directories, control characters or quotes, at most 200
    characters, ending in the kind's extension."""
    name = unicodedata.normalize("NFC", os.path.basename((raw or "").replace("\\", "/")))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'["<>:|?*/]', "_", name).strip(" .") or "attachment"
    extension = KINDS[kind][1]
    stem = name[: -len(extension)] if name.lower().endswith(extension) else name
    return stem[: 200 - len(extension)] + extension


def check(filename: str | None, data: bytes, field: str = "attachments") -> Upload:
    """The file as an Upload, or RuleError naming ``field``: empty, too large, not a PDF, DOCX
    or XLSX by its content, or named as another kind than it is."""
    limit = current_app.config["OPENDAY_ATTACHMENT_MAX_BYTES"]
    if not data:
        raise RuleError.on(field, _l("附件“%(name)s”是空文件。", name=filename or ""))
    if len(data) > limit:
        raise RuleError.on(field, _l("附件“%(name)s”超过 %(mb)s MB。", name=filename or "",
                                     mb=round(limit / 1024 / 1024, 1)))
    kind = sniff(data)
    if kind is None:
        raise RuleError.on(field, _l("附件“%(name)s”不是 PDF、DOCX 或 XLSX 文件。",
                                     name=filename or ""))
    lower = (filename or "").lower()
    named_as = next((k for k, (_type, ext) in KINDS.items() if lower.endswith(ext)), None)
    if named_as != kind:
        raise RuleError.on(field, _l("附件“%(name)s”的扩展名与文件内容不符。",
                                     name=filename or ""))
    return Upload(clean_filename(filename, kind), kind, data)


def folder(create: bool = True) -> Path:
    """OPENDAY_ATTACHMENTS_DIR, or instance/attachments."""
    configured = current_app.config.get("OPENDAY_ATTACHMENTS_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "attachments"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def store(upload: Upload) -> str:
    """Write the bytes under a new random name; that name."""
    name = secrets.token_hex(16)
    target = folder() / name
    with open(target, "xb") as handle:
        handle.write(upload.data)
    return name


def path_of(stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name or ""):
        raise FileNotFoundError(stored_name)
    return folder() / stored_name


def remove(stored_name: str) -> None:
    try:
        path_of(stored_name).unlink()
    except FileNotFoundError:
        pass
