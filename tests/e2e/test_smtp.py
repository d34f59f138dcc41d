"""Mail in over SMTP and LMTP: the dialogue, limits, relay refusal,
duplicates and concurrent delivery."""

import smtplib
import socket
import threading
import time

import pytest

from conftest import (MAILBOX, SLOW, make_message, new_msgid, raw_session,
                      smtp_envelope, smtp_to_data, strip_angle, wait_for)


def raw_dialogue(port, lines, timeout=10):
    """Sends each line (CRLF added) and reads one reply per line; answers
    the greeting and the replies as lists of (code, text)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
    f = s.makefile("rb")

    def read_reply():
        text = []
        while True:
            ln = f.readline()
            if not ln:
                return (None, "\n".join(text))
            ln = ln.decode("utf-8", "replace").rstrip("\r\n")
            text.append(ln[4:])
            if len(ln) < 4 or ln[3] != "-":
                return (int(ln[:3]), "\n".join(text))
    try:
        out = [read_reply()]
        for line in lines:
            s.sendall(line.encode() + b"\r\n")
            out.append(read_reply())
        return out
    finally:
        f.close()
        s.close()


def test_ehlo_advertises_extensions(tame):
    with tame.smtp() as s:
        code, _ = s.ehlo("client.example.org")
        assert code == 250
        assert s.has_extn("pipelining")
        assert s.has_extn("8bitmime")
        assert s.has_extn("size")
        assert int(s.esmtp_features["size"]) > 1024 * 1024
        # HELO also works
        code, _ = s.helo("client.example.org")
        assert code == 250


def test_mail_to_mailbox_becomes_ticket(tame):
    msg = make_message(sender="Carol Customer <carol@example.org>",
                       subject="My printer is on fire",
                       text="It started this morning.\nPlease help.\n")
    tame.send_mail(msg)
    t = tame.wait_ticket("My printer is on fire")
    assert t["status"] in ("new", "open")
    assert t["customer"]["email"] == "carol@example.org"
    assert t["customer"]["name"] == "Carol Customer"
    assert t["message_count"] == 1
    d = tame.ticket(t["id"])
    assert d["id"] == t["id"]
    assert len(d["messages"]) == 1
    m = d["messages"][0]
    assert m["direction"] == "in"
    assert m["from"]["email"] == "carol@example.org"
    assert m["subject"] == "My printer is on fire"
    assert "It started this morning." in m["text"]
    assert strip_angle(m["message_id"]) == strip_angle(msg["Message-ID"])
    assert d["unparsed"] is False


def test_unknown_recipient_refused_not_open_relay(tame):
    with tame.smtp() as s:
        s.ehlo()
        assert s.mail("spammer@example.net")[0] == 250
        code, _ = s.rcpt("victim@elsewhere.example")
        assert code == 550
        code, _ = s.rcpt("nobody@example.com")  # our domain, no mailbox
        assert code == 550
        # with no accepted recipient DATA is refused
        code, _ = s.docmd("DATA")
        assert 500 <= code < 600
        s.rset()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        tame.send_mail(make_message(to="victim@elsewhere.example",
                                    subject="Relay me"),
                       rcpts=["victim@elsewhere.example"])
    # a mix: only the configured mailbox is taken
    with tame.smtp() as s:
        refused = s.sendmail("carol@example.org",
                             [MAILBOX, "victim@elsewhere.example"],
                             make_message(subject="Mixed rcpts").as_bytes())
        assert list(refused) == ["victim@elsewhere.example"]
        assert refused["victim@elsewhere.example"][0] == 550
    tame.wait_ticket("Mixed rcpts")
    assert [t["subject"] for t in tame.tickets()] == ["Mixed rcpts"]


def test_size_parameter_over_limit_552(tame):
    with tame.smtp() as s:
        s.ehlo()
        limit = int(s.esmtp_features["size"])
        code, _ = s.mail("carol@example.org", ["SIZE=%d" % (limit + 1)])
        assert code == 552
        # the session goes on
        code, _ = s.mail("carol@example.org", ["SIZE=1000"])
        assert code == 250
        assert s.rcpt(MAILBOX)[0] == 250
        code, _ = s.data(make_message(subject="Small after big").as_bytes())
        assert code == 250
    tame.wait_ticket("Small after big")


def test_oversized_data_552_nothing_stored(tame):
    with tame.smtp(timeout=120) as s:
        s.ehlo()
        limit = int(s.esmtp_features["size"])
        assert s.mail("carol@example.org")[0] == 250  # no SIZE given
        assert s.rcpt(MAILBOX)[0] == 250
        line = b"x" * 998 + b"\r\n"
        body = (b"From: carol@example.org\r\nTo: " + MAILBOX.encode() +
                b"\r\nSubject: Too big\r\nMessage-ID: " +
                new_msgid().encode() + b"\r\n\r\n" +
                line * (limit // len(line) + 100))
        code, _ = s.data(body)
        assert code == 552
        # the connection is still usable
        assert s.noop()[0] == 250
        assert s.rset()[0] == 250
        s.sendmail("carol@example.org", [MAILBOX],
                   make_message(subject="After too big").as_bytes())
    tame.wait_ticket("After too big")
    assert not tame.tickets_with_subject("Too big")
    assert tame.get("/api/v1/health")


def test_rset_noop_quit(tame):
    replies = raw_dialogue(tame.smtp_port, [
        "EHLO client.example.org",
        "NOOP",
        "MAIL FROM:<carol@example.org>",
        "RCPT TO:<%s>" % MAILBOX,
        "RSET",
        "DATA",                        # after RSET there is no transaction
        "RCPT TO:<%s>" % MAILBOX,      # nor a sender
        "MAIL FROM:<carol@example.org> BODY=8BITMIME",
        "RCPT TO:<%s>" % MAILBOX,
        "FROBNICATE",
        "QUIT",
    ])
    codes = [c for c, _ in replies]
    assert codes[0] == 220
    assert codes[1] == 250                 # EHLO
    assert codes[2] == 250                 # NOOP
    assert codes[3] == 250                 # MAIL
    assert codes[4] == 250                 # RCPT
    assert codes[5] == 250                 # RSET
    assert codes[6] == 503                 # DATA out of sequence
    assert codes[7] == 503                 # RCPT before MAIL
    assert codes[8] == 250                 # MAIL with BODY=8BITMIME
    assert codes[9] == 250
    assert 500 <= codes[10] < 503          # unknown command
    assert codes[11] == 221                # QUIT
    assert tame.tickets() == []


def test_pipelining_in_one_write(tame):
    """A pipelining client sends MAIL, RCPT and DATA in one packet."""
    msg = make_message(subject="Pipelined").as_bytes().replace(b"\n", b"\r\n")
    s = socket.create_connection(("127.0.0.1", tame.smtp_port),
                                 timeout=10 * SLOW)
    f = s.makefile("rb")
    try:
        assert f.readline().startswith(b"220")
        s.sendall(b"EHLO c.example.org\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        s.sendall(b"MAIL FROM:<carol@example.org>\r\nRCPT TO:<bogus@x.example>"
                  b"\r\nRCPT TO:<" + MAILBOX.encode() + b">\r\nDATA\r\n")
        assert f.readline().startswith(b"250")
        assert f.readline().startswith(b"550")
        assert f.readline().startswith(b"250")
        assert f.readline().startswith(b"354")
        s.sendall(msg.replace(b"\r\n.", b"\r\n..") + b".\r\nQUIT\r\n")
        assert f.readline().startswith(b"250")
        assert f.readline().startswith(b"221")
    finally:
        f.close()
        s.close()
    tame.wait_ticket("Pipelined")


def test_lmtp_per_recipient_answers(tame):
    st, _, ans = tame.api("POST", "/api/v1/mailboxes",
                          {"address": "sales@example.com", "name": "Sales"})
    assert st == 201, ans
    lm = smtplib.LMTP("127.0.0.1", tame.lmtp_port, timeout=30 * SLOW)
    try:
        code, _ = lm.ehlo("mta.example.org")        # sends LHLO
        assert code == 250
        assert lm.has_extn("pipelining")
        assert lm.mail("carol@example.org")[0] == 250
        assert lm.rcpt(MAILBOX)[0] == 250
        assert lm.rcpt("nobody@example.com")[0] == 550
        assert lm.rcpt("sales@example.com")[0] == 250
        msg = make_message(subject="Via LMTP",
                           to="support@example.com, sales@example.com")
        code, _ = lm.data(msg.as_bytes())
        assert code == 250                          # support@
        code, _ = lm.getreply()
        assert code == 250                          # sales@: its own answer
        assert lm.noop()[0] == 250
        lm.quit()
    finally:
        lm.close()
    wait_for(lambda: tame.tickets_with_subject("Via LMTP"),
             what="the LMTP message as a ticket")
    # HELO/EHLO are not LMTP
    replies = raw_dialogue(tame.lmtp_port, ["EHLO x.example.org", "QUIT"])
    assert replies[1][0] >= 500


def test_duplicate_message_id_stored_once(tame):
    msg = make_message(subject="Delivered twice")
    tame.send_mail(msg)
    tame.send_mail(msg)                             # 250 again
    with tame.smtp() as s:                          # and in one session
        s.sendmail("carol@example.org", [MAILBOX], msg.as_bytes())
    t = tame.wait_ticket("Delivered twice")
    assert tame.ticket(t["id"])["message_count"] == 1
    assert len(tame.ticket(t["id"])["messages"]) == 1
    assert len(tame.tickets()) == 1


def test_another_mail_under_a_used_message_id_is_kept(tame, sink):
    """A scanner or a script that writes one fixed Message-ID sends
    different mail under it: each is kept. The same mail again (a
    retry, a copy another relay brought with other Received headers,
    one a list or a gateway added a footer to) is still stored once.
    Our reply to the second names the Message-ID its sender wrote."""
    def scan(subject, date, body, trace=""):
        return ("%sFrom: Scanner <scanner@example.org>\r\nTo: %s\r\n"
                "Subject: %s\r\nDate: %s\r\n"
                "Message-ID: <fixed@scanner.example>\r\n\r\n%s\r\n"
                % (trace, MAILBOX, subject, date, body)).encode()
    first = scan("Scan one", "Thu, 03 Dec 2026 10:00:00 +0000", "page 1")
    second = scan("Scan two", "Thu, 03 Dec 2026 10:05:00 +0000", "page 2")
    assert tame.send_raw(first, "scanner@example.org") == {}
    assert tame.send_raw(second, "scanner@example.org") == {}
    t2 = tame.wait_ticket("Scan two")
    t1 = tame.wait_ticket("Scan one")
    mid2 = tame.ticket(t2["id"])["messages"][0]["message_id"]
    assert tame.ticket(t1["id"])["messages"][0]["message_id"] == \
        "fixed@scanner.example"
    assert mid2.startswith("fixed@scanner.example#tame-"), mid2
    # retries of both, one through another relay and folded anew, one
    # with a gateway's footer
    relayed = scan("Scan two", "Thu, 03 Dec 2026\r\n 10:05:00 +0000",
                   "page 2", "Received: from mx2.example.net by "
                   "mx.example.org; Thu, 3 Dec 2026 10:06:00 +0000\r\n")
    footed = scan("Scan one", "Thu, 03 Dec 2026 10:00:00 +0000",
                  "page 1\r\n-- \r\nScanned by the gateway.")
    for raw in (first, second, relayed, footed):
        assert tame.send_raw(raw, "scanner@example.org") == {}
    tame.send_mail(subject="After the scans")
    tame.wait_ticket("After the scans")
    assert len(tame.tickets()) == 3
    for t in (t1, t2):
        assert len(tame.ticket(t["id"])["messages"]) == 1
    st, _, body = tame.api("POST", "/api/v1/tickets/%d/replies" % t2["id"],
                           {"text": "Got your scan."})
    assert st == 201, body
    sent = sink.wait_count(1)[0]["msg"]
    assert sent["In-Reply-To"] == "<fixed@scanner.example>", \
        sent["In-Reply-To"]


def test_concurrent_connections_all_stored_once(tame):
    n_conn, total = 8, 50
    subjects = ["Concurrent %02d" % i for i in range(total)]
    errors = []

    def worker(k):
        try:
            with tame.smtp(timeout=60) as s:
                for i in range(k, total, n_conn):
                    s.sendmail("c%d@example.org" % k, [MAILBOX],
                               make_message(
                                   sender="c%d@example.org" % k,
                                   subject=subjects[i]).as_bytes())
        except Exception as e:          # reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=worker, args=(k,))
               for k in range(n_conn)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    got = [t["subject"] for t in tame.tickets()]
    assert sorted(got) == subjects


def test_recipient_limit(tame):
    with tame.smtp() as s:
        s.ehlo()
        assert s.mail("carol@example.org")[0] == 250
        codes = [s.rcpt(MAILBOX)[0] for _ in range(101)]
        assert set(codes[:100]) == {250}, codes
        assert codes[100] in (452, 552), codes[100]
        # the transaction still goes through with those accepted
        code, _ = s.data(make_message(subject="Many rcpts").as_bytes())
        assert code == 250
    t = tame.wait_ticket("Many rcpts")
    assert t["message_count"] == 1


def test_no_smtp_smuggling(tame):
    """A bare LF before the dot does not end the message (CVE-2023-51764
    style smuggling): the second "message" stays inside the first."""
    s, f, reply = raw_session(tame.smtp_port)
    try:
        smtp_to_data(s, reply, b"c.example.org", b"carol@example.org")
        s.sendall(b"From: carol@example.org\r\nSubject: Outer\r\n"
                  b"Message-ID: <outer@example.org>\r\n\r\n"
                  b"outer body\n.\nMAIL FROM:<admin@example.com>\r\n"
                  b"RCPT TO:<" + MAILBOX.encode() + b">\r\nDATA\r\n"
                  b"From: admin@example.com\r\nSubject: Smuggled\r\n\r\n"
                  b"evil\r\n.\r\n")
        first = reply()
        assert first.startswith(b"250"), first
        s.sendall(b"QUIT\r\n")
        rest = f.read()
    finally:
        f.close()
        s.close()
    # QUIT is answered with 221, nothing was read as commands
    assert rest.startswith(b"221"), rest
    tame.wait_ticket("Outer")
    assert [t["subject"] for t in tame.tickets()] == ["Outer"]


def test_bare_lf_message_longer_than_a_line_is_taken(tame):
    """A script or appliance that writes its mail with bare LF line ends
    (PHP's mail(), a scanner) sends lines, not one line of the whole
    message: 180 kB of short LF lines is taken (250) and stored whole.
    Before, the line cap (100 kB) was counted from CRLF to CRLF, and
    such a message got a permanent 552 "line too long". A bare-LF line
    over the cap is still refused, and <LF>.<LF> still does not end the
    message (test_no_smtp_smuggling)."""
    lines = b"".join(b"line %06d of a bare-LF message, as a php mailer "
                     b"writes it\n" % i for i in range(3000))
    assert len(lines) > 150 * 1024
    body = (b"From: carol@example.org\nTo: " + MAILBOX.encode() +
            b"\nSubject: Bare LF lines\nMessage-ID: " +
            new_msgid().encode() + b"\n\n" + lines)
    too_long = (b"From: carol@example.org\nSubject: One long line\n\n" +
                b"x" * (101 * 1024) + b"\n")
    s, f, reply = raw_session(tame.smtp_port)
    try:
        assert reply().startswith(b"220")
        s.sendall(b"EHLO c.example.org\r\n")
        assert reply().startswith(b"250")
        answers = []
        for msg in (body, too_long):
            smtp_envelope(s, reply, b"carol@example.org")
            s.sendall(msg + b"\r\n.\r\n")
            answers.append(reply())
        s.sendall(b"QUIT\r\n")
        assert reply().startswith(b"221")
    finally:
        f.close()
        s.close()
    assert answers[0].startswith(b"250"), answers[0]
    assert answers[1].startswith(b"552"), answers[1]
    t = tame.wait_ticket("Bare LF lines")
    text = tame.ticket(t["id"])["messages"][0]["text"]
    assert "line 002999 of a bare-LF message" in text
    assert [t["subject"] for t in tame.tickets()] == ["Bare LF lines"]


def test_greeting_and_helo_required(tame):
    replies = raw_dialogue(tame.smtp_port, [
        "MAIL FROM:<carol@example.org>",
        "HELO client.example.org",
        "MAIL FROM:<carol@example.org>",
        "QUIT"])
    assert replies[0][0] == 220
    assert replies[1][0] == 503
    assert replies[2][0] == 250
    assert replies[3][0] == 250
    assert replies[4][0] == 221


def test_recipient_address_case_insensitive(tame):
    with tame.smtp() as s:
        s.ehlo()
        assert s.mail("carol@example.org")[0] == 250
        assert s.rcpt("Support@EXAMPLE.com")[0] == 250
        assert s.data(make_message(subject="Case rcpt").as_bytes())[0] == 250
    tame.wait_ticket("Case rcpt")


def test_html_only_mail_has_text(tame):
    m = make_message(subject="HTML only", text="x")
    m.clear_content()
    m.set_content("<html><body><p>Our <b>invoice</b> 77 is wrong.</p>"
                  "<script>x()</script></body></html>", subtype="html")
    tame.send_mail(m)
    t = tame.wait_ticket("HTML only")
    msg = tame.ticket(t["id"])["messages"][0]
    assert "invoice" in msg["text"] and "77 is wrong" in msg["text"]
    assert "<b>" not in msg["text"] and "x()" not in msg["text"]
    found = tame.get("/api/v1/tickets?status=any&q=invoice")["tickets"]
    assert [x["id"] for x in found] == [t["id"]]


def test_inline_image_and_forwarded_message(tame):
    inner = make_message(sender="boss@example.org", subject="Original",
                         text="The forwarded text.\n")
    m = make_message(subject="Fwd and image", text="See below.\n",
                     html='<p>See <img src="cid:logo@x"></p>')
    html_part = m.get_body(("html",))
    html_part.add_related(b"\x89PNG\r\n\x1a\nfakepng", maintype="image",
                          subtype="png", cid="<logo@x>")
    m.add_attachment(inner)
    tame.send_mail(m)
    t = tame.wait_ticket("Fwd and image")
    msg = tame.ticket(t["id"])["messages"][0]
    assert "See below." in msg["text"]
    atts = msg["attachments"]
    kinds = sorted(a["content_type"] for a in atts)
    assert "image/png" in kinds, atts
    assert any(a["content_type"] == "message/rfc822" or
               a["filename"].endswith(".eml") for a in atts), atts
    # the forwarded message is an attachment, not a second ticket
    assert len(tame.tickets()) == 1


def test_pipelined_transactions_back_to_back(tame):
    """The next transaction's commands arrive in the same packet as the
    end of the previous message, while that one is being committed."""
    m1 = make_message(subject="Back to back 1").as_bytes().replace(
        b"\n", b"\r\n")
    m2 = make_message(subject="Back to back 2").as_bytes().replace(
        b"\n", b"\r\n")
    s, f, reply = raw_session(tame.smtp_port)
    try:
        assert reply().startswith(b"220")
        s.sendall(b"EHLO c.example.org\r\n")
        assert reply().startswith(b"250")
        tx = (b"MAIL FROM:<carol@example.org>\r\nRCPT TO:<" +
              MAILBOX.encode() + b">\r\nDATA\r\n")
        s.sendall(tx)
        assert [reply()[:3] for _ in range(3)] == [b"250", b"250", b"354"]
        s.sendall(m1 + b".\r\n" + tx)
        assert [reply()[:3] for _ in range(4)] == [b"250", b"250", b"250",
                                                   b"354"]
        s.sendall(m2 + b".\r\nQUIT\r\n")
        assert [reply()[:3] for _ in range(2)] == [b"250", b"221"]
    finally:
        f.close()
        s.close()
    tame.wait_ticket("Back to back 1")
    tame.wait_ticket("Back to back 2")


def test_commands_arriving_during_the_commit(tame):
    """The next transaction's commands come in their own packet right
    after the end of a message, while it is being committed: each is
    answered in order once the message is stored, none is lost, and the
    connection does not stall."""
    s, f, reply = raw_session(tame.smtp_port)
    tx = (b"MAIL FROM:<dave@example.org>\r\nRCPT TO:<" +
          MAILBOX.encode() + b">\r\nDATA\r\n")
    n = 12
    try:
        assert reply().startswith(b"220")
        s.sendall(b"EHLO d.example.org\r\n")
        assert reply().startswith(b"250")
        s.sendall(tx)
        assert [reply()[:3] for _ in range(3)] == [b"250", b"250", b"354"]
        for i in range(n):
            m = make_message(subject="During commit %d" % i).as_bytes()
            s.sendall(m.replace(b"\n", b"\r\n") + b".\r\n")
            s.sendall(tx if i + 1 < n else b"QUIT\r\n")
            want = [b"250", b"250", b"250", b"354"] if i + 1 < n else \
                [b"250", b"221"]
            assert [reply()[:3] for _ in want] == want
    finally:
        f.close()
        s.close()
    for i in range(n):
        tame.wait_ticket("During commit %d" % i)


def test_dot_stuffing_round_trip(tame):
    text = ".hidden line\n..two dots\n. \nend\n"
    tame.send_mail(make_message(subject="Dots", text=text))
    t = tame.wait_ticket("Dots")
    got = tame.ticket(t["id"])["messages"][0]["text"]
    assert ".hidden line\n..two dots\n. \nend" in got.replace("\r\n", "\n")


def test_display_names(tame):
    for sender, name, subject in (
            ('"Doe, John" <john@example.org>', "Doe, John", "Comma name"),
            ("=?utf-8?q?Zo=C3=AB?= <zoe@example.org>", "Zoë", "Encoded name"),
            ("plain@example.org", None, "No name")):
        raw = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\n\r\n"
               "hi\r\n" % (sender, MAILBOX, subject, new_msgid())).encode()
        tame.send_raw(raw)
        t = tame.wait_ticket(subject)
        if name:
            assert t["customer"]["name"] == name
        else:
            assert t["customer"]["name"] in (None, "", "plain",
                                             "plain@example.org")


def test_client_gone_mid_data_stores_nothing(tame):
    s = socket.create_connection(("127.0.0.1", tame.smtp_port),
                                 timeout=10 * SLOW)
    f = s.makefile("rb")
    try:
        f.readline()
        s.sendall(b"HELO c.example.org\r\nMAIL FROM:<carol@example.org>\r\n"
                  b"RCPT TO:<" + MAILBOX.encode() + b">\r\nDATA\r\n")
        for _ in range(4):
            f.readline()
        s.sendall(b"From: carol@example.org\r\nSubject: Half\r\n\r\n"
                  b"the first half of a message")
    finally:
        f.close()
        s.close()
    tame.send_mail(make_message(subject="Whole"))
    tame.wait_ticket("Whole")
    assert [t["subject"] for t in tame.tickets()] == ["Whole"]


def test_many_idle_connections(tame):
    """One client that opens connection after connection and says
    nothing (a slowloris) gets at most a quarter of them (128): the rest
    are answered 421, and another sender's mail still comes in."""
    idle = []
    try:
        for _ in range(150):
            c = socket.create_connection(("127.0.0.1", tame.smtp_port),
                                         timeout=10 * SLOW,
                                         source_address=("127.0.0.2", 0))
            idle.append(c)
        greetings = [c.recv(512) for c in idle]
        assert all(g.startswith(b"220") for g in greetings[:128])
        assert all(g.startswith(b"421") for g in greetings[128:]), \
            greetings[128:130]
        tame.send_mail(make_message(subject="Among idlers"))
        tame.wait_ticket("Among idlers")
        assert "at most 512, 128 from one address" in tame.log_text()
    finally:
        for c in idle:
            c.close()
    assert tame.api("GET", "/api/v1/health", token=None)[0] == 200


def _reply_lines(f, want):
    """Reads reply lines until want came, the server closed or the socket
    timed out; answers them."""
    lines = []
    try:
        while len(lines) < want:
            ln = f.readline()
            if not ln:
                break
            lines.append(ln)
    except socket.timeout:
        pass
    return lines


def test_pipelined_commands_past_the_reply_backlog_all_answered(tame):
    """RFC 2920: commands already read are answered without the client
    sending more, even when their replies pass the server's backlog of
    unread replies (2,000 NOOPs in one write is about 28 kB of 250s)."""
    s, f, reply = raw_session(tame.smtp_port)
    try:
        assert reply().startswith(b"220")
        s.sendall(b"EHLO c.example.org\r\n")
        assert reply().startswith(b"250 ")
        s.sendall(b"NOOP\r\n" * 2000)
        assert len(_reply_lines(f, 2000)) == 2000
        # a transaction in one write with over a hundred recipients: one
        # reply each (452 past the limit), then the 354, nothing held back
        s.sendall(b"MAIL FROM:<carol@example.org>\r\n" +
                  (b"RCPT TO:<" + MAILBOX.encode() + b">\r\n") * 550 +
                  b"DATA\r\n")
        lines = _reply_lines(f, 552)
        assert len(lines) == 552 and lines[-1].startswith(b"354")
        s.sendall(make_message(subject="After the backlog").as_bytes()
                  .replace(b"\n", b"\r\n") + b".\r\nQUIT\r\n")
        assert [ln[:3] for ln in _reply_lines(f, 2)] == [b"250", b"221"]
    finally:
        f.close()
        s.close()
    tame.wait_ticket("After the backlog")


def test_half_close_after_many_commands_answers_them_all(tame):
    """A client that sends its commands and shuts its side down gets
    every reply before the server closes."""
    n = 20000
    s, f, reply = raw_session(tame.smtp_port)
    noops = []

    def reader():
        k = 0
        try:
            for ln in f:
                k += ln == b"250 2.0.0 Ok\r\n"
        except OSError:
            pass
        noops.append(k)

    try:
        assert reply().startswith(b"220")
        t = threading.Thread(target=reader)
        t.start()
        s.sendall(b"EHLO c.example.org\r\n" + b"NOOP\r\n" * n)
        s.shutdown(socket.SHUT_WR)
        t.join(60 * SLOW)
        assert noops == [n]
    finally:
        f.close()
        s.close()
    assert tame.api("GET", "/api/v1/health", token=None)[0] == 200


def test_postmaster_accepted_and_becomes_a_ticket(tame):
    """RFC 5321 4.5.1: postmaster, bare or at a domain we take mail
    for, is accepted in any case; at another domain it is still 550."""
    out = raw_dialogue(tame.smtp_port, [
        "EHLO c.example.org", "MAIL FROM:<carol@example.org>",
        "RCPT TO:<Postmaster>", "RCPT TO:<postmaster@Example.COM>",
        "RCPT TO:<postmaster@elsewhere.example>", "RCPT TO:<postmasterx>",
        "QUIT"])
    assert [code for code, _ in out[3:7]] == [250, 250, 550, 550]
    msg = make_message(subject="Bounce report for the postmaster")
    del msg["To"]
    msg["To"] = "Postmaster"
    with tame.smtp() as s:
        s.sendmail("mailer@example.org", ["Postmaster"], msg.as_bytes())
    tame.wait_ticket("Bounce report for the postmaster")


def test_expn_not_implemented_and_help_per_port(tame):
    """EXPN is known and not offered (502, RFC 5321 4.2.4); HELP names
    the greeting of its own port; HELO without a name names HELO."""
    out = raw_dialogue(tame.smtp_port, ["EHLO c.example.org", "EXPN staff",
                                        "HELP", "HELO", "QUIT"])
    assert out[2][0] == 502
    assert out[3][0] == 214 and "EHLO" in out[3][1]
    assert out[4] == (501, "5.5.4 Syntax: HELO hostname")
    out = raw_dialogue(tame.lmtp_port, ["LHLO c.example.org", "HELP", "QUIT"])
    assert out[2][0] == 214 and "LHLO" in out[2][1]
    assert "EHLO" not in out[2][1]


def test_client_that_stops_reading_loses_its_connection(tame):
    """A client that pipelines commands and never reads the replies:
    once its idle time is up, the connection is closed even though the
    good-bye cannot be written, so such clients cannot take every slot.
    Before, it stayed open for good. (The idle time is 5 min; the test
    shortens it to 3 s.)"""
    import time
    tame.stop()
    tame.start(env={"TAME_SMTP_IDLE_SECONDS": "3"})
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", tame.smtp_port))
    s.setblocking(False)
    chunk = b"NOOP\r\n" * 10000
    sent, deadline = 0, time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    wait_for(lambda: "not reading our replies" in tame.log_text(), 20,
             what="the connection closed")
    # what had reached us is there to read, then the end
    s.setblocking(True)
    s.settimeout(5)
    ended = False
    try:
        while s.recv(65536):
            pass
        ended = True
    except ConnectionResetError:
        ended = True
    except socket.timeout:
        pass
    finally:
        s.close()
    assert ended, "the connection is still open"
    assert tame.api("GET", "/api/v1/health", token=None)[0] == 200


def test_lmtp_on_a_unix_socket_any_local_user_may_use(tame_data, tmp_path):
    """The LMTP socket file takes connections from the MTA's own user
    (postfix), not only tamed's: mode 0666 whatever the umask. Before,
    the umask's 0755 left postfix with "permission denied"."""
    import os
    import subprocess
    from conftest import TAMED
    sock = tmp_path / "lmtp.sock"
    old = os.umask(0o022)
    try:
        proc = subprocess.Popen(
            [str(TAMED), "--data", str(tame_data.data), "--http",
             "127.0.0.1:%d" % tame_data.http_port, "--smtp",
             "127.0.0.1:%d" % tame_data.smtp_port, "--lmtp", str(sock)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        os.umask(old)
    def greeted():
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(10)
        try:
            c.connect(str(sock))
            ok = c.recv(512).startswith(b"220")
            c.sendall(b"QUIT\r\n")
            return ok
        except OSError:
            return False
        finally:
            c.close()

    try:
        wait_for(greeted, 10, what="the LMTP greeting on the socket")
        assert os.stat(sock).st_mode & 0o777 == 0o666
    finally:
        proc.terminate()
        proc.wait(timeout=15)



def test_slow_huge_messages_cannot_take_all_memory(tame_data):
    """Senders that start huge messages and never end them hold their
    bytes in memory: past the limit for all of them (8 MB here, 256 MB
    by default), a connection holding more than 1 MB of a message is
    answered 421 and closed, its sender to try again later. Small mail
    still goes through meanwhile, and a big one once there is room."""
    tame = tame_data
    tame.start(env={"TAME_SMTP_HELD_MB": "8"})
    chunk = (b"x" * 998 + b"\r\n") * 1024           # 1 MB of lines
    sessions, refused = [], 0
    try:
        for i in range(6):
            s, f, reply = raw_session(tame.smtp_port)
            sessions.append((s, f))
            smtp_to_data(s, reply, b"big", b"big@example.org")
            s.sendall(b"Subject: big %d\r\n\r\n" % i)
            try:
                for _ in range(3):
                    s.sendall(chunk)
            except OSError:
                pass
        time.sleep(1)
        for s, f in sessions:
            s.settimeout(0.5)
            try:
                line = f.readline()
            except OSError:
                line = b""
            if line.startswith(b"421 4.3.1"):
                refused += 1
        assert refused >= 2, refused
        # small mail passes while the big ones hang
        tame.send_mail(make_message(subject="Small while big hang"))
        tame.wait_ticket("Small while big hang")
    finally:
        for s, f in sessions:
            f.close()
            s.close()
    # once they are gone, a 3 MB message is taken whole
    big = make_message(subject="Big once there is room",
                       text="y" * (3 << 20))
    tame.send_mail(big)
    t = tame.wait_ticket("Big once there is room")
    assert t["message_count"] == 1


def test_commands_alone_do_not_hold_a_connection(tame_data):
    """A client that only sends NOOPs, each within the idle time, held
    its slot for ever (512 such held SMTP shut): in command state with
    no message taken for twice the idle time (10 min; the test's 2 s
    makes it 4 s) it is answered 421 and closed. A client that keeps
    sending mail keeps its connection."""
    tame = tame_data
    tame.start(env={"TAME_SMTP_IDLE_SECONDS": "2"})
    s, f, reply = raw_session(tame.smtp_port)
    busy = smtplib.SMTP("127.0.0.1", tame.smtp_port, timeout=10 * SLOW)
    try:
        assert reply().startswith(b"220")
        s.sendall(b"EHLO idle\r\n")
        assert reply().startswith(b"250")
        busy.ehlo("busy")
        t0, closed = time.monotonic(), None
        i = 0
        while time.monotonic() - t0 < 12 and closed is None:
            s.sendall(b"NOOP\r\n")
            line = reply()
            if not line.startswith(b"250"):
                closed = (time.monotonic() - t0, line)
            msg = make_message(subject="Busy %d" % i)
            busy.send_message(msg, to_addrs=[MAILBOX])
            i += 1
            time.sleep(1)
        assert closed and closed[1].startswith(b"421 4.4.2"), closed
        assert 3 <= closed[0] <= 11, closed
        busy.noop()
    finally:
        busy.close()
        f.close()
        s.close()


def test_a_message_dripped_in_does_not_hold_a_connection(tame_data):
    """A client that sends its message a byte at a time, each byte within
    the idle time, held its connection for as long as it liked (four
    addresses could hold all 512): the message must now end within
    TAME_SMTP_DATA_SECONDS of the 354 (30 minutes; the test's 4 s), or
    the client is answered 421 4.4.2 and closed, and nothing is stored.
    A message sent at an ordinary pace still goes through."""
    tame = tame_data
    tame.start(env={"TAME_SMTP_IDLE_SECONDS": "2",
                    "TAME_SMTP_DATA_SECONDS": "4"})
    s, f, reply = raw_session(tame.smtp_port)
    try:
        smtp_to_data(s, reply, b"drip", b"drip@example.org")
        # the replies so far were read whole; from here on one recv()
        # at a time, as a timed-out makefile cannot be read again
        t0, answer = time.monotonic(), b""
        s.sendall(b"Subject: Dripped\r\n\r\n")
        s.settimeout(1)
        while time.monotonic() - t0 < 12 * SLOW and b"\n" not in answer:
            try:
                s.sendall(b"x")
                answer += s.recv(512) or b"(closed)\n"
            except socket.timeout:
                pass
            except OSError as e:
                answer += b"(%s)\n" % str(e).encode()
        elapsed = time.monotonic() - t0
        if not answer:
            # never cut off: the message ends, and is taken
            s.settimeout(5 * SLOW)
            s.sendall(b"\r\n.\r\n")
            answer = s.recv(512)
    finally:
        f.close()
        s.close()
    assert answer.startswith(b"421 4.4.2"), (elapsed, answer)
    assert 3 <= elapsed <= 10 * SLOW, (elapsed, answer)
    assert "after DATA" in tame.log_text()
    tame.send_mail(make_message(subject="At an ordinary pace"))
    tame.wait_ticket("At an ordinary pace")
    assert [t["subject"] for t in tame.tickets()] == ["At an ordinary pace"]
