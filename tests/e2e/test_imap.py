"""Mail from an existing mailbox over IMAP, against a real dovecot.

Every test starts its own dovecot (imap_fixtures.py) and its own tamed
(conftest.py), fills the dovecot folder with imaplib APPEND and checks
what a team would notice: the mail becomes tickets, new mail arrives
within seconds, nothing is lost or doubled across kill -9 and folder
recreation, errors are shown in plain language, TLS is verified, and the
after-import action is visible in the mailbox.
"""

import os
import signal
import socket
import socketserver
import threading
import time

import pytest

from conftest import MAILBOX, SLOW, wait_for
from imap_fixtures import (PASSWORD, cert_pin, imap_message,  # noqa: F401
                           dovecot, dovecot_tls)


def imap_of(tame, address=MAILBOX):
    for mb in tame.get("/api/v1/mailboxes")["mailboxes"]:
        if mb["address"] == address:
            return mb["imap"]
    raise AssertionError("no mailbox %s" % address)


def subjects(tame):
    return [t["subject"] for t in tame.tickets()]


def wait_subjects(tame, expected, timeout=10):
    """Waits until every subject in expected is a ticket; answers the
    list of all ticket subjects."""
    expected = set(expected)
    return wait_for(lambda: (lambda s: s if expected <= set(s) else None)(
        subjects(tame)), timeout, interval=0.2,
        what="tickets %s" % sorted(expected)[:5])


def wait_error(tame, text, address=MAILBOX, timeout=10):
    return wait_for(lambda: (lambda i: i if i and i["last_error"] == text
                             else None)(imap_of(tame, address)), timeout,
                    interval=0.2, what="IMAP error %r" % text)


def connect(tame, url, *extra, address=MAILBOX):
    tame.cli("mailbox", "set", "--address", address, "--imap", url,
             "--imap-poll-ms", "1000", *extra)


# ---------------------------------------------------------------- import

def test_import_then_new_mail_within_seconds(tame_data, dovecot):
    dovecot.append("INBOX", [imap_message(i, "hello") for i in range(3)])
    r = tame_data.cli("mailbox", "add", "--address", "help@example.com",
                      "--name", "Help", "--imap", dovecot.url())
    assert r.out.strip().isdigit()
    tame_data.start()
    wait_subjects(tame_data, ["hello 0", "hello 1", "hello 2"])
    imap = imap_of(tame_data, "help@example.com")
    assert PASSWORD not in str(imap) and "pass" not in imap["url"]
    assert imap["url"] == "imap://joe@127.0.0.1:%d/INBOX" % dovecot.port
    assert imap["after"] == "seen" and imap["tls"] == "none"
    wait_for(lambda: imap_of(tame_data, "help@example.com")["imported"] == 3,
             5, what="imported count 3")
    tickets = [t for t in tame_data.tickets() if t["subject"] == "hello 1"]
    assert tickets[0]["mailbox_id"] == tame_data.mailbox_id("help@example.com")
    # new mail while tamed runs: polled, not IDLE, but within 5 s
    for k in range(2):
        t0 = time.monotonic()
        dovecot.append("INBOX", [imap_message(k, "fresh")])
        tame_data.wait_ticket("fresh %d" % k, timeout=5)
        assert time.monotonic() - t0 < 5 * SLOW
    # the after-import action (seen) follows the commit within a round
    wait_for(lambda: dovecot.uids("INBOX", "UNSEEN") == [], 5,
             what="all marked seen on the server")
    assert len(dovecot.uids("INBOX", "SEEN")) == 5


def test_running_tamed_picks_up_a_new_mailbox(tame, dovecot):
    dovecot.append("INBOX", [imap_message(1, "late")])
    t0 = time.monotonic()
    connect(tame, dovecot.url())
    tame.wait_ticket("late 1", timeout=5)
    assert time.monotonic() - t0 < 5 * SLOW
    # and a change: another folder
    dovecot.create("Other")
    dovecot.append("Other", [imap_message(2, "late")])
    tame.cli("mailbox", "set", "--address", MAILBOX, "--imap",
             dovecot.url("Other"))
    tame.wait_ticket("late 2", timeout=5)
    assert imap_of(tame)["folder"] == "Other"


def test_kill9_in_backlog_then_restart_exactly_once(tame_data, dovecot):
    n = 1500
    dovecot.append("INBOX", [imap_message(i, "backlog") for i in range(n)])
    connect(tame_data, dovecot.url())
    tame_data.start()
    # kill as soon as part of the backlog is stored
    got = wait_for(lambda: len(tame_data.get("/api/v1/tickets?status=any"
                                             "&limit=500")["tickets"]),
                   20, interval=0.01, what="the import to start")
    tame_data.kill9()
    assert got < n, "the kill came too late to test anything"
    assert dovecot.uids("INBOX", "SEEN") == [], "acted on before stored"
    tame_data.start()
    want = ["backlog %d" % i for i in range(n)]
    got = wait_subjects(tame_data, want, timeout=30)
    assert sorted(got) == sorted(want), "lost or doubled messages"
    wait_for(lambda: imap_of(tame_data)["last_uid"] == n, 10,
             what="last UID recorded")
    assert imap_of(tame_data)["backlog"] == 0
    tame_data.restart()
    time.sleep(2.5)
    assert len(tame_data.tickets()) == n


def test_uidvalidity_change_does_not_duplicate(tame, dovecot):
    dovecot.create("Support")
    first = [imap_message(i, "uv") for i in range(3)]
    dovecot.append("Support", first)
    connect(tame, dovecot.url("Support"))
    wait_subjects(tame, ["uv 0", "uv 1", "uv 2"])
    v1 = wait_for(lambda: imap_of(tame)["uidvalidity"], 5)
    # the folder is recreated: same messages again, plus one new
    with __import__("imap_fixtures").Session(dovecot) as m:
        assert m.delete("Support")[0] == "OK"
        time.sleep(1.1)   # dovecot's UIDVALIDITY is a time in seconds
        assert m.create("Support")[0] == "OK"
    dovecot.append("Support", first + [imap_message(3, "uv")])
    wait_subjects(tame, ["uv 3"])
    wait_for(lambda: imap_of(tame)["uidvalidity"] != v1, 5,
             what="new UIDVALIDITY recorded")
    time.sleep(2)
    got = subjects(tame)
    assert sorted(got) == ["uv 0", "uv 1", "uv 2", "uv 3"]


# ---------------------------------------------------------------- errors

def test_bad_password_is_shown_and_tamed_keeps_serving(tame, dovecot):
    connect(tame, dovecot.url(password="wrong"))
    imap = wait_error(tame, "login refused")
    assert imap["status"] == "error" and imap["last_error_at"]
    mid = tame.mailbox_id()
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test" % mid)
    assert st == 200 and body["ok"] is False
    assert body["error"] == "login refused"
    # the rest of tamed goes on: SMTP, the API, other mailboxes
    tame.send_mail(subject="by smtp")
    tame.wait_ticket("by smtp")
    dovecot.append("INBOX", [imap_message(1, "other box")])
    tame.cli("mailbox", "add", "--address", "b@example.com", "--name", "B",
             "--imap", dovecot.url())
    tame.wait_ticket("other box 1", timeout=5)
    # fixing the password clears the error
    connect(tame, dovecot.url())
    wait_for(lambda: imap_of(tame)["status"] == "ok", 5,
             what="the mailbox to be fine again")
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test" % mid)
    assert body == {"ok": True, "messages": 1,
                    "uidvalidity": imap_of(tame)["uidvalidity"]}


def test_connection_test_plain_errors(tame, dovecot):
    mid = tame.mailbox_id()
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test" % mid)
    assert st == 409, body
    connect(tame, dovecot.url("Nope"))
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test" % mid)
    assert body["ok"] is False and body["error"] == "folder not found"
    wait_error(tame, "folder not found")
    connect(tame, dovecot.url(), "--after", "move:Missing")
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test" % mid)
    assert body["error"] == "move folder not found", body
    port = free_closed_port()
    connect(tame, "imap://joe:x@127.0.0.1:%d/INBOX" % port)
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test" % mid)
    assert body["error"] == "server not reachable", body
    # agents may not test
    _, tok = tame.add_agent("agent@example.com")
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test" % mid,
                           token=tok)
    assert st == 403


def free_closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- TLS

def test_self_signed_certificate_refused_unless_trusted(tame, dovecot_tls):
    d = dovecot_tls
    d.append("INBOX", [imap_message(1, "tls")])
    connect(tame, d.url(scheme="imaps"))
    imap = wait_error(tame, "certificate not trusted")
    assert imap["tls"] == "imaps"
    assert "tls 1" not in subjects(tame)
    # trusted explicitly with the certificate as CA file
    connect(tame, d.url(scheme="imaps"), "--imap-ca", d.cert)
    tame.wait_ticket("tls 1", timeout=5)
    assert imap_of(tame)["ca_file"] == os.path.realpath(d.cert)
    # STARTTLS on the plain port, trusted by its key's pin
    d.append("INBOX", [imap_message(2, "tls")])
    tame.cli("mailbox", "add", "--address", "pin@example.com", "--name", "P",
             "--imap", d.url(query="?starttls"), "--imap-pin",
             cert_pin(d.cert))
    tame.wait_ticket("tls 2", timeout=5)
    assert imap_of(tame, "pin@example.com")["tls"] == "starttls"
    # a wrong pin is refused
    tame.cli("mailbox", "set", "--address", "pin@example.com", "--imap-pin",
             "sha256//" + "A" * 43 + "=")
    wait_error(tame, "certificate not trusted", "pin@example.com")


# ---------------------------------------------------------------- actions

def test_after_import_actions_visible_in_dovecot(tame, dovecot):
    for f in ("Del", "Mv", "Archive"):
        dovecot.create(f)
    dovecot.append("Del", [imap_message(i, "del") for i in range(3)])
    dovecot.append("Mv", [imap_message(i, "mv") for i in range(3)])
    dovecot.append("INBOX", [imap_message(i, "seen") for i in range(3)])
    tame.cli("mailbox", "add", "--address", "del@example.com", "--name", "D",
             "--imap", dovecot.url("Del"), "--after", "delete")
    tame.cli("mailbox", "add", "--address", "mv@example.com", "--name", "M",
             "--imap", dovecot.url("Mv"), "--after", "move:Archive")
    connect(tame, dovecot.url("INBOX"), "--after", "seen")
    wait_subjects(tame, ["%s %d" % (k, i) for k in ("del", "mv", "seen")
                         for i in range(3)])
    wait_for(lambda: dovecot.status("Del")["MESSAGES"] == 0, 5,
             what="Del emptied")
    wait_for(lambda: dovecot.status("Mv")["MESSAGES"] == 0, 5,
             what="Mv emptied")
    assert dovecot.status("Archive")["MESSAGES"] == 3
    wait_for(lambda: len(dovecot.uids("INBOX", "SEEN")) == 3, 5,
             what="INBOX marked seen")
    assert imap_of(tame, "mv@example.com")["after"] == "move:Archive"
    assert len(tame.tickets()) == 9


# ---------------------------------------------------------------- API

def test_api_sets_imap_without_showing_the_password(tame, dovecot):
    dovecot.append("INBOX", [imap_message(1, "api")])
    mid = tame.mailbox_id()
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid,
                           {"imap": {"url": "ftp://x"}})
    assert st == 400 and body["error"]["code"] == "invalid_field"
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid,
                           {"imap": {"url": dovecot.url(), "bogus": 1}})
    assert st == 400 and body["error"]["code"] == "unknown_field"
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid,
                           {"imap": {"url": dovecot.url(),
                                     "after": "delete",
                                     "poll_interval_ms": 1000}})
    assert st == 200, body
    assert PASSWORD not in str(body)
    assert body["imap"]["after"] == "delete"
    assert body["imap"]["poll_interval_ms"] == 1000
    tame.wait_ticket("api 1", timeout=5)
    # the URL as shown (no password) keeps the stored password
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid,
                           {"imap": {"url": body["imap"]["url"],
                                     "after": "seen"}})
    assert st == 200 and body["imap"]["after"] == "seen", body
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test" % mid)
    assert body["ok"] is True, body
    # a new mailbox with IMAP in one request
    st, _, body = tame.api("POST", "/api/v1/mailboxes",
                           {"address": "new@example.com", "name": "New",
                            "imap": {"url": dovecot.url()}})
    assert st == 201 and body["imap"]["user"] == "joe", body
    st, _, body = tame.api("POST", "/api/v1/mailboxes",
                           {"address": "bad@example.com", "name": "Bad",
                            "imap": {"url": "imap://joe@h/INBOX"}})
    assert st == 400, body
    assert "bad@example.com" not in str(tame.get("/api/v1/mailboxes"))
    # null disconnects
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid,
                           {"imap": None})
    assert st == 200 and body["imap"] is None
    # the password is sealed at rest
    with open(os.path.join(tame.data, "tame.db"), "rb") as f:
        assert PASSWORD.encode() not in f.read()
    assert os.stat(os.path.join(tame.data, "secret.key")).st_mode & 0o777 \
        == 0o600


# ---------------------------------------------------------------- bad servers

class BadImap(socketserver.ThreadingTCPServer):
    """An IMAP server that misbehaves in one of these ways:
    garbage: greets with noise; huge: logs in, then announces a 2 GB
    message; silent: accepts and never says a word."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, mode):
        self.mode = mode
        srv = self

        class H(socketserver.StreamRequestHandler):
            timeout = 120

            def out(self, s):
                self.wfile.write(s.encode() + b"\r\n")

            def handle(self):
                if srv.mode == "silent":
                    time.sleep(60)
                    return
                if srv.mode == "garbage":
                    self.wfile.write(b"\x00\xffHELLO THERE\r\n:-)\r\n")
                    time.sleep(1)
                    return
                self.out("* OK ready")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    tag, _, rest = line.decode().strip().partition(" ")
                    cmd = rest.split(" ")[0].upper()
                    if cmd == "CAPABILITY":
                        self.out("* CAPABILITY IMAP4rev1")
                    elif cmd == "SELECT":
                        self.out("* 1 EXISTS")
                        self.out("* OK [UIDVALIDITY 7] ok")
                        self.out("* OK [UIDNEXT 2] ok")
                    elif cmd == "STATUS":
                        self.out("* STATUS INBOX (UIDVALIDITY 7 UIDNEXT 2 "
                                 "MESSAGES 1)")
                    elif cmd == "UID" and "SEARCH" in rest.upper():
                        self.out("* SEARCH 1")
                    elif cmd == "UID" and "FETCH" in rest.upper():
                        self.out("* 1 FETCH (UID 1 BODY[] {2147483648}")
                        self.wfile.write(b"From: x\r\n" * 1000)
                        time.sleep(2)
                        return
                    self.out("%s OK done" % tag)

        super().__init__(("127.0.0.1", 0), H)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.mark.parametrize("mode,error", [
    ("garbage", "server answered garbage"),
    ("huge", "message too large"),
])
def test_bad_server_gives_clear_error_others_keep_working(tame, dovecot,
                                                         mode, error):
    bad = BadImap(mode)
    try:
        connect(tame, "imap://joe:x@127.0.0.1:%d/INBOX" % bad.port)
        wait_error(tame, error, timeout=15)
        dovecot.append("INBOX", [imap_message(1, "good " + mode)])
        tame.cli("mailbox", "add", "--address", "g@example.com", "--name",
                 "G", "--imap", dovecot.url())
        tame.wait_ticket("good %s 1" % mode, timeout=5)
        assert tame.alive()
    finally:
        bad.shutdown()
        bad.server_close()


def test_silent_server_does_not_hold_up_other_mailboxes(tame, dovecot):
    bad = BadImap("silent")
    try:
        connect(tame, "imap://joe:x@127.0.0.1:%d/INBOX" % bad.port)
        time.sleep(1.5)
        t0 = time.monotonic()
        dovecot.append("INBOX", [imap_message(1, "meanwhile")])
        tame.cli("mailbox", "add", "--address", "g@example.com", "--name",
                 "G", "--imap", dovecot.url())
        tame.wait_ticket("meanwhile 1", timeout=5)
        assert time.monotonic() - t0 < 5 * SLOW
        st, _, body = tame.api("GET", "/api/v1/health")
        assert st == 200
    finally:
        bad.shutdown()
        bad.server_close()
