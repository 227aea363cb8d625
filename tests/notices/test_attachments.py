"""通知公告 with files and an audience: PDF, DOCX and XLSX recognised by their content (a lying
extension is refused), stored under the instance folder, served as downloads with nosniff; a
labs-only notice reaches labs (their dashboard) and not the public."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
import xlsxwriter

from openday.notices.models import Notice, NoticeAttachment

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def ooxml(main: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(main, "<document/>")
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet().write(0, 0, "名单")
    book.close()
    return buffer.getvalue()


DOCX = ooxml("word/document.xml")


def _post(client, files, **fields):
    data = {"title": "关于开放日的通知", "body": "请查收附件。", "region_scope": "",
            "audience": "public", **fields,
            "attachments": [(io.BytesIO(content), name) for name, content in files]}
    return client.submit("/regulator/notices", data, content_type="multipart/form-data")


def test_pdf_docx_and_xlsx_are_stored_and_served_as_downloads(app, client, db, national):
    response = _post(client, [("通知.pdf", PDF), ("报名表.docx", DOCX), ("名单.xlsx", xlsx())])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    notice = db.session.execute(sa.select(Notice)).scalar_one()
    files = {a.filename: a for a in notice.attachments}
    assert {name: a.kind for name, a in files.items()} == {
        "通知.pdf": "pdf", "报名表.docx": "docx", "名单.xlsx": "xlsx"}
    stored = Path(app.config["OPENDAY_ATTACHMENTS_DIR"]) / files["通知.pdf"].stored_name
    assert stored.read_bytes() == PDF  # by a random name
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "通知.pdf" in page
    download = client.get(f"/notices/{notice.id}/attachments/{files['通知.pdf'].id}")
    assert download.status_code == 200 and download.get_data() == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "application/pdf"
    sheet = client.get(f"/notices/{notice.id}/attachments/{files['名单.xlsx'].id}")
    assert sheet.mimetype.endswith("spreadsheetml.sheet")
    # Another notice's id with this attachment's: 404.
    assert client.get(f"/notices/{notice.id + 1}/attachments/{files['通知.pdf'].id}").status_code == 404


@pytest.mark.parametrize("name, content", [
    ("通知.pdf", DOCX),                    # a Word file calling itself a PDF
    ("名单.xlsx", PDF),                    # a PDF calling itself a spreadsheet
    ("报名表.docx", b"MZ\x90\x00" + b"\x00" * 200),   # a Windows program
    ("名单.xlsx", DOCX),                    # a Word package calling itself a spreadsheet
    ("说明.pdf", b"<html><script>alert(1)</script></html>"),
    ("通知.txt", PDF),                     # the right content, a name no reader opens it with
    ("空.pdf", b""),
])
def test_a_lying_or_unknown_file_is_refused_and_nothing_is_saved(app, client, db, national, name,
                                                                 content):
    response = _post(client, [(name, content)])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="attachments-error"' in html or "附件" in html
    assert db.session.execute(sa.select(Notice)).first() is None
    assert db.session.execute(sa.select(NoticeAttachment)).first() is None
    folder = Path(app.config["OPENDAY_ATTACHMENTS_DIR"])
    assert not folder.exists() or not any(folder.iterdir())


def test_attachments_live_under_the_instance_folder_by_default(app):
    from openday.notices import attachments
    app.config["OPENDAY_ATTACHMENTS_DIR"] = ""
    with app.app_context():
        assert attachments.folder(create=False) == Path(app.instance_path) / "attachments"


def test_a_file_over_the_limit_is_refused(app, client, db, national):
    app.config["OPENDAY_ATTACHMENT_MAX_BYTES"] = 1000
    response = _post(client, [("大.pdf", PDF + b"0" * 2000)])
    assert response.status_code == 200 and "超过" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(Notice)).first() is None


def test_a_notice_form_takes_a_body_larger_than_other_forms(app, client, db, national):
    big = PDF + b"0" * (2 * 1024 * 1024)  # over MAX_CONTENT_LENGTH (1 MB), under 10 MB
    assert _post(client, [("大.pdf", big)]).status_code == 302
    assert client.post("/login", data={"x": "y" * (2 * 1024 * 1024)}).status_code == 413


def test_labs_only_notices_reach_labs_not_the_public(app, client, db, create_user, create_lab,
                                                     login, national):
    _post(client, [], title="仅机构可见的通知", audience="labs")
    _post(client, [("公开.pdf", PDF)], title="公开的通知")
    labs_only, public = sorted(db.session.execute(sa.select(Notice)).scalars(), key=lambda n: n.id)
    client.post("/logout", data={"csrf_token": client.csrf_token("/regulator/")})
    home = client.get("/").get_data(as_text=True)
    assert "公开的通知" in home and "仅机构可见的通知" not in home
    assert "仅机构可见的通知" not in client.get("/notices/").get_data(as_text=True)
    assert client.get(f"/notices/{labs_only.id}").status_code == 404
    lab = create_lab()
    login(create_user(role="lab", lab=lab))
    dashboard = client.get("/lab/").get_data(as_text=True)
    assert "仅机构可见的通知" in dashboard and "公开的通知" in dashboard
    assert client.get(f"/notices/{labs_only.id}").status_code == 200


def test_removing_an_attachment_deletes_its_file(app, client, db, national):
    _post(client, [("通知.pdf", PDF)])
    notice = db.session.execute(sa.select(Notice)).scalar_one()
    attachment = notice.attachments[0]
    stored = Path(app.config["OPENDAY_ATTACHMENTS_DIR"]) / attachment.stored_name
    assert stored.exists()
    url = f"/regulator/notices/{notice.id}/edit"
    response = client.submit(url, {"title": notice.title, "body": notice.body, "region_scope": "",
                                   "audience": "public", "remove": [str(attachment.id)]},
                             content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.execute(sa.select(NoticeAttachment)).first() is None
    assert not stored.exists()


def test_a_city_regulator_publishes_to_its_city(client, db, create_user, login):
    login(create_user(role="regulator", region_scope="430100"))
    html = client.get("/regulator/notices").get_data(as_text=True)
    select = html.split('name="region_scope"', 1)[1].split("</select>", 1)[0]
    assert 'value="430100"' in select and 'value="430000"' not in select
    assert _post(client, [], region_scope="430000").status_code == 200  # its province: refused
    assert _post(client, [], region_scope="430100").status_code == 302
    assert db.session.execute(sa.select(Notice.region_scope)).scalar_one() == "430100"
