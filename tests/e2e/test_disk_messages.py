"""What tamed and tame say on a bad day for the machine: a full disk.
The message must name the cause (the disk), not what failed after it
(a rollback of a transaction SQLite had already rolled back)."""

from conftest import SANITIZER_MARKS, Tame, make_message, small_fs

ROLLBACK = "cannot rollback"


def fill(path):
    """Writes path until the disk is full."""
    with open(path, "ab", buffering=0) as f:
        for chunk in (65536, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass


def fill_store(tame, small, tid):
    """Fills the disk under a running tamed so that no write of the
    store finds room, not even a small one in the WAL's last page."""
    fill(small / "filler")
    for text in ("x" * 60000, "x"):
        for _ in range(200):
            st, _, body = tame.api("POST", "/api/v1/tickets/%d/notes" % tid,
                                   {"text": text})
            if st != 201:
                break
        assert st == 503, (st, body)
    fill(small / "filler2")


def clean_stop(tame):
    tame.stop()
    log = tame.log_text()
    assert not tame.bad_exits and not [m for m in SANITIZER_MARKS
                                       if m in log], log[-4000:]
    return log


def test_full_disk_errors_name_the_disk(tmp_path):
    """On a full disk, a ticket update is answered 503 and its log line
    says the disk is full, and `tame user password` says so too (exit
    75): SQLite rolls a transaction back itself on SQLITE_FULL, and the
    message of the ROLLBACK that came after it ("cannot rollback - no
    transaction is active") used to replace the cause."""
    with small_fs(tmp_path, "4m") as small:
        tame = Tame(small)
        try:
            tame.setup()
            tame.start()
            tame.send_mail(make_message(subject="Disk full"))
            tid = tame.wait_ticket("Disk full")["id"]
            fill_store(tame, small, tid)
            st, _, body = tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                                   {"status": "solved"})
            assert st == 503, (st, body)
            assert body["error"]["code"] == "storage_unavailable", body
            r = tame.cli("user", "password", "--email",
                         "admin@example.com", "--password-stdin",
                         stdin=b"another password 1\n", check=False)
            assert r.returncode == 75, r
            assert "disk is full" in r.err and ROLLBACK not in r.err, r
        finally:
            log = clean_stop(tame)
    patch = [l for l in log.splitlines() if "PATCH /api/v1/tickets" in l
             and "[error]" in l]
    assert patch and "disk is full" in patch[0], patch or log[-3000:]
    assert ROLLBACK not in log, [l for l in log.splitlines()
                                 if ROLLBACK in l][:3]
