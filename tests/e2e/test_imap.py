"""Mail from an existing mailbox over IMAP, against a real dovecot.

Every test starts its own dovecot (imap_fixtures.py) and its own tamed
(conftest.py), fills the dovecot folder with imaplib APPEND and checks
what a team would notice: the mail becomes tickets, new mail arrives
within seconds (by IMAP IDLE, even with a 10-minute poll interval),
nothing is lost or doubled across kill -9 and folder recreation, errors
are shown in plain language, TLS is verified, and the after-import
action is visible in the mailbox. Servers that misbehave on purpose
(garbage, a 2 GB message, a connection dropped mid-literal, silence,
broken IDLE) are played by imap_fake.py.
"""

import os
import socket
import sqlite3
import time

import pytest

from conftest import MAILBOX, SLOW, wait_for
from imap_fake import FakeImap
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


def connect(tame, url, *extra, address=MAILBOX, poll_ms=1000):
    tame.cli("mailbox", "set", "--address", address, "--imap", url,
             "--imap-poll-ms", str(poll_ms), *extra)


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
    # new mail while tamed runs: within 5 s (dovecot offers IDLE)
    for k in range(2):
        t0 = time.monotonic()
        dovecot.append("INBOX", [imap_message(k, "fresh")])
        tame_data.wait_ticket("fresh %d" % k, timeout=5)
        assert time.monotonic() - t0 < 5 * SLOW
    # the after-import action (seen) follows the commit within a round
    wait_for(lambda: dovecot.uids("INBOX", "UNSEEN") == [], 5,
             what="all marked seen on the server")
    assert len(dovecot.uids("INBOX", "SEEN")) == 5


def test_password_on_stdin_stays_out_of_the_command_line(tame, dovecot):
    """--password-stdin: the URL leaves the password out, the first line
    of stdin is the password, and ps never shows it."""
    dovecot.append("INBOX", [imap_message(1, "stdin")])
    bare = "imap://joe@127.0.0.1:%d/INBOX" % dovecot.port
    tame.cli("mailbox", "add", "--address", "pw@example.com", "--name", "P",
             "--imap", bare, "--imap-poll-ms", "1000", "--password-stdin",
             stdin=(PASSWORD + "\n").encode())
    tame.wait_ticket("stdin 1", timeout=10)
    assert imap_of(tame, "pw@example.com")["url"] == bare
    # the password and a URL that has one: which one was meant?
    r = tame.cli("mailbox", "set", "--address", "pw@example.com", "--imap",
                 dovecot.url(), "--password-stdin", stdin=b"other\n",
                 check=False)
    assert r.returncode == 64 and "not both" in r.err, r
    # an empty line or nothing at all is no password
    for given, said in ((b"\n", "must have 1 to"),
                        (b"", "no password on stdin")):
        r = tame.cli("mailbox", "set", "--address", "pw@example.com",
                     "--imap", bare, "--password-stdin", stdin=given,
                     check=False)
        assert r.returncode == 65 and said in r.err, r
    # a wrong one replaces the stored one: the server says so
    tame.cli("mailbox", "set", "--address", "pw@example.com", "--imap", bare,
             "--password-stdin", stdin=b"not-it\n")
    wait_for(lambda: (imap_of(tame, "pw@example.com")["last_error"] or "")
             != "", 15, interval=0.2, what="the refused login shown")
    # another user or server takes its password from stdin as well
    other = "imap://ann@127.0.0.1:%d/INBOX" % dovecot.port
    tame.cli("mailbox", "set", "--address", "pw@example.com", "--imap", other,
             "--password-stdin", stdin=b"ann's secret\n")
    assert imap_of(tame, "pw@example.com")["url"] == other


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


def stored_count(t):
    """Tickets in t's store, read beside the running tamed."""
    db = sqlite3.connect("file:%s?mode=ro" % (t.data / "tame.db"), uri=True)
    try:
        return db.execute("SELECT count(*) FROM tickets").fetchone()[0]
    except sqlite3.Error:
        return 0     # not created yet
    finally:
        db.close()


def test_kill9_in_backlog_then_restart_exactly_once(tame_data, dovecot):
    n = 2500
    dovecot.append("INBOX", [imap_message(i, "backlog") for i in range(n)])
    connect(tame_data, dovecot.url())
    tame_data.start()
    # kill once part of the backlog is stored (and perhaps marked \Seen)
    # (past the first 1,000: the server-side action goes in batches)
    wait_for(lambda: stored_count(tame_data) >= 1100, 30, interval=0.01,
             what="the import to be under way")
    tame_data.kill9()
    # whatever the server marked \Seen must be in the store: the action
    # comes only after the message is durably stored (UID i+1 is the
    # message appended i-th into the fresh folder)
    seen = dovecot.uids("INBOX", "SEEN")
    db = sqlite3.connect(str(tame_data.data / "tame.db"))
    try:
        stored = {r[0] for r in db.execute("SELECT subject FROM tickets")}
    finally:
        db.close()
    assert len(stored) < n, "the kill came too late to test anything"
    lost = [u for u in seen if "backlog %d" % (u - 1) not in stored]
    assert lost == [], "marked \\Seen but not stored: UIDs %r" % lost[:10]
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
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid, {
        "imap": {"url": "imaps://u:p@" + "h" * 3000 + "/INBOX"}})
    assert st == 400 and "longer than" in body["error"]["message"]
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


def test_stored_password_goes_to_no_other_server_or_user(tame, dovecot):
    """A URL without a password keeps the stored one only for the same
    TLS mode, host, port and user: pointed at another server (or user,
    or TLS mode), the password must come with it, or it would be sent
    there, perhaps in clear."""
    other = FakeImap("good", [imap_message(1, "other")])
    try:
        connect(tame, dovecot.url())
        mid = tame.mailbox_id()
        for url in ("imap://joe@127.0.0.1:%d/INBOX" % other.port,
                    "imap://someone-else@127.0.0.1:%d/INBOX" % dovecot.port,
                    "imap://joe@127.0.0.1:%d/INBOX?starttls" % dovecot.port,
                    "imaps://joe@127.0.0.1:%d/INBOX" % dovecot.port):
            st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid,
                                   {"imap": {"url": url}})
            assert st == 400, (url, body)
            assert "needs its password" in body["error"]["message"], body
        r = tame.cli("mailbox", "set", "--address", MAILBOX, "--imap",
                     "imap://joe@127.0.0.1:%d/INBOX" % other.port,
                     check=False)
        assert r.returncode == 65 and "needs its password" in r.err, r
        # the same server and user keep it, in another folder too
        st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid, {
            "imap": {"url": "imap://joe@127.0.0.1:%d/Archive"
                     % dovecot.port}})
        assert st == 200 and body["imap"]["folder"] == "Archive", body
        # with its own password, another server is fine
        st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mid, {
            "imap": {"url": "imap://joe:other-pw@127.0.0.1:%d/INBOX"
                     % other.port}})
        assert st == 200, body
        tame.wait_ticket("other 1", timeout=10)
        assert other.logins and all(PASSWORD not in ln and "s3cret" not in
                                    ln for ln in other.logins), other.logins
        assert "other-pw" in other.logins[0]
    finally:
        other.close()


# ---------------------------------------------------------------- IDLE

def idle_up(tame, address=MAILBOX):
    return ("imap: %s: IDLE on" % address) in tame.log_text()


def test_idle_delivers_within_seconds_with_long_poll(tame, dovecot):
    """With a 10-minute poll interval only IDLE can explain mail that
    arrives within seconds."""
    dovecot.append("INBOX", [imap_message(0, "idle")])
    tame.cli("mailbox", "set", "--address", MAILBOX, "--imap",
             dovecot.url(), "--imap-poll-ms", "600000")
    tame.wait_ticket("idle 0", timeout=5)
    wait_for(lambda: idle_up(tame), 10, what="IDLE to begin")
    time.sleep(1)   # the catch-up round after IDLE began is over
    for k in range(1, 4):
        t0 = time.monotonic()
        dovecot.append("INBOX", [imap_message(k, "idle")])
        tame.wait_ticket("idle %d" % k, timeout=5)
        assert time.monotonic() - t0 < 5 * SLOW
    assert imap_of(tame)["status"] == "ok"
    assert imap_of(tame)["poll_interval_ms"] == 600000
    # the admin page can say how new mail is learnt of
    wait_for(lambda: imap_of(tame)["watch"] == "idle", 5,
             what="the mailbox showing IDLE")
    # after-import action still follows, on the fetching connection
    wait_for(lambda: dovecot.uids("INBOX", "UNSEEN") == [], 5,
             what="all marked seen on the server")
    # dovecot saw our IDLE command
    assert "IDLE on \"INBOX\"" in tame.log_text()


def test_idle_is_renewed_and_keeps_delivering(tame_data, dovecot):
    """RFC 2177: IDLE is re-issued (every 25 minutes; here every second,
    shortened through the environment): DONE, the tagged OK, IDLE."""
    tame_data.cli("mailbox", "set", "--address", MAILBOX, "--imap",
                  dovecot.url(), "--imap-poll-ms", "600000")
    tame_data.start(env={"TAME_IMAP_IDLE_RENEW_MS": "1000"})
    wait_for(lambda: idle_up(tame_data), 10, what="IDLE to begin")
    time.sleep(3.5)   # three renewals
    for k in range(2):
        t0 = time.monotonic()
        dovecot.append("INBOX", [imap_message(k, "renewed")])
        tame_data.wait_ticket("renewed %d" % k, timeout=5)
        assert time.monotonic() - t0 < 5 * SLOW
        time.sleep(1.2)
    assert "IDLE stopped" not in tame_data.log_text()
    assert imap_of(tame_data)["status"] == "ok"


def test_idle_follows_a_change_of_folder(tame, dovecot):
    dovecot.create("Other")
    tame.cli("mailbox", "set", "--address", MAILBOX, "--imap",
             dovecot.url(), "--imap-poll-ms", "600000")
    wait_for(lambda: idle_up(tame), 10, what="IDLE to begin")
    tame.cli("mailbox", "set", "--address", MAILBOX, "--imap",
             dovecot.url("Other"))
    wait_for(lambda: 'IDLE on "Other"' in tame.log_text(), 10,
             what="IDLE on the new folder")
    time.sleep(1)
    t0 = time.monotonic()
    dovecot.append("Other", [imap_message(1, "moved-idle")])
    tame.wait_ticket("moved-idle 1", timeout=5)
    assert time.monotonic() - t0 < 5 * SLOW


def test_server_without_idle_is_polled(tame):
    fake = FakeImap("good", [imap_message(1, "noidle")])
    try:
        connect(tame, fake.url())
        tame.wait_ticket("noidle 1", timeout=5)
        wait_for(lambda: "does not offer IDLE" in tame.log_text(), 5,
                 what="IDLE found missing")
        wait_for(lambda: imap_of(tame)["watch"] == "poll", 5,
                 what="the mailbox showing it is polled")
        fake.add(imap_message(2, "noidle"))
        tame.wait_ticket("noidle 2", timeout=5)
        assert imap_of(tame)["status"] == "ok"
        assert fake.idle_commands == 0
    finally:
        fake.close()


def test_idle_on_fake_server_wakes_the_fetch(tame):
    fake = FakeImap("idle", [imap_message(1, "fake-idle")])
    try:
        tame.cli("mailbox", "set", "--address", MAILBOX, "--imap",
                 fake.url(), "--imap-poll-ms", "600000")
        tame.wait_ticket("fake-idle 1", timeout=5)
        wait_for(lambda: idle_up(tame), 10, what="IDLE to begin")
        time.sleep(1)
        fake.add(imap_message(2, "fake-idle"))
        tame.wait_ticket("fake-idle 2", timeout=5)
        assert fake.idle_commands >= 1
    finally:
        fake.close()


@pytest.mark.parametrize("mode,within", [("idle-garbage", 10),
                                         ("idle-drop", 10),
                                         ("idle-silent", 45)])
def test_broken_idle_falls_back_to_polling(tame, dovecot, mode, within):
    fake = FakeImap(mode, [imap_message(1, mode)])
    try:
        connect(tame, fake.url())
        tame.wait_ticket("%s 1" % mode, timeout=5)
        if mode == "idle-silent":
            # polled at its interval while IDLE waits for an answer
            time.sleep(2)
            fake.add(imap_message(3, mode))
            tame.wait_ticket("%s 3" % mode, timeout=5)
        wait_for(lambda: "IDLE stopped" in tame.log_text(), within,
                 what="the broken IDLE to be given up")
        assert fake.idle_commands >= 1
        # polled at the mailbox's interval (1 s) meanwhile
        fake.add(imap_message(2, mode))
        tame.wait_ticket("%s 2" % mode, timeout=5)
        assert imap_of(tame)["status"] == "ok"
        # another mailbox, on dovecot with IDLE, is not disturbed
        dovecot.append("INBOX", [imap_message(1, "beside-" + mode)])
        tame.cli("mailbox", "add", "--address", "g@example.com", "--name",
                 "G", "--imap", dovecot.url())
        tame.wait_ticket("beside-%s 1" % mode, timeout=5)
        assert tame.alive()
    finally:
        fake.close()


# ---------------------------------------------------------------- bad servers

@pytest.mark.parametrize("mode,error,within", [
    ("garbage", "server answered garbage", 15),
    ("huge", "message too large", 15),
    ("drop", "connection lost", 15),
    ("silent", "server not answering", 30),
])
def test_bad_server_gives_clear_error_others_keep_working(tame, dovecot,
                                                         mode, error,
                                                         within):
    bad = FakeImap(mode, [imap_message(1, "bad-" + mode)])
    try:
        connect(tame, bad.url())
        # meanwhile another mailbox imports as usual
        t0 = time.monotonic()
        dovecot.append("INBOX", [imap_message(1, "good-" + mode)])
        tame.cli("mailbox", "add", "--address", "g@example.com", "--name",
                 "G", "--imap", dovecot.url())
        tame.wait_ticket("good-%s 1" % mode, timeout=5)
        assert time.monotonic() - t0 < 5 * SLOW
        imap = wait_error(tame, error, timeout=within)
        assert imap["status"] == "error" and imap["last_error_detail"]
        st, _, body = tame.api("GET", "/api/v1/health")
        assert st == 200
        # and keeps importing after the bad one failed
        dovecot.append("INBOX", [imap_message(2, "good-" + mode)])
        tame.wait_ticket("good-%s 2" % mode, timeout=5)
        assert "bad-%s 1" % mode not in subjects(tame)
        assert tame.alive()
    finally:
        bad.close()


@pytest.mark.parametrize("mode", ["fetch-silent", "logout-silent"])
def test_a_server_fallen_silent_holds_up_nothing(tame, dovecot, mode):
    """A server that stops answering in the middle of a FETCH, or never
    answers LOGOUT, holds up neither the other mailboxes when its
    settings change nor tamed's stop. Before, libcurl said LOGOUT on
    the way out and waited 30 s for the answer, with every mailbox."""
    fake = FakeImap(mode, [imap_message(1, mode)])
    try:
        connect(tame, fake.url())
        if mode == "logout-silent":
            tame.wait_ticket("logout-silent 1", timeout=10)
        else:
            wait_for(lambda: fake.hung, 10, what="the FETCH it hangs on")
        # the mailbox moves to dovecot: its mail comes at once
        dovecot.append("INBOX", [imap_message(2, mode)])
        t0 = time.monotonic()
        connect(tame, dovecot.url())
        tame.wait_ticket("%s 2" % mode, timeout=10)
        assert time.monotonic() - t0 < 5 * SLOW
        # and back, to stop while it hangs again
        if mode == "fetch-silent":
            connect(tame, fake.url())
            wait_for(lambda: len(fake.hung) > 1, 10,
                     what="the FETCH it hangs on again")
        t0 = time.monotonic()
        assert tame.stop() == 0
        assert time.monotonic() - t0 < 5 * SLOW, time.monotonic() - t0
    finally:
        fake.close()


def test_empty_fetch_answer_is_left_on_the_server(tame):
    """A message the server sends with no content makes no blank ticket
    and is not marked seen: it stays on the server, named in the error,
    and the mail after it comes in."""
    fake = FakeImap("empty-first", [imap_message(1, "empty"),
                                    imap_message(2, "empty")])
    try:
        connect(tame, fake.url())
        tame.wait_ticket("empty 2", timeout=10)
        imap = wait_error(tame, "server answered garbage", timeout=10)
        assert "UID 1 came with no content" in imap["last_error_detail"]
        assert len(tame.tickets()) == 1
        wait_for(lambda: fake.stores, 10, what="the STORE of UID 2")
        assert all("1" not in s.replace("2", "").split(",")
                   for s in fake.stores), fake.stores
    finally:
        fake.close()


def test_fetch_refused_for_a_while_is_fetched_again(tame):
    """A server that answers NO to a FETCH (throttled, busy) has not
    lost the message: it is fetched again in a later round, not passed
    over, and the mailbox is fine again once it came in."""
    fake = FakeImap("refuse-first", [imap_message(1, "busy"),
                                     imap_message(2, "busy")], refusals=3)
    try:
        connect(tame, fake.url(), poll_ms=500)
        wait_subjects(tame, ["busy 1", "busy 2"], timeout=20)
        assert fake.refused == 3
        assert len(tame.tickets()) == 2
        wait_for(lambda: imap_of(tame)["status"] == "ok", 10,
                 what="the mailbox fine again")
    finally:
        fake.close()


def test_fetch_refused_every_time_is_left_and_the_rest_comes_in(tame):
    """A message the server refuses round after round is left on the
    server, with an error naming it that stays, and does not hold back
    the mail after it."""
    fake = FakeImap("refuse-first", [imap_message(1, "broken"),
                                     imap_message(2, "broken")])
    try:
        connect(tame, fake.url(), poll_ms=500)
        imap = wait_error(tame, "server refused the message", timeout=10)
        assert "UID 1" in imap["last_error_detail"]
        assert "again later" in imap["last_error_detail"]
        wait_subjects(tame, ["broken 2"], timeout=40)
        assert subjects(tame) == ["broken 2"]
        assert fake.refused >= 6
        imap = wait_error(tame, "server refused the message", timeout=10)
        assert "left on the server" in imap["last_error_detail"]
        assert "NO [UNAVAILABLE]" in imap["last_error_detail"]
        time.sleep(1.5)   # a later good round keeps the error
        assert imap_of(tame)["last_error"] == "server refused the message"
        wait_for(lambda: fake.stores, 10, what="the STORE of UID 2")
        assert all("1" not in s.replace("2", "").split(",")
                   for s in fake.stores), fake.stores
    finally:
        fake.close()


@pytest.mark.parametrize("mode,error", [
    ("drop-first", "connection lost"),
    ("bye-first", "connection lost"),
    ("flags-first", "server answered garbage"),
])
def test_fetch_failing_every_time_is_left_and_the_rest_comes_in(tame, mode,
                                                                error):
    """A message whose FETCH fails the same way round after round (the
    server drops the connection in the middle of it, says BYE, or sends
    no message) is left on the server after six rounds, with an error
    that names it and stays, and the mail after it comes in. Before,
    the import stopped there for good."""
    fake = FakeImap(mode, [imap_message(1, mode), imap_message(2, mode)])
    try:
        connect(tame, fake.url(), poll_ms=500)
        wait_subjects(tame, ["%s 2" % mode], timeout=60)
        assert subjects(tame) == ["%s 2" % mode]
        assert fake.failed >= 6
        imap = wait_error(tame, error, timeout=10)
        assert "UID 1 failed in 6 rounds in a row" in imap[
            "last_error_detail"], imap
        assert "left on the server" in imap["last_error_detail"], imap
        time.sleep(1.5)   # a later good round keeps the error
        assert imap_of(tame)["last_error"] == error
        wait_for(lambda: fake.stores, 10, what="the STORE of UID 2")
        assert all("1" not in s.replace("2", "").split(",")
                   for s in fake.stores), fake.stores
    finally:
        fake.close()


def test_failing_after_import_action_does_not_stop_the_import(tame,
                                                             dovecot):
    """An after-import action that fails every time (a move to a folder
    that is gone) holds no mail back: the import goes on past the first
    chunk acted on, the action is tried again for a few rounds and then
    given up with an error that stays, the mail left in the folder as it
    is. Before, the import fetched the same first messages (as many as
    wait to be acted on at most, 2,500) again and again and never the
    rest."""
    n = 3000
    dovecot.append("INBOX", [imap_message(i, "act") for i in range(n)])
    connect(tame, dovecot.url(), "--after", "move:Gone", poll_ms=500)
    wait_for(lambda: len(tame.tickets()) == n, 90, interval=1,
             what="every message imported")
    imap = wait_error(tame, "after-import action failed", timeout=60)
    assert "failed in 6 rounds in a row" in imap["last_error_detail"], imap
    assert "Gone" in imap["last_error_detail"], imap
    assert dovecot.status("INBOX")["MESSAGES"] == n
    # new mail still comes in, and the error stays
    dovecot.append("INBOX", [imap_message(n, "act")])
    tame.wait_ticket("act %d" % n, timeout=15)
    assert imap_of(tame)["last_error"] == "after-import action failed"
    assert len(tame.tickets()) == n + 1


def test_action_refused_for_good_is_given_up_with_a_lasting_error(tame):
    """\\Seen refused (NO [NOPERM]) round after round: the messages are
    imported once, the action is given up after six rounds with an
    error that names it and stays, and later mail still comes in."""
    fake = FakeImap("store-noperm", [imap_message(1, "noperm"),
                                     imap_message(2, "noperm")])
    try:
        connect(tame, fake.url(), poll_ms=500)
        wait_subjects(tame, ["noperm 1", "noperm 2"], timeout=10)
        imap = wait_error(tame, "after-import action failed", timeout=60)
        assert "NOPERM" in imap["last_error_detail"], imap
        tries = len(fake.stores)
        assert tries >= 6, fake.stores
        fake.add(imap_message(3, "noperm"))
        tame.wait_ticket("noperm 3", timeout=15)
        time.sleep(1.5)
        assert len(fake.stores) == tries   # given up: not tried again
        assert imap_of(tame)["last_error"] == "after-import action failed"
        assert sorted(subjects(tame)) == ["noperm 1", "noperm 2",
                                          "noperm 3"]
    finally:
        fake.close()


def test_error_names_the_line_that_went_wrong(tame):
    """A server answering a FETCH with something libcurl cannot read:
    the mailbox's error shows that line, not the goodbye to the LOGOUT
    that followed it."""
    fake = FakeImap("weird-first", [imap_message(1, "weird"),
                                    imap_message(2, "weird")])
    try:
        connect(tame, fake.url(), poll_ms=500)
        imap = wait_error(tame, "server answered garbage", timeout=10)
        assert 'BODY[] "short"' in imap["last_error_detail"], imap
        assert "OK done" not in imap["last_error_detail"], imap
    finally:
        fake.close()


def test_search_answer_past_uidnext_or_repeated_is_not_trusted(tame):
    """A UID the server names twice is fetched once; one past its own
    UIDNEXT does not move the import past mail still to come."""
    fake = FakeImap("search-far", [imap_message(1, "far"),
                                   imap_message(2, "far")])
    try:
        connect(tame, fake.url())
        tame.wait_ticket("far 2", timeout=10)
        assert sorted(fake.fetched) == [1, 2], fake.fetched
        fake.add(imap_message(3, "far"))
        tame.wait_ticket("far 3", timeout=10)
        assert sorted(t["subject"] for t in tame.tickets()) == [
            "far 1", "far 2", "far 3"]
        assert imap_of(tame)["status"] == "ok"
    finally:
        fake.close()
