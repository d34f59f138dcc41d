"""Files attached to an agent's reply: they leave in the mail as MIME
attachments with their exact bytes and names, show on the message in the
ticket view, download again, and bad or oversized uploads are refused
with a clear error before anything is sent."""

import base64

from conftest import assert_error, make_message, settle, wait_for

# Every byte value, so any re-encoding on the way shows.
BINARY = bytes(range(256)) * 40 + b"\x00\r\n\r\n.\r\n"
TEXT = "Log line one\r\nLigne deux: café\n".encode("utf-8")


def b64(data):
    return base64.b64encode(data).decode("ascii")


def open_ticket(tame, subject):
    tame.send_mail(make_message(subject=subject))
    return tame.wait_ticket(subject)["id"]


def post_reply(tame, tid, body, **kw):
    return tame.api("POST", "/api/v1/tickets/%d/replies" % tid, body, **kw)


def sink_parts(msg):
    """{filename: (content_type, bytes)} of a parsed mail's attachments."""
    return {p.get_filename(): (p.get_content_type(),
                               p.get_payload(decode=True))
            for p in msg.iter_attachments()}


def test_reply_with_two_attachments(tame, sink):
    tid = open_ticket(tame, "Please send the logs")
    st, _, ans = post_reply(tame, tid, {
        "text": "Here are the files you asked for.",
        "attachments": [
            {"filename": "screen.png", "content_type": "image/png",
             "data": b64(BINARY)},
            {"filename": "journal café.txt", "content_type": "Text/Plain",
             "data": b64(TEXT)},
        ]})
    assert st == 201, (st, ans)
    atts = ans["message"]["attachments"]
    assert [(a["filename"], a["content_type"], a["size"]) for a in atts] == [
        ("screen.png", "image/png", len(BINARY)),
        ("journal café.txt", "text/plain", len(TEXT))]

    # the mail: multipart/mixed, the text first, then both files
    sink.wait_count(1, timeout=30)
    msg = sink.messages[0]["msg"]
    assert msg.get_content_type() == "multipart/mixed"
    body = msg.get_body(preferencelist=("plain",))
    assert "Here are the files you asked for." in body.get_content()
    parts = sink_parts(msg)
    assert parts == {"screen.png": ("image/png", BINARY),
                     "journal café.txt": ("text/plain", TEXT)}

    # the ticket view lists them on the reply, and each downloads
    mine = [m for m in tame.ticket(tid)["messages"]
            if m["id"] == ans["message"]["id"]][0]
    assert [a["filename"] for a in mine["attachments"]] == [
        "screen.png", "journal café.txt"]
    for a, want in zip(mine["attachments"], (BINARY, TEXT)):
        st, hdrs, data = tame.api(
            "GET", "/api/v1/tickets/%d/attachments/%d" % (tid, a["id"]))
        assert st == 200
        assert data == want
        assert hdrs["Content-Disposition"].startswith("attachment;")


def test_empty_attachment_downloads_with_its_type(tame, sink):
    """An empty file is still a file: it downloads as zero bytes with a
    Content-Type and its name."""
    tid = open_ticket(tame, "Empty file please")
    st, _, ans = post_reply(tame, tid, {
        "text": "Here it is.",
        "attachments": [{"filename": "empty.txt", "data": ""}]})
    assert st == 201, (st, ans)
    aid = ans["message"]["attachments"][0]["id"]
    st, hdrs, data = tame.api(
        "GET", "/api/v1/tickets/%d/attachments/%d" % (tid, aid))
    assert st == 200 and data == b""
    assert hdrs["Content-Type"] == "application/octet-stream"
    assert "empty.txt" in hdrs["Content-Disposition"]


def test_reply_attachment_names_are_tidied(tame, sink):
    tid = open_ticket(tame, "Names with paths")
    st, _, ans = post_reply(tame, tid, {
        "text": "Two files.",
        "attachments": [
            {"filename": "../../etc/pass\u0001wd\u007f", "data": b64(b"a")},
            {"filename": "C:\\Users\\ann\\Report\u0085 2.pdf",
             "content_type": "", "data": ""},
        ]})
    assert st == 201, (st, ans)
    atts = ans["message"]["attachments"]
    assert [(a["filename"], a["content_type"], a["size"]) for a in atts] == [
        ("passwd", "application/octet-stream", 1),
        ("Report 2.pdf", "application/octet-stream", 0)]
    sink.wait_count(1, timeout=30)
    assert sorted(sink_parts(sink.messages[0]["msg"])) == [
        "Report 2.pdf", "passwd"]


def test_reply_attachment_bad_input(tame, sink):
    tid = open_ticket(tame, "Bad uploads")
    good = {"filename": "a.txt", "content_type": "text/plain",
            "data": b64(b"hello")}
    cases = [
        # (attachments value, error code, words in the message)
        ("a.txt", "invalid_field", "array"),
        ([good] * 11, "invalid_field", "more than 10"),
        (["a.txt"], "invalid_field", "object"),
        ([dict(good, path="/x")], "unknown_field", "path"),
        ([{"filename": "a.txt"}], "missing_field", "data"),
        ([{"data": "aGVsbG8="}], "missing_field", "filename"),
        ([dict(good, data="aGVsbG8")], "invalid_field", "base64"),
        ([dict(good, data="aGVs bG8=")], "invalid_field", "base64"),
        ([dict(good, data="aGVs\nbG8=")], "invalid_field", "base64"),
        ([dict(good, data="aGVsbG9=")], "invalid_field", "base64"),
        ([dict(good, data="-_-_")], "invalid_field", "base64"),
        ([dict(good, data="aGVsbG8=aGVs")], "invalid_field", "base64"),
        ([dict(good, data=5)], "invalid_field", "base64"),
        ([dict(good, filename="../..")], "invalid_field", "filename"),
        ([dict(good, filename="\u0001\u0002")], "invalid_field", "filename"),
        ([dict(good, filename=7)], "invalid_field", "filename"),
        ([dict(good, content_type="text")], "invalid_field", "content_type"),
        ([dict(good, content_type="text/plain; charset=x\r\nBcc: a@b.c")],
         "invalid_field", "content_type"),
    ]
    for value, code, words in cases:
        st, _, ans = post_reply(tame, tid, {"text": "Files.",
                                            "attachments": value})
        err = assert_error(st, ans, 400)
        assert err["code"] == code, (value, err)
        assert words in err["message"], (value, err)
    # the reply's own fields are still checked, files or not
    st, _, ans = post_reply(tame, tid, {"text": "x", "attachments": [good],
                                        "colour": "red"})
    assert assert_error(st, ans, 400)["code"] == "unknown_field"
    # nothing of it was stored or sent
    assert [m["direction"] for m in tame.ticket(tid)["messages"]] == ["in"]
    settle(0.5)
    assert sink.messages == []


def test_reply_attachments_too_large(tame, sink):
    tid = open_ticket(tame, "Huge uploads")
    half = b64(b"\xa5" * (5 * 1024 * 1024 + 100))
    st, _, ans = post_reply(tame, tid, {"text": "Too much.", "attachments": [
        {"filename": "a.bin", "data": half},
        {"filename": "b.bin", "data": half}]})
    err = assert_error(st, ans, 413)
    assert err["code"] == "too_large" and "attachments" in err["message"]
    # a body beyond the route's limit is refused whole
    st, _, ans = post_reply(tame, tid, {"text": "Too much.", "attachments": [
        {"filename": "c.bin", "data": b64(b"\x00" * (15 * 1024 * 1024))}]})
    assert assert_error(st, ans, 413)["code"] == "too_large"
    # other routes, and a reply without files, keep the 1 MB body limit
    for path in ("notes", "replies"):
        st, _, ans = tame.api("POST", "/api/v1/tickets/%d/%s" % (tid, path),
                              {"text": "n" * (2 * 1024 * 1024)})
        assert assert_error(st, ans, 413)["code"] == "too_large"
    assert [m["direction"] for m in tame.ticket(tid)["messages"]] == ["in"]
    # just under the limit goes through: 10 files, 10 MB together
    one = 1024 * 1024
    files = [{"filename": "part%d.bin" % i, "data": b64(bytes([i]) * one)}
             for i in range(10)]
    st, _, ans = post_reply(tame, tid, {"text": "All of it.",
                                        "attachments": files})
    assert st == 201, (st, ans)
    assert [a["size"] for a in ans["message"]["attachments"]] == [one] * 10
    sink.wait_count(1, timeout=60)
    parts = sink_parts(sink.messages[0]["msg"])
    assert parts["part7.bin"][1] == bytes([7]) * one
    assert len(parts) == 10


def test_reply_formatting_gets_html_beside_files(tame, sink):
    tid = open_ticket(tame, "Formatted with a file")
    text = "**Good news** and *soon*:\n- one\n- two"
    st, _, ans = post_reply(tame, tid, {"text": text, "attachments": [
        {"filename": "steps.txt", "content_type": "text/plain",
         "data": b64(b"1. restart\n")}]})
    assert st == 201, (st, ans)
    sink.wait_count(1, timeout=30)
    msg = sink.messages[0]["msg"]
    assert msg.get_content_type() == "multipart/mixed"
    alt = next(msg.iter_parts())
    assert alt.get_content_type() == "multipart/alternative"
    plain = alt.get_body(preferencelist=("plain",)).get_content()
    html = alt.get_body(preferencelist=("html",)).get_content()
    assert "**Good news**" in plain
    assert "<strong>Good news</strong>" in html
    assert "<em>soon</em>" in html
    assert html.count("<li>") == 2
    assert sink_parts(msg) == {"steps.txt": ("text/plain", b"1. restart\n")}


def test_reply_without_formatting_stays_plain(tame, sink):
    tid = open_ticket(tame, "Plain with a file")
    st, _, ans = post_reply(tame, tid, {"text": "2 * 3 = 6, see file.",
                                        "attachments": [
                                            {"filename": "x.txt",
                                             "data": b64(b"x")}]})
    assert st == 201, (st, ans)
    sink.wait_count(1, timeout=30)
    msg = sink.messages[0]["msg"]
    kinds = [p.get_content_type() for p in msg.walk()]
    assert "text/html" not in kinds and "multipart/alternative" not in kinds
    wait_for(lambda: tame.message(tid, ans["message"]["id"])["delivery"][
        "state"] == "sent", what="the reply marked sent")
