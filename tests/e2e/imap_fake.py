"""A tiny, hostile IMAP server for the IMAP tests' bad-server cases.

It speaks just enough IMAP4rev1 for libcurl and for tamed's IDLE
connection (CAPABILITY, LOGIN, SELECT/EXAMINE, STATUS, UID SEARCH,
UID FETCH, UID STORE, IDLE) over the messages it is given, and then
misbehaves in one of these ways (mode):

  good          behaves, without IDLE
  idle          behaves, offers IDLE and announces new mail with EXISTS
  garbage       greets with noise
  huge          announces a 2 GB message when asked for one
  drop          closes the connection in the middle of a message literal
  silent        accepts the connection and never says a word
  idle-garbage  offers IDLE, then answers it with noise
  idle-drop     offers IDLE, then closes the connection once idling
  idle-silent   offers IDLE, then never answers the IDLE command
  empty-first   answers the FETCH of UID 1 with an empty literal
  search-far    names each UID twice in SEARCH, and one far past UIDNEXT
  refuse-first  answers the FETCH of UID 1 with NO [UNAVAILABLE], the
                first `refusals` times (all the time when None)
  drop-first    closes the connection in the middle of UID 1's literal
  bye-first     answers the FETCH of UID 1 with BYE and closes
  flags-first   answers the FETCH of UID 1 with its flags, no message
  weird-first   answers the FETCH of UID 1 without a literal
                (the other UIDs behave, in these four)
  store-noperm  answers every UID STORE with NO [NOPERM]
  fetch-silent  behaves until a UID FETCH, which it never answers
  logout-silent behaves, but never answers LOGOUT

Real servers are tested against dovecot (imap_fixtures.py); this one is
only for what no real server does on purpose. It listens on a free
loopback port and runs in daemon threads until shutdown().
"""

import socketserver
import threading
import time


class FakeImap(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, mode, messages=(), refusals=None):
        self.mode = mode
        self.refusals = refusals
        self.refused = 0          # FETCHes of UID 1 answered NO
        self.failed = 0           # FETCHes of UID 1 failed (*-first)
        self.lock = threading.Lock()
        self.messages = [m if isinstance(m, bytes) else m.as_bytes()
                         for m in messages]
        self.idlers = []          # handlers idling, for EXISTS
        self.idle_commands = 0    # IDLE commands seen
        self.fetched = []         # UIDs whose FETCH was answered
        self.stores = []          # UID sets of the UID STORE commands
        self.logins = []          # the arguments of each LOGIN
        self.hung = []            # commands it fell silent on
        srv = self

        class H(socketserver.StreamRequestHandler):
            timeout = 120

            def out(self, s):
                self.wfile.write(s.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                try:
                    self.session()
                except OSError:
                    pass
                finally:
                    with srv.lock:
                        if self in srv.idlers:
                            srv.idlers.remove(self)

            def session(self):
                mode = srv.mode
                if mode == "silent":
                    time.sleep(60)
                    return
                if mode == "garbage":
                    self.wfile.write(b"\x00\xffHELLO THERE\r\n:-)\r\n")
                    time.sleep(1)
                    return
                self.out("* OK ready")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    tag, _, rest = line.decode().strip().partition(" ")
                    words = rest.split(" ")
                    cmd = words[0].upper()
                    sub = words[1].upper() if len(words) > 1 else ""
                    with srv.lock:
                        n = len(srv.messages)
                    if cmd == "CAPABILITY":
                        caps = "IMAP4rev1"
                        if mode.startswith("idle"):
                            caps += " IDLE"
                        self.out("* CAPABILITY " + caps)
                    elif cmd in ("SELECT", "EXAMINE"):
                        self.out("* %d EXISTS" % n)
                        self.out("* OK [UIDVALIDITY 7] ok")
                        self.out("* OK [UIDNEXT %d] ok" % (n + 1))
                    elif cmd == "STATUS":
                        self.out("* STATUS INBOX (UIDVALIDITY 7 UIDNEXT %d "
                                 "MESSAGES %d)" % (n + 1, n))
                    elif cmd == "UID" and sub == "SEARCH":
                        lo, hi = words[-1].split(":")
                        hits = [u for u in range(1, n + 1)
                                if int(lo) <= u <= int(hi)]
                        if mode == "search-far":
                            hits = hits + hits + [4000000000]
                        self.out("* SEARCH" + "".join(" %d" % u
                                                      for u in hits))
                    elif cmd == "UID" and sub == "FETCH":
                        uid = int(words[2])
                        if mode == "fetch-silent":
                            srv.hung.append(cmd)
                            time.sleep(60)
                            return
                        if mode == "huge":
                            self.out("* %d FETCH (UID %d BODY[] "
                                     "{2147483648}" % (uid, uid))
                            self.wfile.write(b"From: x\r\n" * 1000)
                            time.sleep(2)
                            return
                        if mode == "drop":
                            self.out("* %d FETCH (UID %d BODY[] {5000}"
                                     % (uid, uid))
                            self.wfile.write(b"From: x@example.org\r\n" * 5)
                            self.wfile.flush()
                            return   # closes mid-literal
                        if uid > n:
                            self.out("%s OK done" % tag)
                            continue
                        if uid == 1 and mode == "drop-first":
                            srv.failed += 1
                            self.out("* 1 FETCH (UID 1 BODY[] {5000}")
                            self.wfile.write(b"From: x@example.org\r\n")
                            self.wfile.flush()
                            return   # closes mid-literal
                        if uid == 1 and mode == "bye-first":
                            srv.failed += 1
                            self.out("* BYE internal error reading UID 1")
                            return
                        if uid == 1 and mode == "weird-first":
                            srv.failed += 1
                            self.out('* 1 FETCH (UID 1 BODY[] "short")')
                            self.out("%s OK done" % tag)
                            continue
                        if uid == 1 and mode == "flags-first":
                            srv.failed += 1
                            self.out("* 1 FETCH (UID 1 FLAGS (\\Recent))")
                            self.out("%s OK done" % tag)
                            continue
                        if (mode == "refuse-first" and uid == 1 and
                                (srv.refusals is None or
                                 srv.refused < srv.refusals)):
                            srv.refused += 1
                            self.out("%s NO [UNAVAILABLE] try again later"
                                     % tag)
                            continue
                        msg = srv.messages[uid - 1]
                        if mode == "empty-first" and uid == 1:
                            msg = b""
                        srv.fetched.append(uid)
                        self.out("* %d FETCH (UID %d BODY[] {%d}"
                                 % (uid, uid, len(msg)))
                        self.wfile.write(msg)
                        self.out(")")
                    elif cmd == "IDLE":
                        srv.idle_commands += 1
                        if mode == "idle-silent":
                            time.sleep(60)
                            return
                        self.out("+ idling")
                        if mode == "idle-garbage":
                            time.sleep(0.3)
                            self.wfile.write(b"\x00\x01\x02 ~~~ \xff\r\n")
                            self.wfile.flush()
                            time.sleep(5)
                            return
                        if mode == "idle-drop":
                            time.sleep(0.3)
                            return
                        with srv.lock:
                            srv.idlers.append(self)
                        done = self.rfile.readline()
                        with srv.lock:
                            if self in srv.idlers:
                                srv.idlers.remove(self)
                        if done.strip().upper() != b"DONE":
                            self.out("%s BAD expected DONE" % tag)
                            continue
                    elif cmd == "UID" and sub == "STORE":
                        srv.stores.append(words[2])
                        if mode == "store-noperm":
                            self.out("%s NO [NOPERM] permission denied"
                                     % tag)
                            continue
                    elif cmd == "LOGIN":
                        srv.logins.append(rest[len(words[0]) + 1:])
                    elif cmd == "LOGOUT":
                        if mode == "logout-silent":
                            srv.hung.append(cmd)
                            time.sleep(60)
                            return
                        self.out("* BYE bye")
                        self.out("%s OK done" % tag)
                        return
                    self.out("%s OK done" % tag)

        super().__init__(("127.0.0.1", 0), H)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, folder="INBOX"):
        return "imap://joe:x@127.0.0.1:%d/%s" % (self.port, folder)

    def add(self, msg):
        """Appends a message; idling clients hear "* N EXISTS"."""
        with self.lock:
            self.messages.append(msg if isinstance(msg, bytes)
                                 else msg.as_bytes())
            n = len(self.messages)
            idlers = list(self.idlers)
        for h in idlers:
            try:
                h.out("* %d EXISTS" % n)
            except OSError:
                pass

    def close(self):
        self.shutdown()
        self.server_close()
