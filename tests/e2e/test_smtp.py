"""Mail in over SMTP and LMTP: the dialogue, limits, relay refusal,
duplicates and concurrent delivery."""

import smtplib
import socket
import threading

import pytest

from conftest import (MAILBOX, SLOW, make_message, new_msgid, strip_angle,
                      wait_for)


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
