"""What tamed and tame say on a bad day for the machine: a full disk.
The message must name the cause (the disk), not what failed after it
(a rollback of a transaction SQLite had already rolled back), and what
repeats must not be said once a second for as long as it lasts."""

import signal
import time

from conftest import (fill, make_message, settle, tame_on_small_fs,
                      wait_for)

ROLLBACK = "cannot rollback"


def fill_store(tame, tid):
    """Fills the disk under a running tamed so that no write of the
    store finds room, not even a small one in the WAL's last page."""
    fill(tame.dir / "filler")
    for text in ("x" * 60000, "x"):
        for _ in range(200):
            st, _, body = tame.api("POST", "/api/v1/tickets/%d/notes" % tid,
                                   {"text": text})
            if st != 201:
                break
        assert st == 503, (st, body)
    fill(tame.dir / "filler2")


def test_full_disk_errors_name_the_disk(tmp_path):
    """On a full disk, a ticket update is answered 503 and its log line
    says the disk is full, and `tame user password` says so too (exit
    75): SQLite rolls a transaction back itself on SQLITE_FULL, and the
    message of the ROLLBACK that came after it ("cannot rollback - no
    transaction is active") used to replace the cause."""
    with tame_on_small_fs(tmp_path, "4m") as tame:
        tame.send_mail(make_message(subject="Disk full"))
        tid = tame.wait_ticket("Disk full")["id"]
        fill_store(tame, tid)
        st, _, body = tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                               {"status": "solved"})
        assert st == 503, (st, body)
        assert body["error"]["code"] == "storage_unavailable", body
        r = tame.cli("user", "password", "--email", "admin@example.com",
                     "--password-stdin", stdin=b"another password 1\n",
                     check=False)
        assert r.returncode == 75, r
        assert "disk is full" in r.err and ROLLBACK not in r.err, r
    log = tame.final_log
    patch = [l for l in log.splitlines() if "PATCH /api/v1/tickets" in l
             and "[error]" in l]
    assert patch and "disk is full" in patch[0], patch or log[-3000:]
    assert ROLLBACK not in log, [l for l in log.splitlines()
                                 if ROLLBACK in l][:3]


def test_intel_says_once_that_the_disk_is_full_and_once_it_is_over(
        tmp_path):
    """The queue intelligence, with mail to read and a full disk to
    write its findings to, logs that once (naming the disk), not every
    second, and says when it works again once there is room."""
    with tame_on_small_fs(tmp_path, "4m") as tame:
        tame.send_mail(make_message(subject="Before"))
        tid = tame.wait_ticket("Before")["id"]
        # the intelligence has read it (a round writing its findings
        # when tamed is stopped holds the store's write lock)
        wait_for(lambda: tame.ticket(tid).get("tone"), 15,
                 what="the intelligence to read the first mail")
        # a mail that tamed has not read yet (it is stopped while
        # `tame deliver` stores it), then a full disk; stopped while
        # it still wrote, tamed is let go on and stopped again
        msg = make_message(subject="While full",
                           text="This is urgent, please!\n")
        for attempt in range(5):
            tame.proc.send_signal(signal.SIGSTOP)
            try:
                r = tame.cli("deliver", stdin=msg.as_bytes(), check=False)
                if r.returncode == 0:
                    fill(tame.dir / "filler")
                    break
                assert r.returncode == 75 and "locked" in r.err, r
            finally:
                tame.proc.send_signal(signal.SIGCONT)
            time.sleep(0.5)
        else:
            raise AssertionError("tame deliver found the store locked "
                                 "five times")
        st, _, _ = tame.api("POST", "/api/v1/tickets/%d/notes" % tid,
                            {"text": "x" * 60000})
        assert st == 503
        fill(tame.dir / "filler2")
        wait_for(lambda: "intel: round failed" in tame.log_text(), 15,
                 what="the intelligence's round to fail")
        settle(4)
        failed = [l for l in tame.log_text().splitlines()
                  if "intel: round failed" in l]
        assert len(failed) == 1, failed[:5]
        assert "disk is full" in failed[0], failed[0]
        assert ROLLBACK not in failed[0], failed[0]
        (tame.dir / "filler").unlink()
        (tame.dir / "filler2").unlink()
        wait_for(lambda: "intel: rounds work again" in tame.log_text(), 15,
                 what="the intelligence to say it works again")
        tame.wait_ticket("While full")
    assert ROLLBACK not in tame.final_log, [
        l for l in tame.final_log.splitlines() if ROLLBACK in l][:3]
