"""Mail out per mailbox: a mailbox's own relay (STARTTLS required, AUTH
PLAIN/LOGIN, a self-signed certificate trusted only through its CA
file), the global --relay for the others, and the test-send.

The relay is TlsAuthSink below: an SMTP server in Python that refuses
mail until the client has done STARTTLS and logged in, with a
certificate made by the openssl command line for this test run.
"""

import base64
import http.client
import os
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
import time

import pytest

from conftest import (ADMIN_EMAIL, MAILBOX, SmtpSink, assert_error,
                      free_port, make_message, settle, wait_for)
from imap_fixtures import make_cert

import email
import email.policy

USER = "relay-user@example.net"
PASSWORD = "p@ss: w0rd/1"
OTHER = "sales@example.com"


class TlsAuthSink:
    """A threaded SMTP relay that requires STARTTLS, then AUTH PLAIN or
    LOGIN with (user, password), before it takes MAIL. messages: dicts
    {mail_from, rcpts, data, msg, tls, auth_user}. logins: list of
    (user, ok). fail: {"stage": "rcpt", "code": 550, "text": ...}."""

    def __init__(self, cert, key, user=USER, password=PASSWORD,
                 mechs="PLAIN LOGIN"):
        self.port = free_port()
        self.mechs = mechs
        self.user, self.password = user, password
        self.messages, self.logins = [], []
        self.fail = None
        self.lock = threading.Lock()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 30

            def reply(self, line):
                self.wfile.write((line + "\r\n").encode())
                self.wfile.flush()

            def line(self):
                raw = self.rfile.readline(65536)
                return None if not raw else raw.decode(
                    "utf-8", "replace").rstrip("\r\n")

            def check_login(self, user, pw):
                ok = user == sink.user and pw == sink.password
                with sink.lock:
                    sink.logins.append((user, ok))
                if ok:
                    self.auth_user = user
                    self.reply("235 2.7.0 authenticated")
                else:
                    self.reply("535 5.7.8 authentication failed")

            def auth(self, args):
                mech = args[0].upper() if args else ""
                if mech not in sink.mechs.split():
                    self.reply("504 5.5.4 mechanism not offered")
                elif mech == "PLAIN":
                    if len(args) > 1:
                        resp = args[1]
                    else:
                        self.reply("334 ")
                        resp = self.line() or ""
                    try:
                        _, user, pw = base64.b64decode(resp).decode().split(
                            "\0")
                    except ValueError:
                        self.reply("501 5.5.2 bad PLAIN answer")
                        return
                    self.check_login(user, pw)
                elif mech == "LOGIN":
                    self.reply("334 VXNlcm5hbWU6")
                    user = base64.b64decode(self.line() or "").decode()
                    self.reply("334 UGFzc3dvcmQ6")
                    pw = base64.b64decode(self.line() or "").decode()
                    self.check_login(user, pw)
                else:
                    self.reply("504 5.5.4 mechanism not offered")

            def handle(self):
                self.tls, self.auth_user = False, None
                self.reply("220 relay.test ESMTP")
                mail_from, rcpts = None, []
                while True:
                    cmd = self.line()
                    if cmd is None:
                        return
                    words = cmd.split()
                    verb = words[0].upper() if words else ""
                    if verb == "EHLO":
                        self.reply("250-relay.test")
                        if self.tls:
                            self.reply("250-AUTH " + sink.mechs)
                        else:
                            self.reply("250-STARTTLS")
                        self.reply("250 8BITMIME")
                    elif verb == "STARTTLS" and not self.tls:
                        self.reply("220 2.0.0 go ahead")
                        try:
                            conn = ctx.wrap_socket(self.connection,
                                                   server_side=True)
                        except (ssl.SSLError, OSError):
                            return  # the client did not trust us
                        self.connection = conn
                        self.rfile = conn.makefile("rb")
                        self.wfile = conn.makefile("wb")
                        self.tls = True
                    elif verb == "AUTH":
                        if not self.tls:
                            self.reply("538 5.7.11 encryption required")
                        else:
                            self.auth(words[1:])
                    elif verb == "MAIL":
                        if not self.tls:
                            self.reply("530 5.7.0 must issue STARTTLS")
                        elif not self.auth_user:
                            self.reply("530 5.7.0 authentication required")
                        else:
                            mail_from = cmd[10:].split(">")[0].lstrip(" <")
                            rcpts = []
                            self.reply("250 2.1.0 ok")
                    elif verb == "RCPT":
                        f = sink.fail
                        if f and f["stage"] == "rcpt":
                            self.reply("%d %s" % (f["code"], f["text"]))
                        elif mail_from is None:
                            self.reply("503 5.5.1 MAIL first")
                        else:
                            rcpts.append(cmd[8:].split(">")[0].lstrip(" <"))
                            self.reply("250 2.1.5 ok")
                    elif verb == "DATA":
                        if not rcpts:
                            self.reply("554 5.5.1 no valid recipients")
                            continue
                        self.reply("354 go ahead")
                        chunks = []
                        while True:
                            dl = self.rfile.readline(1 << 20)
                            if not dl:
                                return
                            if dl in (b".\r\n", b".\n"):
                                break
                            chunks.append(dl[1:] if dl.startswith(b".")
                                          else dl)
                        data = b"".join(chunks)
                        with sink.lock:
                            sink.messages.append({
                                "mail_from": mail_from, "rcpts": rcpts,
                                "data": data, "tls": self.tls,
                                "auth_user": self.auth_user,
                                "msg": email.message_from_bytes(
                                    data, policy=email.policy.default)})
                        mail_from, rcpts = None, []
                        self.reply("250 2.0.0 queued")
                    elif verb == "RSET":
                        mail_from, rcpts = None, []
                        self.reply("250 2.0.0 ok")
                    elif verb in ("NOOP", "HELO"):
                        self.reply("250 ok")
                    elif verb == "QUIT":
                        self.reply("221 2.0.0 bye")
                        return
                    else:
                        self.reply("502 5.5.2 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def url(self, password=PASSWORD, user=USER, scheme="smtp",
            query="?starttls"):
        from urllib.parse import quote
        auth = quote(user, safe="")
        if password is not None:
            auth += ":" + quote(password, safe="")
        return "%s://%s@127.0.0.1:%d%s" % (scheme, auth, self.port, query)

    def wait_count(self, n, timeout=10):
        wait_for(lambda: len(self.messages) >= n, timeout,
                 what="%d message(s) at the TLS relay" % n)
        return self.messages


@pytest.fixture
def cert():
    d = tempfile.mkdtemp(prefix="tame-relay-cert-")
    try:
        yield make_cert(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def relay(cert):
    s = TlsAuthSink(*cert)
    try:
        yield s
    finally:
        s.stop()


def add_mailbox(tame, relay_obj, address=OTHER, name="Sales Team"):
    body = {"address": address, "name": name}
    if relay_obj is not None:
        body["relay"] = relay_obj
    st, _, mb = tame.api("POST", "/api/v1/mailboxes", body)
    assert st == 201, (st, mb)
    return mb


def patch_relay(tame, mbid, relay_obj):
    st, _, mb = tame.api("PATCH", "/api/v1/mailboxes/%d" % mbid,
                         {"relay": relay_obj})
    assert st == 200, (st, mb)
    return mb


def ticket_for(tame, to, subject):
    tame.send_mail(make_message(to=to, subject=subject), rcpts=[to])
    return tame.wait_ticket(subject)["id"]


def delivery(tame, tid, mid):
    return tame.message(tid, mid)["delivery"]


def try_send(tame, mbid, to="someone@example.org"):
    return tame.api("POST", "/api/v1/mailboxes/%d/test-send" % mbid,
                    {"to": to}, timeout=40)


# ---------------------------------------------------------------- replies

def test_reply_goes_through_the_mailbox_relay_over_tls(tame, sink, relay,
                                                       cert):
    mb = add_mailbox(tame, {"url": relay.url(), "ca_file": cert[0]})
    r = mb["relay"]
    assert r["tls"] == "starttls" and r["port"] == relay.port
    assert r["user"] == USER and r["has_password"] is True
    assert r["url"] == relay.url(password=None)
    assert PASSWORD not in str(mb) and "w0rd" not in str(mb)
    # the password is sealed in the store, never there in clear
    db = (tame.data / "tame.db").read_bytes()
    assert PASSWORD.encode() not in db and b"w0rd" not in db

    tid = ticket_for(tame, OTHER, "Order question")
    out = tame.reply(tid, "Your order ships today.")
    got = relay.wait_count(1)[0]
    assert got["tls"] is True and got["auth_user"] == USER
    assert got["mail_from"] == OTHER
    assert got["rcpts"] == ["carol@example.org"]
    m = got["msg"]
    assert m["From"].addresses[0].addr_spec == OTHER
    assert m["From"].addresses[0].display_name == "Sales Team"
    assert "Your order ships today." in m.get_body(("plain",)).get_content()
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent",
             what="the reply marked sent")

    # the default mailbox has no relay: its reply goes to --relay
    tid2 = ticket_for(tame, MAILBOX, "Support question")
    tame.reply(tid2, "Support answer.")
    sink.wait_count(1)
    assert sink.messages[0]["msg"]["From"].addresses[0].addr_spec == MAILBOX
    settle(0.3)
    assert len(relay.messages) == 1 and len(sink.messages) == 1

    # relay null: back to --relay
    assert patch_relay(tame, mb["id"], None)["relay"] is None
    tame.reply(tid, "Second answer.")
    sink.wait_count(2)
    assert sink.messages[1]["mail_from"] == OTHER
    assert len(relay.messages) == 1


def test_wrong_password_shows_and_waits_until_fixed(tame, sink, relay, cert):
    mb = add_mailbox(tame, {"url": relay.url(password="not-it"),
                            "ca_file": cert[0]})
    tid = ticket_for(tame, OTHER, "Wrong password")
    out = tame.reply(tid, "Will it go?")
    d = wait_for(lambda: (lambda x: x if x["error"] else None)(
        delivery(tame, tid, out["id"])), what="the reply's error")
    assert d["state"] == "queued" and "login refused" in d["error"], d
    assert "not-it" not in d["error"]
    assert relay.logins and not relay.logins[0][1]
    st, _, ans = try_send(tame, mb["id"])
    assert st == 200 and ans["ok"] is False, ans
    assert ans["error"] == "login refused" and ans["relay"] == "mailbox"
    assert tame.alive()
    # the right password (a URL with a password replaces the stored one)
    patch_relay(tame, mb["id"], {"url": relay.url()})
    relay.wait_count(1, timeout=30)
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent",
             timeout=30, what="the reply sent after the fix")
    assert delivery(tame, tid, out["id"])["error"] is None
    assert sink.messages == []


def test_missing_key_file_is_named(tame, relay, cert):
    """A data directory restored without secret.key cannot open the
    relay password: the reply waits saying the key file is missing and
    what to do, not "I/O error"."""
    mb = add_mailbox(tame, {"url": relay.url(), "ca_file": cert[0]})
    (tame.data / "secret.key").unlink()
    tid = ticket_for(tame, OTHER, "Key gone")
    out = tame.reply(tid, "Will it go?")
    d = wait_for(lambda: (lambda x: x if x["error"] else None)(
        delivery(tame, tid, out["id"])), what="the reply's error")
    assert d["state"] == "queued", d
    assert "key file is missing" in d["error"], d
    assert "I/O error" not in d["error"]
    assert relay.messages == [] and mb["id"]


def test_key_made_by_root_belongs_to_the_directory_owner(tame_data):
    """`tame` run as root on a data directory another user owns (the one
    tamed runs as) makes secret.key theirs; a root-owned 0600 key was a
    key tamed could not read."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    os.chown(tame_data.data, 65534, 65534)
    tame_data.cli("mailbox", "set", "--address", MAILBOX, "--relay",
                  "smtp://user:secret@127.0.0.1:2525")
    st = (tame_data.data / "secret.key").stat()
    assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert st.st_mode & 0o777 == 0o600


def test_fixed_password_sends_at_once_not_after_the_back_off(tame, relay,
                                                             cert):
    """With the real back-off (a minute, doubling), a reply held by a
    refused login goes as soon as the password is fixed."""
    tame.stop()
    tame.start(env={"TAME_RETRY_BASE_MS": "60000"})
    mb = add_mailbox(tame, {"url": relay.url(password="not-it"),
                            "ca_file": cert[0]})
    tid = ticket_for(tame, OTHER, "Fixed soon")
    out = tame.reply(tid, "Goes once fixed.")
    wait_for(lambda: "login refused" in (delivery(tame, tid, out["id"])[
        "error"] or ""), what="the refused login shown")
    patch_relay(tame, mb["id"], {"url": relay.url()})
    relay.wait_count(1, timeout=15)
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent",
             timeout=10, what="the reply sent after the fix")


def test_self_signed_certificate_refused_unless_trusted(tame, relay, cert):
    mb = add_mailbox(tame, {"url": relay.url()})
    assert mb["relay"]["ca_file"] is None
    st, _, ans = try_send(tame, mb["id"])
    assert st == 200 and ans == {"ok": False, "relay": "mailbox",
                                 "error": "certificate not trusted",
                                 "detail": ans["detail"]}, ans
    tid = ticket_for(tame, OTHER, "Untrusted relay")
    out = tame.reply(tid, "Held back.")
    d = wait_for(lambda: (lambda x: x if x["error"] else None)(
        delivery(tame, tid, out["id"])), what="the reply's error")
    assert "certificate not trusted" in d["error"] and d["state"] == "queued"
    assert relay.messages == [] and relay.logins == []
    # trusted explicitly: the URL without password keeps the stored one
    mb = patch_relay(tame, mb["id"], {"url": relay.url(password=None),
                                      "ca_file": cert[0]})
    assert mb["relay"]["ca_file"] == cert[0]
    assert mb["relay"]["has_password"] is True
    st, _, ans = try_send(tame, mb["id"], "it@example.org")
    assert st == 200 and ans == {"ok": True, "relay": "mailbox"}, ans
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent",
             timeout=30, what="the held reply sent once trusted")
    test_mail = [m for m in relay.messages if m["rcpts"] ==
                 ["it@example.org"]]
    assert len(test_mail) == 1 and test_mail[0]["tls"]
    assert test_mail[0]["msg"]["From"].addresses[0].addr_spec == OTHER


def test_implicit_tls_and_no_starttls(tame, relay, cert):
    # smtps:// to a server that speaks plain SMTP first: a TLS failure
    mb = add_mailbox(tame, {"url": relay.url(scheme="smtps", query=""),
                            "ca_file": cert[0]})
    assert mb["relay"]["tls"] == "smtps"
    st, _, ans = try_send(tame, mb["id"])
    assert ans["ok"] is False and ans["error"] in (
        "TLS handshake failed", "the relay closed the connection",
        "sending failed"), ans
    # starttls false: plain text, and the relay will not take mail so
    mb = patch_relay(tame, mb["id"], {"url": relay.url(query=""),
                                      "starttls": False})
    assert mb["relay"]["tls"] == "none"
    st, _, ans = try_send(tame, mb["id"])
    assert ans["ok"] is False and ans["error"] == "the relay wants a login"
    # starttls true: works beside a URL without ?starttls; alone, it
    # changes the TLS mode the stored password was given for
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mb["id"],
                           {"relay": {"starttls": True}})
    assert st == 400 and "needs its password" in body["error"]["message"]
    mb = patch_relay(tame, mb["id"], {"url": relay.url(query=""),
                                      "starttls": True})
    assert mb["relay"]["tls"] == "starttls"
    st, _, ans = try_send(tame, mb["id"])
    assert ans == {"ok": True, "relay": "mailbox"}, ans


def test_auth_login_when_plain_is_not_offered(tame, cert):
    only_login = TlsAuthSink(*cert, mechs="LOGIN")
    try:
        mb = add_mailbox(tame, {"url": only_login.url(), "ca_file": cert[0]})
        st, _, ans = try_send(tame, mb["id"])
        assert ans == {"ok": True, "relay": "mailbox"}, ans
        got = only_login.wait_count(1)[0]
        assert got["auth_user"] == USER and got["tls"]
    finally:
        only_login.stop()


# ---------------------------------------------------------------- the mail

def test_reply_mail_from_signature_and_html(tame, sink):
    mbid = tame.mailbox_id()
    st, _, mb = tame.api("PATCH", "/api/v1/mailboxes/%d" % mbid,
                         {"signature": "The Support Team\nhttps://help.example.com"})
    assert st == 200 and mb["signature"].startswith("The Support Team"), mb
    tid = ticket_for(tame, MAILBOX, "Formatting")
    out = tame.reply(tid, "Please **restart** the app:\n- close it\n"
                     "- open it *again*\n")
    assert out["text"].endswith("https://help.example.com")
    m = sink.wait_count(1)[0]["msg"]
    assert m["From"].addresses[0].display_name == "Support"
    assert m["From"].addresses[0].addr_spec == MAILBOX
    assert m.get_content_type() == "multipart/alternative"
    plain = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = m.get_body(("html",)).get_content()
    assert plain.startswith("Please **restart** the app:\n- close it\n")
    assert plain.rstrip().endswith("*again*\n\nThe Support Team\n"
                                   "https://help.example.com")
    assert "<strong>restart</strong>" in html
    assert "<li>close it</li>" in html and "<em>again</em>" in html
    assert '<a href="https://help.example.com">' in html
    # no formatting: plain text only, still signed
    tame.reply(tid, "Thanks for waiting.")
    m = sink.wait_count(2)[1]["msg"]
    assert m.get_content_type() == "text/plain"
    assert "The Support Team" in m.get_content()
    # "" removes the signature
    st, _, mb = tame.api("PATCH", "/api/v1/mailboxes/%d" % mbid,
                         {"signature": ""})
    assert st == 200 and mb["signature"] is None
    tame.reply(tid, "Unsigned.")
    m = sink.wait_count(3)[2]["msg"]
    assert "Support Team" not in m.get_content()


# ---------------------------------------------------------------- test-send

def test_test_send_answers(tame, sink, relay, cert):
    # no relay of its own: the global one
    default = tame.mailbox_id()
    st, _, ans = try_send(tame, default, "boss@example.org")
    assert st == 200 and ans == {"ok": True, "relay": "global"}, ans
    sink.wait_count(1)
    m = sink.messages[0]
    assert m["rcpts"] == ["boss@example.org"]
    assert m["msg"]["From"].addresses[0].addr_spec == MAILBOX
    assert "test" in m["msg"]["Subject"].lower()

    mb = add_mailbox(tame, {"url": relay.url(), "ca_file": cert[0]})
    relay.fail = {"stage": "rcpt", "code": 550, "text": "5.1.1 no such user"}
    st, _, ans = try_send(tame, mb["id"])
    assert ans["ok"] is False
    assert ans["error"] == "relay refused the recipient", ans
    assert "550" in ans["detail"]
    relay.fail = None

    # nobody listens
    closed = free_port()
    patch_relay(tame, mb["id"], {"url": "smtp://127.0.0.1:%d" % closed})
    st, _, ans = try_send(tame, mb["id"])
    assert ans["ok"] is False and ans["error"] == "connection refused", ans

    # bad requests
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test-send"
                           % mb["id"], {"to": "not an address"})
    assert_error(st, body, 400)
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test-send"
                           % mb["id"], {})
    assert_error(st, body, 400)
    st, _, body = tame.api("POST", "/api/v1/mailboxes/9999/test-send",
                           {"to": "a@example.org"})
    assert_error(st, body, 404)
    _, tok = tame.add_agent("agent@example.com")
    st, _, body = tame.api("POST", "/api/v1/mailboxes/%d/test-send"
                           % mb["id"], {"to": "a@example.org"}, token=tok)
    assert_error(st, body, 403)
    # an agent sees the relay without its password, too
    st, _, got = tame.api("GET", "/api/v1/mailboxes/%d" % mb["id"],
                          token=tok)
    assert st == 200 and "password" not in got["relay"]


def test_test_send_without_any_relay(tame_data):
    tame_data.start(relay=False)
    st, _, body = try_send(tame_data, tame_data.mailbox_id())
    assert assert_error(st, body, 409)["code"] == "conflict"


def test_relay_fields_checked(tame, relay):
    for bad, code in (({"url": "http://x.example.com"}, "invalid_field"),
                      ({"url": relay.url(password=None)}, "invalid_field"),
                      ({"starttls": True}, "missing_field"),
                      ({"url": relay.url(), "ca_file": "rel.pem"},
                       "invalid_field"),
                      ({"url": relay.url(), "pass": "x"}, "unknown_field"),
                      # starttls may not contradict the URL given with it
                      ({"url": relay.url(query="?starttls"),
                        "starttls": False}, "invalid_field"),
                      ({"url": relay.url(scheme="smtps", query=""),
                        "starttls": True}, "invalid_field"),
                      ("smtp://x", "invalid_field")):
        st, _, body = tame.api("POST", "/api/v1/mailboxes",
                               {"address": "x@example.com", "name": "X",
                                "relay": bad})
        assert assert_error(st, body, 400)["code"] == code, (bad, body)
    # a URL over the limit is named as too long, not as the wrong type
    st, _, body = tame.api("POST", "/api/v1/mailboxes", {
        "address": "x@example.com", "name": "X",
        "relay": {"url": "smtp://" + "h" * 3000 + ":25"}})
    assert "longer than" in assert_error(st, body, 400)["message"]
    # nothing was created
    st, _, body = tame.api("GET", "/api/v1/mailboxes")
    assert [m["address"] for m in body["mailboxes"]] == [MAILBOX]
    # a bad relay in a PATCH changes nothing else either
    mbid = tame.mailbox_id()
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mbid,
                           {"name": "Renamed", "relay": {"url": "ftp://x"}})
    assert_error(st, body, 400)
    assert tame.get("/api/v1/mailboxes/%d" % mbid)["name"] == "Support"


def test_stored_password_goes_to_no_other_server(tame, sink, relay, cert):
    """A relay URL without a password keeps the stored one only for the
    same TLS mode, host, port and user: the same user at another server,
    or the same server without TLS, would otherwise get the password,
    perhaps in clear."""
    from urllib.parse import quote
    mb = add_mailbox(tame, {"url": relay.url(), "ca_file": cert[0]})
    user = quote(USER, safe="")
    for url in ("smtp://%s@127.0.0.1:%d?starttls" % (user, sink.port),
                "smtp://%s@127.0.0.1:%d" % (user, relay.port),
                "smtps://%s@127.0.0.1:%d" % (user, relay.port),
                "smtp://%s@localhost:%d?starttls" % (user, relay.port)):
        st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mb["id"],
                               {"relay": {"url": url}})
        assert st == 400, (url, body)
        assert "needs its password" in body["error"]["message"], body
    # dropping STARTTLS without the URL is the same change
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mb["id"],
                           {"relay": {"starttls": False}})
    assert st == 400 and "needs its password" in body["error"]["message"], \
        body
    r = tame.cli("mailbox", "set", "--address", OTHER, "--relay",
                 "smtp://%s@127.0.0.1:%d?starttls" % (user, sink.port),
                 check=False)
    assert r.returncode == 65 and "needs its password" in r.err, r
    got = tame.get("/api/v1/mailboxes/%d" % mb["id"])["relay"]
    assert got["port"] == relay.port and got["tls"] == "starttls", got
    # the URL as shown keeps it
    assert patch_relay(tame, mb["id"], {"url": relay.url(password=None)})[
        "relay"]["has_password"] is True
    tid = ticket_for(tame, OTHER, "Still the right relay")
    tame.reply(tid, "Answer.")
    assert relay.wait_count(1)[0]["auth_user"] == USER
    assert not [c for c in sink.commands if c.upper().startswith("AUTH")]


def test_login_in_clear_to_another_machine_is_refused(tame, relay):
    """A mailbox relay that would send its password in clear over a
    network is refused when it is set: plain smtp:// with a login is for
    a relay on this machine."""
    for url in ("smtp://u:pw@smtp.example.com:25",
                "smtp://u:pw@192.0.2.7:587"):
        st, _, body = tame.api("POST", "/api/v1/mailboxes", {
            "address": "clear@example.com", "name": "Clear",
            "relay": {"url": url}})
        assert st == 400 and "needs TLS" in body["error"]["message"], body
        r = tame.cli("mailbox", "add", "--address", "clear@example.com",
                     "--name", "Clear", "--relay", url, check=False)
        assert r.returncode == 65 and "needs TLS" in r.err, r
    assert "clear@example.com" not in str(tame.get("/api/v1/mailboxes"))
    mb = add_mailbox(tame, {"url": "smtp://u:pw@smtp.example.com:25",
                            "starttls": True})
    assert mb["relay"]["tls"] == "starttls"
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mb["id"], {
        "relay": {"url": "smtp://u:pw@smtp.example.com:25",
                  "starttls": False}})
    assert st == 400 and "needs TLS" in body["error"]["message"], body
    # on this machine, and without a login, plain text is fine
    add_mailbox(tame, {"url": "smtp://u:pw@localhost:%d" % relay.port},
                address="near@example.com")
    add_mailbox(tame, {"url": "smtp://smtp.example.com:25"},
                address="nologin@example.com")


# ---------------------------------------------------------------- CLI

def test_cli_sets_and_removes_the_relay(tame, sink, relay, cert):
    r = tame.cli("mailbox", "add", "--address", OTHER, "--name", "Sales",
                 "--relay", relay.url(), "--relay-ca", cert[0])
    mbid = int(r.out.strip())
    got = tame.get("/api/v1/mailboxes/%d" % mbid)["relay"]
    assert got["user"] == USER and got["ca_file"] == os.path.realpath(
        cert[0]) and got["tls"] == "starttls"
    tid = ticket_for(tame, OTHER, "From the CLI")
    tame.reply(tid, "Answer.")
    assert relay.wait_count(1)[0]["auth_user"] == USER
    # bad URL: nothing created
    r = tame.cli("mailbox", "add", "--address", "bad@example.com", "--relay",
                 "smtp://u@127.0.0.1:1", check=False)
    assert r.returncode == 65 and "password" in r.err
    assert "bad@example.com" not in str(tame.get("/api/v1/mailboxes"))
    # set: new user needs a password; --no-relay goes back to --relay
    r = tame.cli("mailbox", "set", "--address", OTHER, "--relay",
                 relay.url(user="else", password=None), check=False)
    assert r.returncode == 65
    tame.cli("mailbox", "set", "--address", OTHER, "--no-relay",
             "--name", "Sales Desk")
    mb = tame.get("/api/v1/mailboxes/%d" % mbid)
    assert mb["relay"] is None and mb["name"] == "Sales Desk"
    tame.reply(tid, "Second.")
    sink.wait_count(1)
    assert len(relay.messages) == 1


def test_cli_takes_the_relay_password_on_stdin(tame, sink, relay, cert):
    """--password-stdin: the first line of stdin is the relay's password,
    which the URL (and so the process list) leaves out."""
    r = tame.cli("mailbox", "add", "--address", OTHER, "--name", "Sales",
                 "--relay", relay.url(password=None), "--relay-ca", cert[0],
                 "--password-stdin", stdin=(PASSWORD + "\n").encode())
    mbid = int(r.out.strip())
    assert tame.get("/api/v1/mailboxes/%d" % mbid)["relay"][
        "has_password"] is True
    tid = ticket_for(tame, OTHER, "Password on stdin")
    tame.reply(tid, "Answer.")
    assert relay.wait_count(1)[0]["auth_user"] == USER
    # one URL at a time, and not a password in both places
    r = tame.cli("mailbox", "set", "--address", OTHER, "--relay",
                 relay.url(password=None), "--imap",
                 "imaps://joe@127.0.0.1:1/INBOX", "--password-stdin",
                 stdin=b"x\n", check=False)
    assert r.returncode == 64 and "one URL" in r.err, r
    r = tame.cli("mailbox", "set", "--address", OTHER, "--relay",
                 relay.url(), "--password-stdin", stdin=b"x\n", check=False)
    assert r.returncode == 64 and "not both" in r.err, r
    r = tame.cli("mailbox", "set", "--address", OTHER, "--password-stdin",
                 stdin=b"x\n", check=False)
    assert r.returncode == 64 and "one URL" in r.err, r
    # a new one replaces the stored one: here a wrong one, refused
    tame.cli("mailbox", "set", "--address", OTHER, "--relay",
             relay.url(password=None), "--password-stdin", stdin=b"not-it\n")
    out = tame.reply(tid, "Second.")
    d = wait_for(lambda: (lambda x: x if x["error"] else None)(
        delivery(tame, tid, out["id"])), what="the reply's error")
    assert "login refused" in d["error"], d
    assert len(relay.messages) == 1
    # another server: its password on stdin too, not in the URL
    from urllib.parse import quote
    tame.cli("mailbox", "set", "--address", OTHER, "--relay",
             "smtp://%s@127.0.0.1:%d?starttls" % (quote(USER, safe=""),
                                                  sink.port),
             "--password-stdin", stdin=b"another-one\n")
    got = tame.get("/api/v1/mailboxes/%d" % mbid)["relay"]
    assert got["port"] == sink.port and got["has_password"] is True, got


class SilentServer:
    """Takes every connection and never says a word: a relay or IMAP
    server that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def hang_up(self):
        for c in self.conns:
            c.close()
        self.conns = []

    def close(self):
        self.hang_up()
        self.sock.close()


def test_hanging_tests_leave_the_api_answering(tame_data):
    """A connection test against a server that never answers waits up to
    15-20 s, on a thread of its own: with tests waiting on every one of
    tamed's two HTTP threads' worth and more, every other request is
    answered at once, and the tests answer when the server hangs up.
    Before, each waiting test held an HTTP thread, and requests handed
    to it waited too. SIGTERM during a test still stops tamed at once."""
    tame_data.start(env={"TAME_HTTP_THREADS": "2"})
    silent = SilentServer()
    try:
        mb = add_mailbox(tame_data, {"url": "smtp://127.0.0.1:%d"
                                     % silent.port})
        st, _, box = tame_data.api("POST", "/api/v1/mailboxes", {
            "address": "imap@example.com", "name": "Imap",
            "imap": {"url": "imap://joe:pw@127.0.0.1:%d/INBOX"
                     % silent.port}})
        assert st == 201, box
        answers = []
        calls = [lambda: try_send(tame_data, mb["id"])] * 3 + [
            lambda: tame_data.api("POST", "/api/v1/mailboxes/%d/test"
                                  % box["id"])]
        threads = [threading.Thread(target=lambda f=f: answers.append(f()))
                   for f in calls]
        for t in threads:
            t.start()
        wait_for(lambda: len(silent.conns) >= 4, 10,
                 what="the tests waiting on the silent server")
        t0 = time.monotonic()
        for _ in range(20):     # new connections land on every thread
            st, _, _ = tame_data.api("GET", "/api/v1/health", token=None)
            assert st == 200
        assert tame_data.tickets() == []
        assert time.monotonic() - t0 < 5, "the API waited on the tests"
        assert answers == []
        silent.hang_up()
        for t in threads:
            t.join(30)
        assert len(answers) == 4, answers
        for st, _, body in answers:
            assert st == 200 and body["ok"] is False, body
        # a test waiting when tamed is told to stop does not hold it up
        # (its client gets "tamed is stopping" or a closed connection)
        def late_send():
            try:
                try_send(tame_data, mb["id"])
            except (http.client.HTTPException, OSError):
                pass
        late = threading.Thread(target=late_send)
        late.start()
        wait_for(lambda: len(silent.conns) >= 1, 10, what="the late test")
        t0 = time.monotonic()
        assert tame_data.stop() == 0
        assert time.monotonic() - t0 < 5
        late.join(30)
    finally:
        silent.close()


def test_a_relay_that_never_answers_holds_up_no_other_mailbox(tame, sink):
    """A mailbox relay that takes the connection and never greets costs
    its first reply the connect timeout (30 s); its other replies are
    then put off for a while without a try, so another mailbox's reply
    goes right after, not after 30 s more for each of them."""
    silent = SilentServer()
    try:
        add_mailbox(tame, {"url": "smtp://127.0.0.1:%d" % silent.port})
        stuck = [ticket_for(tame, OTHER, "Stuck %d" % i) for i in range(3)]
        outs = [tame.reply(t, "Waits for a silent relay.") for t in stuck]
        tid = ticket_for(tame, MAILBOX, "Not stuck")
        t0 = time.monotonic()
        tame.reply(tid, "Goes through the global relay.")
        sink.wait_count(1, timeout=50)
        assert time.monotonic() - t0 < 45
        put_off = [delivery(tame, t, o["id"]) for t, o in zip(stuck, outs)]
        assert all(d["state"] == "queued" for d in put_off), put_off
        assert any("not tried" in (d["error"] or "") for d in put_off), \
            put_off
        assert "did not answer" in str(put_off), put_off
    finally:
        silent.close()
