"""View original and the HTML frame of a message: the bytes a mail
arrived as (or a reply left as), and the sanitised HTML as a document of
its own that never runs script and loads remote images only on ?remote=1.
"""

import re

import pytest

from conftest import (MAILBOX, assert_error, make_message, new_msgid,
                      strip_angle, wait_for)


def raw_path(tid, mid, what="raw"):
    return "/api/v1/tickets/%d/messages/%d/%s" % (tid, mid, what)


def first_message(tame, subject):
    t = tame.wait_ticket(subject)
    return t["id"], tame.ticket(t["id"])["messages"][0]


# The headers tamed adds in front of what it was given: its trace lines
# (RFC 5321 4.4), Return-Path with the envelope sender and Received,
# possibly folded.
TRACE = re.compile(rb"\AReturn-Path: <[^\r\n<>]*>\r\n"
                   rb"Received: [^\r\n]*(\r\n[ \t][^\r\n]*)*\r\n\Z")


def assert_original(body, sent):
    """body is sent, byte for byte, after tamed's Received: line."""
    assert body.endswith(sent), (body[:300], sent[:300])
    trace = body[:len(body) - len(sent)]
    assert TRACE.match(trace), trace
    return trace


def sent_bytes(subject, message_id):
    """A mail as a client wrote it, with what tends to get lost on the
    way: 8-bit UTF-8, a line starting with a dot (SMTP dot-stuffing),
    trailing spaces, a tab, a folded header and a very long line."""
    return (
        "From: =?utf-8?q?Ren=C3=A9e?= <renee@example.org>\r\n"
        "To: %s\r\n"
        "Subject: %s\r\n"
        "Message-ID: %s\r\n"
        "X-Folded: one\r\n"
        "\ttwo\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Grüße aus Köln, ça va?   \r\n"
        ".a line that starts with a dot\r\n"
        "..two dots\r\n"
        "\tand a tab\r\n"
        "%s\r\n"
        % (MAILBOX, subject, message_id, "x" * 900)).encode("utf-8")


def test_raw_is_the_bytes_sent(tame):
    mid_hdr = new_msgid()
    raw = sent_bytes("Raw bytes please", mid_hdr)
    assert tame.send_raw(raw, mail_from="renee@example.org") == {}
    tid, m = first_message(tame, "Raw bytes please")
    assert strip_angle(m["message_id"]) == strip_angle(mid_hdr)

    st, h, body = tame.api("GET", raw_path(tid, m["id"]))
    assert st == 200, (st, body)
    assert h["Content-Type"] == "text/plain; charset=utf-8"
    trace = assert_original(body, raw)
    assert b"for <%s>" % MAILBOX.encode() in trace or b"by " in trace
    # never a page of the app: nosniff, a sandbox, no framing
    assert h["X-Content-Type-Options"] == "nosniff"
    csp = h["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    assert h["Content-Disposition"] == (
        'inline; filename="message-%d.eml"' % m["id"])
    assert h["X-Tame-Original"] == "received"

    st, h, body = tame.api("GET", raw_path(tid, m["id"]) + "?download=1")
    assert st == 200
    assert h["Content-Type"] == "message/rfc822"
    assert h["Content-Disposition"] == (
        'attachment; filename="message-%d.eml"' % m["id"])
    assert "sandbox" in h["Content-Security-Policy"]
    assert body[len(trace):] == raw

    st, h, body = tame.api("HEAD", raw_path(tid, m["id"]))
    assert st == 200 and body == b""


def test_raw_of_a_mime_mail_sent_with_smtplib(tame):
    msg = make_message(subject="Raw multipart", text="plain words\n",
                       html="<p>html words</p>",
                       attachments=[("a.bin", "application/octet-stream",
                                     bytes(range(256)))])
    # flattened once (each flattening draws new boundaries), as
    # smtplib's send_message would, with SMTP's line ends
    wire = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    assert tame.send_raw(wire) == {}
    tid, m = first_message(tame, "Raw multipart")
    st, _, body = tame.api("GET", raw_path(tid, m["id"]))
    assert st == 200
    assert_original(body, wire)


def test_raw_needs_a_session_or_token(tame):
    tame.send_mail(subject="Raw auth")
    tid, m = first_message(tame, "Raw auth")
    for what in ("raw", "html"):
        path = raw_path(tid, m["id"], what)
        st, _, body = tame.api("GET", path, token=None)
        assert_error(st, body, 401)
        st, _, body = tame.api("GET", path, token="not-a-token")
        assert_error(st, body, 401)
    # any agent may read it, as they may read the ticket
    _, tok = tame.add_agent("grace@example.com")
    st, _, body = tame.api("GET", raw_path(tid, m["id"]), token=tok)
    assert st == 200 and b"Subject: Raw auth" in body


def test_raw_not_found(tame):
    tame.send_mail(subject="Raw one")
    tame.send_mail(subject="Raw two")
    t1, m1 = first_message(tame, "Raw one")
    t2, m2 = first_message(tame, "Raw two")
    for path in (raw_path(t1, 999999), raw_path(999999, m1["id"]),
                 # a message id from another ticket is not found here
                 raw_path(t1, m2["id"]), raw_path(t2, m1["id"]),
                 raw_path(t1, m1["id"], "html")):
        st, _, body = tame.api("GET", path)
        assert assert_error(st, body, 404)["code"] == "not_found", path
    # an internal note has no original
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/notes" % t1,
                          {"text": "only for us"})
    assert st == 201, ans
    st, _, body = tame.api("GET", raw_path(t1, ans["message"]["id"]))
    assert assert_error(st, body, 404)["code"] == "not_found"
    st, _, body = tame.api("GET", raw_path(t1, m1["id"]) + "?download=2")
    assert assert_error(st, body, 400)["code"] == "invalid_parameter"
    st, h, body = tame.api("DELETE", raw_path(t1, m1["id"]))
    assert_error(st, body, 405)
    assert h["Allow"] == "GET"


def test_raw_of_a_reply_is_what_was_sent(tame, sink):
    tame.send_mail(subject="Raw reply")
    tid, _ = first_message(tame, "Raw reply")
    reply = tame.reply(tid, "Thanks, we are on it.\n.leading dot\n")
    sink.wait_count(1)
    st, h, body = tame.api("GET", raw_path(tid, reply["id"]))
    assert st == 200, body
    assert h["X-Tame-Original"] == "sent"
    assert body == sink.messages[0]["data"]
    assert b"Thanks, we are on it." in body


HOSTILE = ('<p>Hi <b>there</b></p>'
           '<img src="http://images.example.net/track.png" alt="t">'
           '<img src="https://images.example.net/logo.png">'
           '<img src="data:image/png;base64,iVBORw0KGgo=">'
           '<p title=\' data-src="http://x.example/\'>text data-src="q"</p>'
           '<script>top.__pwned=1</script>')


def test_html_document_holds_remote_images_back(tame):
    tame.send_mail(subject="Raw html", html=HOSTILE)
    tid, m = first_message(tame, "Raw html")
    st, h, body = tame.api("GET", raw_path(tid, m["id"], "html"))
    assert st == 200, body
    assert h["Content-Type"] == "text/html; charset=utf-8"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "SAMEORIGIN"
    csp = h["Content-Security-Policy"]
    for want in ("default-src 'none'", "img-src 'self' data: blob:;",
                 "frame-ancestors 'self'", "sandbox allow-same-origin"):
        assert want in csp, (want, csp)
    assert "http:" not in csp and "script" not in csp, csp
    text = body.decode()
    assert "<script" not in text and "__pwned" not in text
    assert 'data-src="http://images.example.net/track.png"' in text
    assert ' src="http' not in text
    assert 'src="data:image/png' in text

    st, h, body = tame.api("GET", raw_path(tid, m["id"], "html") +
                           "?remote=1")
    assert st == 200
    csp = h["Content-Security-Policy"]
    assert "img-src 'self' data: blob: http: https:;" in csp, csp
    assert "sandbox allow-same-origin" in csp and "script" not in csp
    text = body.decode()
    assert 'src="http://images.example.net/track.png"' in text
    assert 'src="https://images.example.net/logo.png"' in text
    assert "data-src" not in text.split("<p title=")[0]
    # the look-alikes in text and attribute values stay as they were
    assert "text data-src=&quot;q&quot;" in text
    assert "title=\" data-src=&quot;http://x.example/\"" in text
    assert "<script" not in text

    st, _, body = tame.api("GET", raw_path(tid, m["id"], "html") +
                           "?remote=yes")
    assert assert_error(st, body, 400)["code"] == "invalid_parameter"


def test_links_of_a_mail_are_not_looked_up(tame):
    """Opening a mail must not tell its sender it was read: a browser
    that looks up the host of every link in a page (Firefox) would. The
    app's page and the mail's own document say not to, in a header and
    (for a copy of the document opened without it) in the page."""
    tame.send_mail(subject="Raw prefetch", html='<p><a href="https://'
                   'receipt.example.net/opened?id=1">our offer</a></p>')
    tid, m = first_message(tame, "Raw prefetch")
    for remote in ("", "?remote=1"):
        st, h, body = tame.api("GET", raw_path(tid, m["id"], "html") +
                               remote)
        assert st == 200, body
        assert h.get("X-DNS-Prefetch-Control") == "off", remote
        head = body.decode().split("<body>")[0]
        assert ('<meta http-equiv="x-dns-prefetch-control" '
                'content="off">') in head, head
    st, h, _ = tame.api("GET", "/", token=None)
    assert st == 200 and h.get("X-DNS-Prefetch-Control") == "off"


def test_html_document_of_plain_mail_is_not_found(tame):
    tame.send_mail(subject="Raw plain only")
    tid, m = first_message(tame, "Raw plain only")
    assert m["html"] is None
    st, _, body = tame.api("GET", raw_path(tid, m["id"], "html"))
    assert_error(st, body, 404)


@pytest.mark.parametrize("what", ["raw", "html"])
def test_raw_listed_as_protected(tame, what):
    st, _, body = tame.api("GET", "/api/v1/tickets/1/messages/1/" + what,
                           token=None)
    assert_error(st, body, 401)


def test_raw_keeps_nul_and_8bit_bytes(tame):
    """What the parser has to repair (a NUL, Latin-1 in a header) is in
    the original exactly as it came."""
    raw = (b"From: carol@example.org\r\nTo: " + MAILBOX.encode() +
           b"\r\nSubject: Caf\xe9 NUL\r\nMessage-ID: " +
           new_msgid().encode() + b"\r\n\r\nbefore\x00after\r\n"
           b"caf\xe9 cr\xe8me\r\n")
    assert tame.send_raw(raw) == {}
    t = wait_for(lambda: [x for x in tame.tickets()
                          if "NUL" in (x["subject"] or "")],
                 what="the ticket of the NUL mail")[0]
    m = tame.ticket(t["id"])["messages"][0]
    st, _, body = tame.api("GET", raw_path(t["id"], m["id"]))
    assert st == 200
    assert_original(body, raw)
