"""A real dovecot IMAP server for the IMAP tests, and small IMAP helpers.

Dovecot (Debian's dovecot-imapd) runs as a plain child process with a
throw-away configuration in a temporary directory: its own base_dir,
log file, passwd-file user database and Maildir location, listening only
on free loopback ports. No system service or default configuration is
touched. It is stopped by its PID when the test ends.

When the tests run as root, dovecot insists on unprivileged users for
its login and mail processes: the package's own "dovecot" and "dovenull"
users are used then, and the temporary directory is handed to them.
"""

import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
import email.utils

import pytest

from conftest import SLOW, free_port, wait_for

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "joe"
PASSWORD = "s3cret pass@word"


def have_dovecot():
    return os.access(DOVECOT, os.X_OK)


def make_cert(directory, cn="localhost"):
    """A self-signed certificate for localhost and 127.0.0.1; answers
    (cert_path, key_path)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=" + cn, "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return cert, key


def cert_pin(cert):
    """curl's sha256//BASE64 pin of the certificate's public key."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey",
                          "-noout"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"],
                         input=pub, check=True, capture_output=True).stdout
    import base64
    import hashlib
    return "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class Dovecot:
    """One dovecot with one user (USER / PASSWORD) on loopback ports."""

    def __init__(self, tls=False):
        self.dir = tempfile.mkdtemp(prefix="tame-dovecot-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.tls_port = free_port()
        self.tls = tls
        self.proc = None
        self.cert = self.key = None
        if tls:
            self.cert, self.key = make_cert(self.dir)
            os.chmod(self.key, 0o644)
        self.log = os.path.join(self.dir, "dovecot.log")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.maildir = os.path.join(self.dir, "mail")
        os.makedirs(os.path.join(self.dir, "run"))
        os.makedirs(self.maildir)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (USER, PASSWORD))
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("dovecot")
            internal, login = "dovecot", "dovenull"
            uid, gid = mail_user.pw_uid, mail_user.pw_gid
            os.chown(self.maildir, uid, gid)
        else:
            me = pwd.getpwuid(os.getuid())
            internal = login = me.pw_name
            uid, gid = os.getuid(), os.getgid()
        group = grp.getgrgid(gid).gr_name
        ssl = "no"
        listeners = ("  inet_listener imap {\n    address = 127.0.0.1\n"
                     "    port = %d\n  }\n" % self.port)
        if tls:
            ssl = "yes\nssl_cert = <%s\nssl_key = <%s" % (self.cert,
                                                          self.key)
            listeners += ("  inet_listener imaps {\n    address = 127.0.0.1"
                          "\n    port = %d\n    ssl = yes\n  }\n"
                          % self.tls_port)
        with open(self.conf, "w") as f:
            f.write("""base_dir = {d}/run
state_dir = {d}/run
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login
ssl = {ssl}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
mail_location = maildir:{d}/mail/%u/Maildir
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  chroot =
{listeners}}}
service anvil {{
  chroot =
}}
""".format(d=self.dir, internal=internal, login=login, group=group,
           ssl=ssl, uid=uid, gid=gid, listeners=listeners))

    def start(self):
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log + ".stderr", "ab"))

        def greets():
            assert self.proc.poll() is None, self.log_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port),
                                              timeout=1) as s:
                    return s.recv(100).startswith(b"* OK")
            except OSError:
                return False
        wait_for(greets, 15, what="dovecot to greet")
        return self

    def stop(self):
        p = self.proc
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        # dovecot's mail processes may still be closing their index files
        for _ in range(50):
            shutil.rmtree(self.dir, ignore_errors=True)
            if not os.path.exists(self.dir):
                break
            time.sleep(0.1)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-5000:]
        except OSError:
            return ""

    # -- clients
    def client(self):
        m = imaplib.IMAP4("127.0.0.1", self.port, timeout=30 * SLOW)
        m.login(USER, PASSWORD)
        return m

    def url(self, folder="INBOX", password=PASSWORD, scheme="imap",
            port=None, query=""):
        from urllib.parse import quote
        if port is None:
            port = self.tls_port if scheme == "imaps" else self.port
        return "%s://%s:%s@127.0.0.1:%d/%s%s" % (
            scheme, quote(USER, safe=""), quote(password, safe=""), port,
            quote(folder, safe=""), query)

    def create(self, folder):
        with Session(self) as m:
            m.create(folder)

    def append(self, folder, messages):
        """Appends each message (bytes or EmailMessage) to folder."""
        with Session(self) as m:
            for msg in messages:
                if not isinstance(msg, bytes):
                    msg = msg.as_bytes()
                typ, data = m.append(folder, None, None, msg)
                assert typ == "OK", data

    def uids(self, folder, criteria="ALL"):
        with Session(self) as m:
            typ, _ = m.select('"%s"' % folder)
            assert typ == "OK", folder
            typ, data = m.uid("SEARCH", None, criteria)
            assert typ == "OK"
            return [int(x) for x in data[0].split()]

    def status(self, folder):
        with Session(self) as m:
            typ, data = m.status('"%s"' % folder, "(MESSAGES UIDVALIDITY)")
            assert typ == "OK", data
            text = data[0].decode()
            return {k: int(v) for k, v in zip(
                text.split("(")[1].rstrip(")").split()[0::2],
                text.split("(")[1].rstrip(")").split()[1::2])}


class Session:
    def __init__(self, dove):
        self.dove = dove

    def __enter__(self):
        self.m = self.dove.client()
        return self.m

    def __exit__(self, *exc):
        try:
            self.m.logout()
        except Exception:
            pass


def imap_message(n, tag="m", to="support@example.com", size=0):
    """A customer's message number n; Message-ID <tag-n@example.org>."""
    m = EmailMessage()
    m["From"] = "Customer %d <c%d@example.org>" % (n, n)
    m["To"] = to
    m["Subject"] = "%s %d" % (tag, n)
    m["Date"] = email.utils.formatdate(localtime=False)
    m["Message-ID"] = "<%s-%d@example.org>" % (tag, n)
    body = "Hello, this is message %d.\n" % n
    if size:
        body += ("x" * 76 + "\n") * (size // 77)
    m.set_content(body)
    return m


@pytest.fixture
def dovecot():
    if not have_dovecot():
        pytest.skip("dovecot is not installed (scripts/deps.sh)")
    d = Dovecot()
    try:
        yield d.start()
    finally:
        d.cleanup()


@pytest.fixture
def dovecot_tls():
    if not have_dovecot():
        pytest.skip("dovecot is not installed (scripts/deps.sh)")
    d = Dovecot(tls=True)
    try:
        yield d.start()
    finally:
        d.cleanup()
