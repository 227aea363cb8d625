"""The two ways out: the SMS webhook (SPEC §11) and SMTP. Each answers None when the message was
accepted, or the reason it was not (to retry)."""
from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit


def send_sms(url: str, to: str, text: str, uid: str, timeout: float) -> str | None:
    """POST {"to", "text", "id"} as JSON; a 2xx answer is delivered, anything else is retried.
    The same ``id`` comes with every attempt, so the relay drops what it already passed on."""
    payload = json.dumps({"to": to, "text": text, "id": uid}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=payload, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": uid})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        return f"gateway answered {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"gateway unreachable: {type(exc).__name__}"
    return None if 200 <= status < 300 else f"gateway answered {status}"


def send_mail(url: str, sender: str, to: str, subject: str, body: str, uid: str,
              timeout: float) -> str | None:
    """Over SMTP to ``smtp://host:port``. The Message-ID comes from the message's id: a mail
    system that sees it twice (a retry after a lost answer) can tell it is the same mail."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        return "OPENDAY_SMTP_URL must be smtp://host:port"
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["Message-ID"] = make_msgid(idstring=uid, domain=sender.rpartition("@")[2] or "openday")
    mail.set_content(body)
    client = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    try:
        with client(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25),
                    timeout=timeout) as smtp:
            if parts.username:
                smtp.login(parts.username, parts.password or "")
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        return f"mail server: {type(exc).__name__}"
    return None
