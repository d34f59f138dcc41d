"""Fixtures for the black-box tests: a real tamed on loopback, real clients.

Every test gets its own data directory, its own ports and its own tamed
(started by the `tame` fixture, always stopped afterwards). The daemon's
stderr goes to a log file in the data directory; when a test fails the
log is attached to the report. Outgoing mail goes to an SMTP sink written
here (socketserver), which records what it is given and can be told to
refuse.

TAME_BUILD (default "build") names the directory holding `tamed` and
`tame`, relative to the repository root unless absolute.
"""

import contextlib
import email
import email.policy
import email.utils
import http.client
import json
import os
import random
import shutil
import signal
import smtplib
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TAME_BUILD", "build"))
if not BUILD.is_absolute():
    BUILD = ROOT / BUILD
TAMED = BUILD / "tamed"
TAME = BUILD / "tame"

# Sanitizer builds are several times slower: every wait is scaled.
SLOW = 4 if "asan" in str(BUILD) else 1

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
MAILBOX = "support@example.com"
RETRY_BASE_MS = 200

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "ERROR: UndefinedBehaviorSanitizer",
                   # store_settle(): a request left a statement running
                   # or a transaction open (stale reads after it)
                   "after a request")


# ---------------------------------------------------------------- helpers

_GIVEN_PORTS = set()


def port_span():
    """Where to take ports to hand to a server started later: from 15000
    up to the kernel's ephemeral range (ip_local_port_range), or above
    it when it starts lower; (0, 0) when there is no room (any port)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split()[:2])
    except (OSError, ValueError):
        lo, hi = 32768, 60999
    if lo > 16000:
        return 15000, lo
    if hi < 64000:
        return hi + 1, 65536
    return 0, 0


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now and that
    this run has not handed out before (two calls in a row may otherwise
    get the same one). It is taken outside the kernel's ephemeral range:
    a port from that range, free when asked, was once the source port of
    some client's connection by the time tamed bound it ("Address
    already in use")."""
    lo, hi = port_span()
    while True:
        port = random.randrange(lo, hi) if hi else 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = s.getsockname()[1]
        if port not in _GIVEN_PORTS:
            _GIVEN_PORTS.add(port)
            return port


def wait_for(predicate, timeout=10.0, interval=0.05, what=None):
    """Calls predicate until it returns something truthy and returns that;
    fails the test after timeout seconds (scaled for sanitizer builds)."""
    deadline = time.monotonic() + timeout * SLOW
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s "
                                 "(last value %r)" % (timeout * SLOW,
                                                      what or predicate,
                                                      last))
        time.sleep(interval)


def settle(seconds):
    """Waits for something that must NOT happen (a second send, an ack)
    to have had its chance. Sanitizer builds get twice the time."""
    time.sleep(seconds * (2 if SLOW > 1 else 1))


def new_msgid(domain="example.org"):
    return "<%s@%s>" % (uuid.uuid4().hex, domain)


def make_message(sender="Carol Customer <carol@example.org>", to=MAILBOX,
                 subject="Hello", text="Hello there.\n", message_id=None,
                 headers=None, attachments=(), html=None):
    """An EmailMessage as a mail client would write it. attachments are
    (filename, content_type, bytes) tuples."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate(localtime=False)
    if message_id is not False:
        m["Message-ID"] = message_id or new_msgid()
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(text)
    if html is not None:
        m.add_alternative(html, subtype="html")
    for fn, ctype, data in attachments:
        maintype, subtype = ctype.split("/", 1)
        m.add_attachment(data, maintype=maintype, subtype=subtype,
                         filename=fn)
    return m


def strip_angle(mid):
    return (mid or "").strip().strip("<>")


class CliResult:
    def __init__(self, cp):
        self.returncode = cp.returncode
        self.stdout = cp.stdout
        self.stderr = cp.stderr

    @property
    def out(self):
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self):
        return self.stderr.decode("utf-8", "replace")

    def __repr__(self):
        return "<tame exit %d stdout=%r stderr=%r>" % (
            self.returncode, self.out[-2000:], self.err[-2000:])


def raw_session(port, timeout=10):
    """A plain socket to the SMTP port, its reader, and reply(), which
    reads one whole reply (all its lines) and answers its last line as
    bytes, for tests that must control how the bytes are split."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")

    def reply():
        while True:
            ln = f.readline()
            if not ln or ln[3:4] != b"-":
                return ln
    return s, f, reply


def smtp_envelope(s, reply, sender):
    """MAIL FROM sender, RCPT TO MAILBOX and DATA in a raw_session, each
    answered as it should be, up to DATA's 354."""
    for cmd, code in ((b"MAIL FROM:<" + sender + b">", b"250"),
                      (b"RCPT TO:<%s>" % MAILBOX.encode(), b"250"),
                      (b"DATA", b"354")):
        s.sendall(cmd + b"\r\n")
        assert reply().startswith(code), cmd


def smtp_to_data(s, reply, helo, sender):
    """Takes a raw_session from its greeting to DATA's 354 (to MAILBOX),
    for a test that then writes the message's bytes itself."""
    assert reply().startswith(b"220")
    s.sendall(b"EHLO " + helo + b"\r\n")
    assert reply().startswith(b"250")
    smtp_envelope(s, reply, sender)


@contextlib.contextmanager
def small_fs(tmp_path, size):
    """A tmpfs of size ("3m") at tmp_path/small, for a disk that fills;
    unmounted afterwards. Only root can mount one: the test is skipped
    otherwise."""
    small = tmp_path / "small"
    small.mkdir()
    if os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs",
             str(small)], stderr=subprocess.DEVNULL).returncode != 0:
        pytest.skip("cannot mount a small file system here")
    try:
        yield small
    finally:
        subprocess.run(["umount", "-l", str(small)])


def fill(path):
    """Writes path until the disk is full, to its last byte."""
    with open(path, "ab", buffering=0) as f:
        for chunk in (65536, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass


@contextlib.contextmanager
def tame_on_small_fs(tmp_path, size):
    """A tamed set up and started with its data directory on a small_fs
    of size (tame.dir), for a disk that fills or turns read-only; then
    stopped, with no bad exit and no sanitizer report in its log, which
    stays readable as tame.final_log once the file system is gone."""
    with small_fs(tmp_path, size) as small:
        tame = Tame(small)
        try:
            tame.setup()
            tame.start()
            yield tame
        finally:
            tame.stop()
            tame.final_log = tame.log_text()
    assert not tame.bad_exits and not [m for m in SANITIZER_MARKS
                                       if m in tame.final_log], \
        tame.final_log[-4000:]


SYNC_SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fdatasync() of the store's WAL by tamed's ingest syncer thread fails
 * with EIO once each time the file TAME_TEST_FAILSYNC names exists (it
 * is removed then), and waits TAME_TEST_SLOWSYNC_S seconds first while
 * the file TAME_TEST_SLOWSYNC names exists. */
int
fdatasync(int fd)
{
	static int (*real)(int);
	const char *fail = getenv("TAME_TEST_FAILSYNC");
	const char *slow = getenv("TAME_TEST_SLOWSYNC");
	const char *secs = getenv("TAME_TEST_SLOWSYNC_S");
	char name[16], link[64], path[PATH_MAX];
	ssize_t n;

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0 ||
	    strcmp(name, "ingest-sync") != 0)
		return real(fd);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 4 || memcmp(path + n - 4, "-wal", 4) != 0)
		return real(fd);
	if (fail && unlink(fail) == 0) {
		errno = EIO;
		return -1;
	}
	if (slow && secs && access(slow, F_OK) == 0)
		sleep((unsigned)atoi(secs));
	return real(fd);
}
"""


def sync_shim(tmp_path, **env):
    """The environment that starts tamed with SYNC_SHIM_C preloaded (a
    disk whose sync fails or is slow, when the tests say so), with env
    added (TAME_TEST_FAILSYNC=FILE, ...). Built with cc here; the test
    is skipped where there is none."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler to build the fdatasync shim")
    src, so = tmp_path / "syncshim.c", tmp_path / "syncshim.so"
    src.write_text(SYNC_SHIM_C)
    cp = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(so),
                         str(src), "-ldl", "-pthread"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if cp.returncode != 0:
        pytest.skip("cannot build the fdatasync shim: %s" %
                    cp.stdout.decode("utf-8", "replace")[-500:])
    e = {"LD_PRELOAD": str(so),
         # a sanitizer build wants its runtime first; the shim only
         # wraps one libc function
         "ASAN_OPTIONS": ":".join(filter(None, [
             os.environ.get("ASAN_OPTIONS"),
             "verify_asan_link_order=0"]))}
    e.update({k: str(v) for k, v in env.items()})
    return e


def run_tame(data, *args, stdin=b"", check=True, timeout=120):
    """Runs `tame --data DATA ARGS...`; returns a CliResult. With check,
    a non-zero exit fails the test. Sanitizer reports always fail it."""
    cp = subprocess.run([str(TAME), "--data", str(data)] + [str(a) for a
                        in args], input=stdin, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=timeout * SLOW)
    r = CliResult(cp)
    for mark in SANITIZER_MARKS:
        assert mark not in r.err, "sanitizer report from tame %s:\n%s" % (
            " ".join(map(str, args)), r.err)
    if check:
        assert r.returncode == 0, "tame %s failed: %r" % (
            " ".join(map(str, args)), r)
    return r


# ---------------------------------------------------------------- HTTP

class Api:
    """A small http.client wrapper. call() answers (status, headers,
    body) where body is the parsed JSON when the answer says JSON, else
    bytes. headers is an http.client.HTTPMessage (case-insensitive)."""

    def __init__(self, port, token=None):
        self.port = port
        self.token = token

    def call(self, method, path, body=None, token="default", headers=None,
             raw=None, content_type="application/json", timeout=30):
        if token == "default":
            token = self.token
        h = {}
        data = None
        if raw is not None:
            data = raw
            if content_type:
                h["Content-Type"] = content_type
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = content_type
        if token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout * SLOW)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            ctype = resp.getheader("Content-Type", "")
            if "json" in ctype and payload:
                try:
                    payload = json.loads(payload)
                except ValueError:
                    pass
            return resp.status, resp.msg, payload
        finally:
            conn.close()


def assert_error(status, body, expect_status=None):
    """The shape every API error has: {"error":{"code","message"}}."""
    if expect_status is not None:
        if isinstance(expect_status, int):
            assert status == expect_status, (status, body)
        else:
            assert status in expect_status, (status, body)
    assert isinstance(body, dict), "error body is not JSON: %r" % (body,)
    err = body.get("error")
    assert isinstance(err, dict), body
    assert isinstance(err.get("code"), str) and err["code"], body
    assert isinstance(err.get("message"), str) and err["message"], body
    return err


# ---------------------------------------------------------------- the daemon

class Tame:
    """One data directory, its ports, and (when started) one tamed."""

    def __init__(self, tmp):
        self.dir = Path(tmp)
        self.data = self.dir / "data"
        self.log_path = self.dir / "tamed.log"
        self.http_port = free_port()
        self.smtp_port = free_port()
        self.lmtp_port = free_port()
        self.relay_port = free_port()
        self.proc = None
        self.token = None
        self.admin_id = None
        self.api_client = Api(self.http_port)
        self.sanitizer_reports = []
        self.bad_exits = []

    # -- setup through the CLI
    def cli(self, *args, **kw):
        return run_tame(self.data, *args, **kw)

    def setup(self):
        r = self.cli("user", "add", "--email", ADMIN_EMAIL, "--name",
                     "Ada Admin", "--role", "admin", "--password-stdin",
                     stdin=(ADMIN_PASSWORD + "\n").encode())
        ids = [w for w in r.out.split() if w.isdigit()]
        self.admin_id = int(ids[-1]) if ids else None
        r = self.cli("token", "add", "--email", ADMIN_EMAIL)
        self.token = r.out.strip()
        assert self.token and len(self.token.split()) == 1, r
        self.api_client.token = self.token
        self.cli("mailbox", "add", "--address", MAILBOX, "--name", "Support")

    def add_agent(self, email_addr, role="agent", password="agent-password-1"):
        """Creates an agent through the CLI; answers (id, token)."""
        r = self.cli("user", "add", "--email", email_addr, "--name",
                     "Agent " + email_addr.split("@")[0], "--role", role,
                     "--password-stdin", stdin=(password + "\n").encode())
        ids = [w for w in r.out.split() if w.isdigit()]
        tok = self.cli("token", "add", "--email", email_addr).out.strip()
        return (int(ids[-1]) if ids else None), tok

    # -- the daemon
    def start(self, relay=True, env=None, wait=True, preexec_fn=None,
              args=()):
        """Starts tamed, with args after its usual ones; preexec_fn runs
        in the child before it (to set resource limits, say)."""
        extra = list(args)
        assert self.proc is None or self.proc.poll() is not None
        args = [str(TAMED), "--data", str(self.data),
                "--http", "127.0.0.1:%d" % self.http_port,
                "--smtp", "127.0.0.1:%d" % self.smtp_port,
                "--lmtp", "127.0.0.1:%d" % self.lmtp_port]
        if relay:
            args += ["--relay", "smtp://127.0.0.1:%d" % self.relay_port]
        args += extra
        e = dict(os.environ)
        e.setdefault("TAME_RETRY_BASE_MS", str(RETRY_BASE_MS))
        e.update(env or {})
        log = open(self.log_path, "ab")
        log.write(("\n==== start %s\n" % " ".join(args)).encode())
        log.flush()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log, env=e,
                                     preexec_fn=preexec_fn)
        log.close()
        if wait:
            self.wait_ready()
        return self.proc

    def wait_ready(self, timeout=20):
        def ready():
            assert self.proc.poll() is None, (
                "tamed exited with %s during start-up:\n%s" % (
                    self.proc.returncode, self.log_tail()))
            try:
                st, _, body = self.api_client.call("GET", "/api/v1/health",
                                                   token=None, timeout=2)
                return st == 200
            except OSError:
                return False
        wait_for(ready, timeout, what="GET /api/v1/health to answer 200")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops tamed: sig (SIGTERM) by PID, then SIGKILL if it does not
        go. Answers the exit status. A SIGTERM stop must exit 0."""
        p = self.proc
        if p is None or p.poll() is not None:
            return p.returncode if p else None
        p.send_signal(sig)
        try:
            rc = p.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
            self.bad_exits.append("tamed did not stop within %ss of "
                                  "signal %d" % (timeout * SLOW, sig))
            return rc
        if sig == signal.SIGTERM and rc != 0:
            self.bad_exits.append("tamed exited %d after SIGTERM" % rc)
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def restart(self, **kw):
        self.stop()
        self.start(**kw)

    def restart_mid_request(self, ago_ms=600000, kill=False):
        """Stops tamed (SIGTERM, or SIGKILL with kill) and starts it
        again as if it had stopped before answering the requests made
        under an Idempotency-Key: their claims unanswered, made ago_ms
        earlier."""
        import sqlite3
        if kill:
            self.kill9()
        else:
            assert self.stop() == 0
        db = sqlite3.connect(str(self.data / "tame.db"))
        db.execute("UPDATE idempotency SET state = 0, body = NULL,"
                   " claimed_at = claimed_at - ?", (ago_ms,))
        db.commit()
        db.close()
        self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=20000):
        return self.log_text()[-n:]

    # -- HTTP
    def api(self, method, path, body=None, **kw):
        return self.api_client.call(method, path, body, **kw)

    def get(self, path, **kw):
        st, h, body = self.api("GET", path, **kw)
        assert st == 200, "GET %s -> %d %r" % (path, st, body)
        return body

    def tickets(self, status="any", q=None, limit=500):
        """Every ticket of the list, following next_cursor."""
        out, cursor, pages = [], None, 0
        while True:
            qs = "status=%s&limit=%d" % (status, limit)
            if q is not None:
                qs += "&q=" + urlquote(q)
            if cursor:
                qs += "&cursor=" + urlquote(cursor)
            body = self.get("/api/v1/tickets?" + qs)
            out += body["tickets"]
            cursor = body.get("next_cursor")
            pages += 1
            assert pages < 10000
            if not cursor:
                return out

    def ticket(self, tid):
        return self.get("/api/v1/tickets/%d" % tid)["ticket"]

    def tickets_with_subject(self, subject):
        return [t for t in self.tickets() if t["subject"] == subject]

    def wait_ticket(self, subject, timeout=10):
        """The one ticket whose subject is subject, once it exists."""
        found = wait_for(lambda: self.tickets_with_subject(subject),
                         timeout, what="a ticket %r" % subject)
        assert len(found) == 1, found
        return found[0]

    def mailbox_id(self, address=MAILBOX):
        for mb in self.get("/api/v1/mailboxes")["mailboxes"]:
            if mb["address"] == address:
                return mb["id"]
        raise AssertionError("no mailbox %s" % address)

    def reply(self, tid, text, **extra):
        body = {"text": text}
        body.update(extra)
        st, _, ans = self.api("POST", "/api/v1/tickets/%d/replies" % tid,
                              body)
        assert st == 201, (st, ans)
        return ans["message"]

    def message(self, tid, mid):
        for m in self.ticket(tid)["messages"]:
            if m["id"] == mid:
                return m
        raise AssertionError("no message %s in ticket %s" % (mid, tid))

    # -- SMTP
    def smtp(self, timeout=30):
        return smtplib.SMTP("127.0.0.1", self.smtp_port,
                            timeout=timeout * SLOW)

    def send_mail(self, msg=None, mail_from=None, rcpts=None, **kw):
        """Sends an EmailMessage (or builds one from kw with make_message)
        and answers it; smtplib raises if it is not accepted."""
        if msg is None:
            msg = make_message(**kw)
        if mail_from is None:
            mail_from = email.utils.parseaddr(str(msg["From"]))[1]
        if rcpts is None:
            rcpts = [MAILBOX]
        with self.smtp() as s:
            s.send_message(msg, from_addr=mail_from, to_addrs=rcpts)
        return msg

    def send_raw(self, raw, mail_from="carol@example.org", rcpts=(MAILBOX,)):
        """Sends raw bytes as the message; answers smtplib's refusals dict
        (empty when every recipient took it)."""
        with self.smtp() as s:
            return s.sendmail(mail_from, list(rcpts), raw)


def urlquote(s):
    from urllib.parse import quote
    return quote(s, safe="")


class EventStream:
    """GET /api/v1/events on a socket of its own, with headers (a
    session cookie, a bearer token), read in a thread."""

    def __init__(self, tame, headers):
        self.sock = socket.create_connection(("127.0.0.1", tame.http_port),
                                             timeout=60)
        req = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n"
        req += "".join("%s: %s\r\n" % kv for kv in headers.items())
        self.sock.sendall((req + "Connection: close\r\n\r\n").encode())
        self.data = b""
        self.closed = False
        self.th = threading.Thread(target=self._read, daemon=True)
        self.th.start()

    def _read(self):
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.data += chunk
        except OSError:
            pass
        self.closed = True

    def status(self):
        wait_for(lambda: b"\r\n" in self.data or self.closed, 10,
                 what="the answer's status line")
        return int(self.data.split(b" ", 2)[1])

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- SMTP sink

class SmtpSink:
    """A minimal threaded SMTP server that records what it receives.

    messages: list of dicts {mail_from, rcpts, data (bytes), msg (parsed)}.
    fail: None, or {"stage": "connect"|"mail"|"rcpt"|"data", "code": 550,
    "text": "..."} to refuse at that point (4xx or 5xx); at "rcpt",
    "only": a part of the addresses refused (the others are taken), or
    "by": {part of an address: (code, text)} for each its own answer.
    hang: None, or {"stage": "data"|"dot"|"quit", "seconds": N}: wait
    that long before answering DATA, the final "." (the message counts
    only once answered) or QUIT; data_seen counts the messages whose "."
    came. auth: offer AUTH PLAIN (without STARTTLS) and take any
    login. host: the address to listen on."""

    def __init__(self, port=None, host="127.0.0.1"):
        self.port = port or free_port()
        self.messages = []
        self.commands = []
        self.fail = None
        self.hang = None
        self.auth = False
        self.data_seen = 0
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 60

            def reply(self, line):
                self.wfile.write((line + "\r\n").encode())
                self.wfile.flush()

            def handle(self):
                f = sink.fail
                if f and f["stage"] == "connect":
                    self.reply("%d %s" % (f["code"], f["text"]))
                    return
                self.reply("220 sink.test ESMTP test sink")
                mail_from, rcpts = None, []
                while True:
                    line = self.rfile.readline(65536)
                    if not line:
                        return
                    cmd = line.decode("utf-8", "replace").rstrip("\r\n")
                    with sink.lock:
                        sink.commands.append(cmd)
                    verb = cmd[:4].upper()
                    f = sink.fail
                    if verb == "EHLO":
                        self.reply("250-sink.test")
                        self.reply("250-PIPELINING")
                        if sink.auth:
                            self.reply("250-AUTH PLAIN")
                        self.reply("250-8BITMIME")
                        self.reply("250 SIZE 52428800")
                    elif verb == "HELO":
                        self.reply("250 sink.test")
                    elif verb == "AUTH" and sink.auth:
                        if len(cmd.split()) < 3:
                            self.reply("334 ")
                            with sink.lock:
                                sink.commands.append(
                                    self.rfile.readline().decode().strip())
                        self.reply("235 2.7.0 ok")
                    elif verb == "MAIL":
                        if f and f["stage"] == "mail":
                            self.reply("%d %s" % (f["code"], f["text"]))
                            continue
                        mail_from = cmd[10:].split(">")[0].lstrip(" <")
                        rcpts = []
                        self.reply("250 2.1.0 ok")
                    elif verb == "RCPT":
                        by = [v for k, v in (f or {}).get("by", {}).items()
                              if k in cmd]
                        if by:
                            self.reply("%d %s" % by[0])
                            continue
                        if f and f["stage"] == "rcpt" and "by" not in f and (
                                "only" not in f or f["only"] in cmd):
                            self.reply("%d %s" % (f["code"], f["text"]))
                            continue
                        rcpts.append(cmd[8:].split(">")[0].lstrip(" <"))
                        self.reply("250 2.1.5 ok")
                    elif verb == "DATA":
                        if not rcpts:
                            self.reply("554 5.5.1 no valid recipients")
                            continue
                        hang = sink.hang
                        if hang and hang["stage"] == "data":
                            time.sleep(hang["seconds"])
                        self.reply("354 go ahead")
                        chunks = []
                        while True:
                            dl = self.rfile.readline(1 << 20)
                            if not dl:
                                return
                            if dl in (b".\r\n", b".\n"):
                                break
                            if dl.startswith(b"."):
                                dl = dl[1:]
                            chunks.append(dl)
                        data = b"".join(chunks)
                        with sink.lock:
                            sink.data_seen += 1
                        hang = sink.hang
                        if hang and hang["stage"] == "dot":
                            time.sleep(hang["seconds"])
                        if f and f["stage"] == "data":
                            self.reply("%d %s" % (f["code"], f["text"]))
                            continue
                        parsed = email.message_from_bytes(
                            data, policy=email.policy.default)
                        with sink.lock:
                            sink.messages.append({
                                "mail_from": mail_from, "rcpts": rcpts,
                                "data": data, "msg": parsed})
                        mail_from, rcpts = None, []
                        self.reply("250 2.0.0 queued as %d" %
                                   len(sink.messages))
                    elif verb == "RSET":
                        mail_from, rcpts = None, []
                        self.reply("250 2.0.0 ok")
                    elif verb == "NOOP":
                        self.reply("250 2.0.0 ok")
                    elif verb == "QUIT":
                        hang = sink.hang
                        if hang and hang["stage"] == "quit":
                            time.sleep(hang["seconds"])
                        self.reply("221 2.0.0 bye")
                        return
                    else:
                        self.reply("502 5.5.2 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server((host, self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def wait_count(self, n, timeout=10):
        wait_for(lambda: len(self.messages) >= n, timeout,
                 what="%d message(s) at the sink" % n)
        return self.messages

    def to(self, addr):
        return [m for m in self.messages if addr in m["rcpts"]]


# ---------------------------------------------------------------- fixtures

@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for name in ("tame", "tame_data"):
            t = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if isinstance(t, Tame):
                rep.sections.append(("tamed log (%s)" % t.log_path,
                                     t.log_tail()))


@pytest.fixture(scope="session", autouse=True)
def _binaries():
    for b in (TAMED, TAME):
        if not os.access(b, os.X_OK):
            pytest.exit("%s is not built (TAME_BUILD=%s); run make" % (
                b, os.environ.get("TAME_BUILD", "build")), returncode=2)


@pytest.fixture
def tame_data():
    """A set-up data directory (admin with known password, API token,
    mailbox support@example.com) without a running daemon. Stops any
    tamed a test started on it."""
    tmp = tempfile.mkdtemp(prefix="tame-e2e-")
    t = Tame(tmp)
    t.setup()
    try:
        yield t
    finally:
        t.stop()
        text = t.log_text()
        problems = list(t.bad_exits)
        problems += [m for m in SANITIZER_MARKS if m in text]
        if problems:
            # keep the directory to look at
            pytest.fail("tamed misbehaved: %s (log and data kept in %s)\n%s"
                        % (problems, tmp, t.log_tail()), pytrace=False)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def tame(tame_data):
    """tame_data with tamed running (relay: the sink's port)."""
    tame_data.start()
    return tame_data


@pytest.fixture
def sink(tame):
    """The SMTP sink on the relay port of the running tamed."""
    s = SmtpSink(tame.relay_port)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def api(tame):
    """api(method, path, body=None, token=..., headers=...) ->
    (status, headers, JSON or bytes)."""
    return tame.api


@pytest.fixture
def send_mail(tame):
    return tame.send_mail
