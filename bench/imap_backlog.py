"""IMAP backlog import: a dovecot folder holding N existing messages is
connected to a fresh tamed, which imports them all (fetch, durable
commit, \\Seen on the server). Prints messages per second beside the
target (issue 5: at least 2,000/s over loopback).

The backlog is written straight into dovecot's Maildir (an APPEND per
message would take longer than the import) and dovecot builds its index
before the clock starts, so the figure is tamed's, not dovecot's first
scan. Usage: imap_backlog.py N [SIZE]   (TAME_BUILD names the build dir)
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from conftest import free_port  # noqa: E402
from imap_fixtures import USER, Dovecot, Session  # noqa: E402

TARGET = 2000


def fill_maildir(dove, n, size):
    """n messages of about size bytes into USER's INBOX, as dovecot's
    mail user would have written them."""
    box = os.path.join(dove.maildir, USER, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(box, sub), exist_ok=True)
    line = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, "
            "sed do eiusmod.\n")
    body = line * max(1, size // len(line))
    t = 1795000000
    for i in range(n):
        msg = ("From: Customer %d <c%d@example.org>\nTo: support@example.com\n"
               "Subject: backlog %d\nMessage-ID: <bl-%d@example.org>\n"
               "Date: Mon, 23 Nov 2026 10:00:00 +0000\n\n%s" % (
                   i, i, i, i, body)).encode()
        # the name dovecot's own delivery gives a file: S= its size,
        # W= its size with CRLF line ends, so no file is read for them
        name = "%d.M%dP1.bench,S=%d,W=%d" % (t + i, i, len(msg),
                                            len(msg) + msg.count(b"\n"))
        with open(os.path.join(box, "new", name), "wb") as f:
            f.write(msg)
    st = os.stat(dove.maildir)
    for dirpath, dirs, files in os.walk(os.path.join(dove.maildir, USER)):
        os.chown(dirpath, st.st_uid, st.st_gid)
        for f in files:
            os.chown(os.path.join(dirpath, f), st.st_uid, st.st_gid)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    build = os.environ.get("TAME_BUILD", os.path.join(ROOT, "build"))
    if not os.path.isabs(build):
        build = os.path.join(ROOT, build)
    work = tempfile.mkdtemp(prefix="tame-imapbench-")
    dove = Dovecot()
    tamed = None
    try:
        dove.start()
        fill_maildir(dove, n, size)
        t0 = time.monotonic()
        with Session(dove) as m:   # dovecot indexes the folder now
            m.select("INBOX")
        index_s = time.monotonic() - t0
        data = os.path.join(work, "data")
        tame = os.path.join(build, "tame")
        subprocess.run([tame, "--data", data, "mailbox", "add", "--address",
                        "support@example.com", "--name", "Support", "--imap",
                        dove.url()], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([tame, "--data", data, "user", "add", "--email",
                        "b@example.com", "--name", "B", "--role", "admin",
                        "--password-stdin"], input=b"benchmark-pw\n",
                       check=True, stdout=subprocess.DEVNULL)
        token = subprocess.run([tame, "--data", data, "token", "add",
                                "--email", "b@example.com"], check=True,
                               capture_output=True).stdout.decode().strip()
        http = free_port()
        log = open(os.path.join(work, "tamed.log"), "wb")
        start = time.monotonic()
        tamed = subprocess.Popen([os.path.join(build, "tamed"), "--data",
                                  data, "--http", "127.0.0.1:%d" % http,
                                  "--smtp", ""], stdout=log, stderr=log)
        req = urllib.request.Request(
            "http://127.0.0.1:%d/api/v1/mailboxes" % http,
            headers={"Authorization": "Bearer " + token})
        imported, last_uid, stored_s = 0, 0, None
        deadline = start + max(120, n / 100)
        while last_uid < n and time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    imap = json.load(r)["mailboxes"][0]["imap"]
                    imported, last_uid = imap["imported"], imap["last_uid"]
            except OSError:
                pass
            if imported >= n and stored_s is None:
                stored_s = time.monotonic() - start
        # done: every message stored and acted on (\Seen), recorded
        secs = time.monotonic() - start
        db = sqlite3.connect(os.path.join(data, "tame.db"))
        stored = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        seen = 0
        with Session(dove) as m:
            m.select("INBOX")
            seen = len(m.uid("SEARCH", None, "SEEN")[1][0].split())
        rate = imported / secs if secs else 0
        print("imap backlog (%d x %d B, dovecot on loopback, durable, "
              "\\Seen after): %.0f msg/s   target >= %d   [imported=%d "
              "stored=%d seen=%d seconds=%.2f all_stored_after_s=%.2f "
              "dovecot_index_s=%.2f load=%s]" % (
                  n, size, rate, TARGET, imported, stored, seen, secs,
                  stored_s or 0, index_s,
                  open("/proc/loadavg").read().split()[0]))
        if stored == n and seen == n:
            return 0
        log.flush()
        with open(os.path.join(work, "tamed.log"), errors="replace") as f:
            tail = f.read()[-600:]
        print("BROKEN: imap backlog of %d: %d stored, %d marked \\Seen; "
              "tamed's log ends:\n%s" % (n, stored, seen, tail))
        return 1
    finally:
        if tamed:
            tamed.terminate()
            tamed.wait(30)
        dove.cleanup()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(main())
