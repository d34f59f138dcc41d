"""tamed short of file descriptors (a low `ulimit -n`).

Connections that use up the descriptors must not make tamed spin or fill
its log: a sender that cannot be taken hears 421 and tries again later,
health still answers when it is SMTP that holds them, and once the
connections close a new SMTP session stores its mail.
"""

import os
import resource
import selectors
import signal
import socket
import time

from conftest import SLOW, make_message, settle, wait_for

# The limit the reporter ran tamed under: tamed itself uses about 40.
FILES = 64
# A log that took more than this in a few seconds is a flood.
LOG_MAX = 64 * 1024


def files_limit(n=FILES):
    """A preexec_fn for Tame.start: soft and hard limit of open files n
    (tamed raises its soft limit to the hard one)."""
    def set_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return set_limit


def cpu_seconds(pid):
    """User and system CPU time pid has used, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_answers(socks, timeout):
    """The first three characters each socket receives ("220", "421"),
    "closed" when it is closed without a word, or None when nothing came
    within timeout seconds; all sockets are waited on together."""
    answers = {s: None for s in socks}
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
            s = key.fileobj
            try:
                data = s.recv(512)
            except OSError:
                data = b""
            answers[s] = data[:3].decode("ascii", "replace") or "closed"
            sel.unregister(s)
    sel.close()
    return [answers[s] for s in socks]


def tally(answers):
    out = {}
    for a in answers:
        out[a] = out.get(a, 0) + 1
    return out


def log_size_checked(tame):
    """The size of tamed's log; a log grown past LOG_MAX (a flood) is cut
    back to its start once tamed is stopped, so that the failure report
    stays readable."""
    size = tame.log_path.stat().st_size
    if size > LOG_MAX:
        tame.stop(signal.SIGKILL)
        with open(tame.log_path, "r+b") as f:
            f.seek(LOG_MAX)
            f.write(b"\n[... %d bytes of log cut by the test]\n" % size)
            f.truncate()
    return size


def accept_lines(tame):
    return [l for l in tame.log_text().splitlines() if "smtp: accept" in l]


def test_smtp_connections_past_the_descriptors_are_answered_421(tame_data):
    """60 idle SMTP connections under ulimit -n 64: each is greeted
    220 or answered 421 at once (none waits without a word), tamed does
    not spin on accept() nor log each failure, health answers meanwhile,
    and mail is taken again once they close."""
    tame = tame_data
    tame.start(preexec_fn=files_limit())
    start_log = tame.log_text()
    pid = tame.proc.pid
    socks = []
    try:
        for _ in range(60):
            socks.append(socket.create_connection(
                ("127.0.0.1", tame.smtp_port), timeout=5))
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        answers = tally(first_answers(socks, 5 * SLOW))
        time.sleep(3)
        st, _, health = tame.api("GET", "/api/v1/health", token=None,
                                 timeout=5)
        cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    finally:
        for s in socks:
            s.close()
    size = log_size_checked(tame)
    assert size <= LOG_MAX, "the log grew to %d bytes" % size
    assert cpu < 0.25, "tamed used %.0f%% of a CPU holding idle " \
        "connections" % (cpu * 100)
    assert set(answers) <= {"220", "421"}, answers
    assert answers.get("220") and answers.get("421"), answers
    assert st == 200 and health["status"] in ("ok", "degraded"), health
    # the start-up warning says what happens past the limit
    assert "SMTP/LMTP connections at once" in start_log, start_log
    assert len(accept_lines(tame)) <= 2, accept_lines(tame)[:5]
    tame.send_mail(make_message(subject="After the crowd"))
    tame.wait_ticket("After the crowd")


def test_smtp_waiting_while_http_holds_the_descriptors(tame_data):
    """Idle HTTP connections take every descriptor (ulimit -n 64); an
    SMTP client that connects then is answered 421 rather than left
    waiting, tamed does not spin nor flood its log meanwhile, and once
    the HTTP connections close health answers and mail is taken."""
    tame = tame_data
    tame.start(preexec_fn=files_limit())
    pid = tame.proc.pid
    web, smtp = [], []
    try:
        for _ in range(70):
            c = socket.create_connection(("127.0.0.1", tame.http_port),
                                         timeout=5)
            # a request that never ends holds its connection
            c.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
            web.append(c)
        settle(1)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        for _ in range(3):
            smtp.append(socket.create_connection(
                ("127.0.0.1", tame.smtp_port), timeout=5))
        answers = tally(first_answers(smtp, 3 * SLOW))
        time.sleep(2)
        cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    finally:
        for s in web + smtp:
            s.close()
    size = log_size_checked(tame)
    assert size <= LOG_MAX, "the log grew to %d bytes" % size
    assert cpu < 0.25, "tamed used %.0f%% of a CPU while out of " \
        "descriptors" % (cpu * 100)
    # 421 is said on a spare descriptor given up for the moment of each
    # answer; another of tamed's threads may take it in that moment
    # (one CI run in three saw it), and the senders then wait, as they
    # did before, until descriptors are free. What must never happen
    # is the spin and the flood above, or a sender taken and dropped.
    assert set(answers) <= {"421", None}, answers
    assert len(accept_lines(tame)) <= 2, accept_lines(tame)[:5]

    def healthy():
        try:
            return tame.api("GET", "/api/v1/health", token=None,
                            timeout=2)[0] == 200
        except OSError:
            return False
    wait_for(healthy, 15, what="health once the connections closed")
    tame.send_mail(make_message(subject="Descriptors back"))
    tame.wait_ticket("Descriptors back")
    # the log says when the shortage ended
    assert "smtp: taking connections again" in tame.log_text()


def test_too_few_descriptors_to_start_says_so(tame_data):
    """Under open-file limits too low to start with (ulimit -n 8 to 32),
    tamed exits 1 saying that too many files are open, whichever part
    of it ran out first, not "storage error" or "I/O error"."""
    tame = tame_data
    failed = []
    for n in range(8, 34, 2):
        start = len(tame.log_text())
        tame.start(preexec_fn=files_limit(n), wait=False)

        def outcome():
            if tame.proc.poll() is not None:
                return "exited"
            if " ready in " in tame.log_text()[start:]:
                return "ready"
            return None
        if wait_for(outcome, 20, what="tamed to start or exit") == "ready":
            tame.stop()
            continue
        text = tame.log_text()[start:]
        failed.append(n)
        assert tame.proc.returncode == 1, (n, text)
        said = [l for l in text.splitlines() if l.startswith("tamed: ")]
        assert said and "too many open files" in said[-1], (n, text)
        for vague in ("storage error", "I/O error"):
            assert vague not in text, (n, text)
    # the lowest limits cannot do, or the test proves nothing
    assert len(failed) >= 4, failed
