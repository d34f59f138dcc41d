"""The person who runs Tame: a mistyped data directory, a store removed
or locked under a running tamed, a restore of the store's own file, a
second init, a bad relay URL, what the log says (and does not)."""

import json
import os
import signal
import smtplib
import sqlite3
import stat
import subprocess
import time

from conftest import (ADMIN_EMAIL, SLOW, TAME, TAMED, Tame, make_message,
                      wait_for)


def run_tamed(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(TAMED)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=30 * SLOW,
                          env=e)


def test_tamed_refuses_a_directory_without_a_store(tmp_path):
    """A mistyped --data (no directory, an empty one, an empty tame.db):
    tamed says there is no store and makes none. Before, it made an
    empty store, said "ok", and refused every mail with 550 - a bounce
    for good for every customer."""
    empty = tmp_path / "empty"
    empty.mkdir()
    zero = tmp_path / "zero"
    zero.mkdir()
    (zero / "tame.db").write_bytes(b"")
    for d in (tmp_path / "typo", empty, zero):
        r = run_tamed("--data", d, "--http", "127.0.0.1:0", "--smtp",
                      "127.0.0.1:0")
        assert r.returncode == 1, r
        assert "no store in %s" % d in r.stderr, r.stderr
        assert "init" in r.stderr
    assert not (tmp_path / "typo").exists()
    assert os.listdir(empty) == []
    assert os.listdir(zero) == ["tame.db"]
    assert (zero / "tame.db").stat().st_size == 0


def test_tamed_names_what_is_wrong_on_its_command_line(tmp_path):
    r = run_tamed("--data", tmp_path, "--htp", "127.0.0.1:1")
    assert r.returncode == 64 and "unknown option --htp" in r.stderr, r
    r = run_tamed("--data")
    assert r.returncode == 64 and "--data needs a value" in r.stderr, r
    r = run_tamed("--http", "127.0.0.1:1")
    assert r.returncode == 64 and "--data is missing" in r.stderr, r


def test_bad_relay_url_is_refused_at_start(tame_data):
    """The relay given to tamed is checked as `tame mailbox --relay`
    checks one. Before, ftp:// was taken (and the password sent to an
    FTP server) and every reply waited with "bad/illegal format"."""
    for url in ("ftp://bob:pw@127.0.0.1:2121", "smtp://127.0.0.1:99999",
                "smtp://bob:pw@"):
        for how in ("arg", "env"):
            args = ["--data", tame_data.data, "--http", "127.0.0.1:0",
                    "--smtp", "127.0.0.1:0"]
            env = {"TAME_RELAY": url} if how == "env" else None
            if how == "arg":
                args += ["--relay", url]
            r = run_tamed(*args, env=env)
            assert r.returncode == 1, (url, how, r)
            assert "bad relay URL" in r.stderr, r.stderr
            assert "pw" not in r.stderr


def test_mail_is_not_taken_into_a_removed_store(tame):
    """The store's file removed while tamed runs: mail gets 451 (the
    sender keeps it), not a 250 for a file no one will open again, the
    log says why, and a health check makes no new, empty store."""
    tame.send_mail(make_message(subject="Before the removal"))
    tame.wait_ticket("Before the removal")
    db = tame.data / "tame.db"
    os.unlink(db)
    try:
        tame.send_mail(make_message(subject="After the removal"))
        assert False, "the mail was taken"
    except smtplib.SMTPDataError as e:
        assert e.smtp_code == 451, e
    assert "removed or replaced" in tame.log_text()
    st, _, _ = tame.api("GET", "/api/v1/health", token=None)
    assert st == 503
    assert not db.exists()


def test_mail_waits_a_bounded_time_for_another_process_lock(tame_data):
    """Another process holding the store's write lock (a tame command
    stopped with Ctrl-Z): the sender hears 451 after a bounded wait and
    the log says why; once the lock is gone mail is taken again. Before,
    the sender waited without an answer for as long as the lock
    lasted."""
    tame_data.start(env={"TAME_INGEST_LOCK_WAIT_MS": "200"})
    db = sqlite3.connect(str(tame_data.data / "tame.db"), timeout=30,
                         isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.monotonic()
        try:
            tame_data.send_mail(make_message(subject="While locked"))
            assert False, "the mail was taken"
        except smtplib.SMTPDataError as e:
            assert e.smtp_code == 451, e
        assert time.monotonic() - t0 < 25 * SLOW
    finally:
        db.execute("ROLLBACK")
        db.close()
    log = tame_data.log_text()
    assert "locked by another process" in log, log[-2000:]
    tame_data.send_mail(make_message(subject="After the lock"))
    tame_data.wait_ticket("After the lock")


def test_restore_refuses_the_store_itself(tame_data):
    """`tame restore DATA/tame.db` after a crash would read the store
    without its WAL and drop every mail since the last checkpoint; it is
    refused, and the store keeps its mail."""
    tame_data.start()
    for i in range(5):
        tame_data.send_mail(make_message(subject="Kept %d" % i))
    wait_for(lambda: len(tame_data.tickets()) == 5)
    tame_data.stop(sig=9)
    r = tame_data.cli("restore", tame_data.data / "tame.db", check=False)
    assert r.returncode == 65, r
    assert "is the store itself" in r.err
    tame_data.start()
    assert len(tame_data.tickets()) == 5


def test_new_store_is_private_and_init_adds_no_second_admin(tmp_path):
    """A store made in a directory others may read is for its user
    alone (its WAL too), as its backups are; `tame init` on a store that
    has an admin adds no admin@localhost."""
    d = tmp_path / "data"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    t = Tame(tmp_path)
    t.setup()
    assert stat.S_IMODE((d / "tame.db").stat().st_mode) == 0o600
    r = t.cli("init")
    assert "password" not in r.out.lower(), r
    emails = [a["email"] for a in
              json.loads(t.cli("export", "json").out)["agents"]]
    assert emails == [ADMIN_EMAIL], emails
    try:
        t.start()
        assert stat.S_IMODE((d / "tame.db-wal").stat().st_mode) == 0o600
    finally:
        assert t.stop() == 0
    assert "stopped" in t.log_text()


def test_failed_login_does_not_log_what_was_typed_for_no_account(tame):
    """A password typed into the address field stays out of the log;
    an account's address is still named."""
    secret = "Hunter2-typed-in-the-wrong-field"
    st, _, _ = tame.api("POST", "/api/v1/session",
                        {"email": secret, "password": "x"}, token=None)
    assert st == 401
    st, _, _ = tame.api("POST", "/api/v1/session",
                        {"email": ADMIN_EMAIL, "password": "wrong"},
                        token=None)
    assert st == 401
    wait_for(lambda: "failed login for " + ADMIN_EMAIL in tame.log_text(),
             what="the failed login of an account in the log")
    assert secret.lower() not in tame.log_text().lower()


def test_backup_stopped_midway_leaves_no_partial_copy(tame_data, tmp_path):
    """A backup stopped with Ctrl-C or SIGTERM takes its unfinished copy
    with it. Before, each left a copy the size of the store beside the
    target, and nothing ever removed them."""
    db = sqlite3.connect(str(tame_data.data / "tame.db"))
    db.execute("CREATE TABLE filler(b BLOB)")
    for _ in range(200):
        db.execute("INSERT INTO filler VALUES (zeroblob(1048576))")
    db.commit()
    db.close()
    target = tmp_path / "copy.db"

    def backup(ignored):
        """A backup with SIGINT and SIGTERM as a terminal's foreground
        job has them, and ignored what nohup or a script's background
        job ignores; stopped by sig once its copy is being made."""
        def signals():
            for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(s, signal.SIG_IGN if s in ignored
                              else signal.SIG_DFL)
        p = subprocess.Popen([str(TAME), "--data", str(tame_data.data),
                              "backup", str(target)],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, preexec_fn=signals)
        wait_for(lambda: any(n.startswith("copy.db.partial-")
                             for n in os.listdir(tmp_path)) or
                 p.poll() is not None, 30, interval=0.001,
                 what="the copy to start")
        return p

    for sig in (signal.SIGINT, signal.SIGTERM):
        p = backup(())
        p.send_signal(sig)
        p.wait(30 * SLOW)
        assert p.returncode == -sig, (sig, p.returncode,
                                      p.stderr.read())
        assert os.listdir(tmp_path) == [], os.listdir(tmp_path)
    # nohup: a hang-up it ignores does not stop it
    p = backup((signal.SIGHUP,))
    p.send_signal(signal.SIGHUP)
    p.wait(60 * SLOW)
    assert p.returncode == 0, p.stderr.read()
    assert os.listdir(tmp_path) == ["copy.db"]


def test_refused_mail_and_bad_settings_are_in_the_log(tame_data):
    """"Why did my mail bounce?": a recipient refused with 550 and a
    message refused for its size are in the log; a setting in the
    environment that is no number is named, not silently ignored."""
    tame_data.start(env={"TAME_HEALTH_WAIT_S": "ten"})
    with smtplib.SMTP("127.0.0.1", tame_data.smtp_port, timeout=30) as s:
        s.ehlo("probe.example")
        assert s.mail("a@example.org")[0] == 250
        assert s.rcpt("nobody@nowhere.example")[0] == 550
        s.rset()
        assert s.mail("a@example.org", ["SIZE=999999999999"])[0] == 552
    log = wait_for(lambda: (lambda t: t if "nobody@nowhere.example" in t
                            else None)(tame_data.log_text()),
                   what="the 550 in the log")
    assert "550 for <nobody@nowhere.example>: no such mailbox" in log
    assert "552 for a message of 999999999999 bytes" in log
    assert "TAME_HEALTH_WAIT_S=ten is not a number" in log
