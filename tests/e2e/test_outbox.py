"""Mail out: queueing while the relay is down, refusals, restarts,
bounces, and acknowledgements that never loop."""

import email.utils
import threading
import time
import uuid

import pytest

from conftest import (MAILBOX, SLOW, Api, SmtpSink, assert_error,
                      make_message, new_msgid, settle, strip_angle,
                      sync_shim, wait_for)


def open_ticket(tame, subject, sender="carol@example.org"):
    msg = make_message(sender=sender, subject=subject)
    tame.send_mail(msg)
    return tame.wait_ticket(subject)["id"], msg


def delivery(tame, tid, mid):
    return tame.message(tid, mid)["delivery"]


def test_relay_down_reply_queued_then_sent(tame):
    tid, _ = open_ticket(tame, "Relay is down")
    out = tame.reply(tid, "We are on it.")
    assert out["delivery"]["state"] == "queued"
    # connection refused is temporary: it stays queued across retries
    settle(1.5)
    d = delivery(tame, tid, out["id"])
    assert d["state"] == "queued", d
    sink = SmtpSink(tame.relay_port)
    try:
        sink.wait_count(1, timeout=30)
        wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent",
                 what="the reply marked sent")
        assert sink.messages[0]["rcpts"] == ["carol@example.org"]
        assert sink.messages[0]["msg"]["Subject"] == (
            "Re: Relay is down [#%d]" % tid)
        settle(0.5)
        assert len(sink.messages) == 1
    finally:
        sink.stop()


def test_temporary_refusal_retried(tame, sink):
    sink.fail = {"stage": "rcpt", "code": 451, "text": "4.3.0 try later"}
    tid, _ = open_ticket(tame, "Greylisted")
    out = tame.reply(tid, "Answer.")
    wait_for(lambda: any(c.upper().startswith("RCPT") for c in
                         sink.commands), what="a first attempt")
    settle(0.3)
    assert delivery(tame, tid, out["id"])["state"] == "queued"
    sink.fail = None
    sink.wait_count(1, timeout=30)
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent")


def test_permanent_refusal_marks_reply_failed(tame, sink):
    sink.fail = {"stage": "rcpt", "code": 550,
                 "text": "5.1.1 <carol@example.org>: mailbox unknown"}
    tid, _ = open_ticket(tame, "Relay refuses")
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/followers" % tid,
                          {"agent_id": tame.admin_id})
    assert st in (200, 201), ans
    out = tame.reply(tid, "This will not arrive.", status="solved")
    d = wait_for(lambda: (lambda x: x if x["state"] == "failed" else None)(
        delivery(tame, tid, out["id"])), what="the reply marked failed")
    assert d["error"], d
    assert "550" in d["error"], d
    # in the relay's own words
    assert "mailbox unknown" in d["error"], d
    # the ticket says so in its history and is open again: the customer
    # still waits for an answer
    t = wait_for(lambda: (lambda x: x if x["status"] == "open" else None)(
        tame.ticket(tid)), what="the ticket open again")
    failed = [e for e in t["events"] if e["kind"] == "reply.failed"]
    assert failed and failed[0]["data"]["message_id"] == out["id"], t
    assert "mailbox unknown" in failed[0]["data"]["error"]
    # the history says it opened again, as for a bounce
    assert [e["data"] for e in t["events"]
            if e["kind"] == "ticket.reopened"] == [{"status": "open"}], t
    # and a follower is told
    notes = tame.get("/api/v1/notifications")["notifications"]
    assert [n["message_id"] for n in notes
            if n["kind"] == "reply.failed"] == [out["id"]], notes
    # it is not retried after a permanent refusal
    n = len([c for c in sink.commands if c.upper().startswith("RCPT")])
    settle(1.0)
    assert len([c for c in sink.commands
                if c.upper().startswith("RCPT")]) == n
    assert sink.messages == []


def test_refusal_after_data_marks_failed(tame, sink):
    sink.fail = {"stage": "data", "code": 554,
                 "text": "5.7.1 message rejected as spam"}
    tid, _ = open_ticket(tame, "Spam filter")
    out = tame.reply(tid, "Buy now.")
    d = wait_for(lambda: (lambda x: x if x["state"] == "failed" else None)(
        delivery(tame, tid, out["id"])), what="the reply marked failed")
    assert "554" in d["error"], d
    assert "rejected as spam" in d["error"], d


def test_refused_cc_does_not_stop_the_reply(tame, sink):
    """The relay refusing one CC address: the customer and the other CCs
    still get the reply, and the reply names the address refused.
    Before, nothing went out and the error named no address."""
    sink.fail = {"stage": "rcpt", "code": 550, "only": "gone@",
                 "text": "5.1.1 <gone@other.test>: no such user"}
    tid, _ = open_ticket(tame, "With a bad CC")
    out = tame.reply(tid, "For all of you.",
                     cc=["gone@other.test", "boss@example.org"])
    sink.wait_count(1)
    assert sorted(sink.messages[0]["rcpts"]) == [
        "boss@example.org", "carol@example.org"]
    d = wait_for(lambda: (lambda x: x if x["state"] == "sent" and
                          x["error"] else None)(
        delivery(tame, tid, out["id"])), what="the refused CC named")
    assert "gone@other.test" in d["error"] and "no such user" in d["error"]
    settle(1.0)
    assert len(sink.messages) == 1


def test_refused_customer_fails_the_reply_though_a_cc_got_it(tame, sink):
    """The relay refusing the customer's own address for good while it
    takes a CC: the CC has the reply, the customer never will. The reply
    is failed, the ticket opens again, and nothing is sent twice."""
    sink.fail = {"stage": "rcpt", "code": 550, "only": "carol@",
                 "text": "5.1.1 <carol@example.org>: mailbox gone"}
    tid, _ = open_ticket(tame, "Customer gone")
    out = tame.reply(tid, "For you and your boss.", cc=["boss@example.org"],
                     status="solved")
    sink.wait_count(1)
    assert sink.messages[0]["rcpts"] == ["boss@example.org"]
    d = wait_for(lambda: (lambda x: x if x["state"] == "failed" else None)(
        delivery(tame, tid, out["id"])), what="the reply marked failed")
    assert "carol@example.org" in d["error"] and "mailbox gone" in d[
        "error"], d
    t = wait_for(lambda: (lambda x: x if x["status"] == "open" else None)(
        tame.ticket(tid)), what="the ticket open again")
    assert any(e["kind"] == "reply.failed" for e in t["events"]), \
        t["events"]
    settle(1.5)
    assert len(sink.messages) == 1


def test_customer_refused_for_now_is_retried_and_nobody_gets_it_twice(
        tame, sink):
    """A 4xx to the customer's own address is temporary: nothing is
    sent (not even to the CCs the relay took), the reply waits with the
    reason and goes to everyone once the relay takes the customer.
    Before, the CCs got it and the reply was failed for good."""
    sink.fail = {"stage": "rcpt", "code": 451, "only": "carol@",
                 "text": "4.2.0 <carol@example.org>: mailbox busy"}
    tid, _ = open_ticket(tame, "Customer busy")
    out = tame.reply(tid, "For you and your boss.", cc=["boss@example.org"],
                     status="solved")
    d = wait_for(lambda: (lambda x: x if x["error"] else None)(
        delivery(tame, tid, out["id"])), what="the reply's error")
    assert d["state"] == "queued", d
    assert "carol@example.org" in d["error"] and "busy" in d["error"], d
    assert sink.data_seen == 0 and sink.messages == []
    assert tame.ticket(tid)["status"] == "solved"
    sink.fail = None
    sink.wait_count(1, timeout=30)
    assert sorted(sink.messages[0]["rcpts"]) == ["boss@example.org",
                                                 "carol@example.org"]
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent",
             what="the reply sent")
    settle(1.0)
    assert len(sink.messages) == 1


def test_cc_refused_for_now_gets_the_reply_later(tame, sink):
    """A 4xx to a CC (greylisting, a full mailbox) does not drop the CC:
    the customer has the reply at once, the reply says the CC gets it
    later, and the CC alone gets it once the relay takes it."""
    sink.fail = {"stage": "rcpt", "code": 451, "only": "boss@",
                 "text": "4.7.1 <boss@example.org>: greylisted"}
    tid, _ = open_ticket(tame, "Greylisted CC")
    out = tame.reply(tid, "For both of you.", cc=["boss@example.org"])
    sink.wait_count(1)
    assert sink.messages[0]["rcpts"] == ["carol@example.org"]
    d = wait_for(lambda: (lambda x: x if x["state"] == "sent" and
                          x["error"] else None)(
        delivery(tame, tid, out["id"])), what="the CC named")
    assert "greylisted" in d["error"] and "boss@example.org again later" \
        in d["error"], d
    sink.fail = None
    sink.wait_count(2, timeout=30)
    assert sink.messages[1]["rcpts"] == ["boss@example.org"]
    assert sink.messages[1]["msg"]["Message-ID"] == \
        sink.messages[0]["msg"]["Message-ID"]
    settle(1.0)
    assert len(sink.messages) == 2
    assert delivery(tame, tid, out["id"])["state"] == "sent"
    assert not [e for e in tame.ticket(tid)["events"]
                if e["kind"] == "reply.failed"]


@pytest.mark.parametrize("customer,cc,state", [
    ((550, "5.1.1 <carol@example.org>: no such user"),
     (451, "4.7.1 <boss@example.org>: greylisted"), "failed"),
    ((451, "4.2.0 <carol@example.org>: mailbox busy"),
     (550, "5.1.1 <boss@example.org>: no such user"), "queued"),
])
def test_every_recipient_refused_the_customer_decides(tame, sink, customer,
                                                      cc, state):
    """When the relay refuses every recipient, the customer's own answer
    says whether the reply failed for good or waits, not the last
    recipient's (a CC's)."""
    sink.fail = {"stage": "rcpt", "by": {"carol@": customer,
                                         "boss@": cc}}
    tid, _ = open_ticket(tame, "All refused %d" % customer[0])
    out = tame.reply(tid, "Nobody gets this yet.", cc=["boss@example.org"])
    d = wait_for(lambda: (lambda x: x if x["error"] else None)(
        delivery(tame, tid, out["id"])), what="the reply's error")
    settle(0.5)
    d = delivery(tame, tid, out["id"])
    assert d["state"] == state, d
    assert str(customer[0]) in d["error"], d
    assert sink.messages == []


def test_sent_is_recorded_before_the_relay_answers_quit(tame, sink):
    """A relay that takes the message and then dawdles over QUIT: the
    reply is marked sent at the relay's 250, so a crash meanwhile does
    not send it again. Before, it stayed queued for libcurl's 120 s wait
    for QUIT, and a restart in that time sent it twice."""
    sink.hang = {"stage": "quit", "seconds": 60}
    tid, _ = open_ticket(tame, "Slow goodbye")
    out = tame.reply(tid, "Once only.")
    sink.wait_count(1)
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent", 10,
             what="the reply marked sent while the relay says nothing")
    tame.kill9()
    sink.hang = None
    tame.start()
    tame.reply(tid, "Second answer.")
    sink.wait_count(2)
    settle(1.0)
    texts = [m["msg"].get_body(("plain",)).get_content()
             for m in sink.messages]
    assert sum("Once only" in x for x in texts) == 1, texts


def test_sent_but_not_recorded_is_not_sent_again(tame, sink):
    """The relay takes a reply while the store cannot record it (here
    another process holds the write lock past tamed's wait; a full disk
    does the same): the reply is not sent again and again, and is marked
    sent once the store takes writes again."""
    import sqlite3
    tid, _ = open_ticket(tame, "Write lock")
    sink.hang = {"stage": "dot", "seconds": 1.5}
    out = tame.reply(tid, "Sent exactly once.")
    db = sqlite3.connect(str(tame.data / "tame.db"), timeout=10,
                         isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        sink.wait_count(1)
        # tamed waits 10 s for the lock, then cannot mark it sent
        time.sleep(14)
        assert len(sink.messages) == 1, [m["rcpts"] for m in sink.messages]
    finally:
        db.execute("ROLLBACK")
        db.close()
    sink.hang = None
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent",
             timeout=15, what="the reply marked sent")
    settle(2.0)
    assert len(sink.messages) == 1
    assert "marked sent at last" in tame.log_tail()


def test_stop_while_the_relay_hangs(tame, sink):
    """SIGTERM while the relay keeps tamed waiting before the message is
    sent: tamed gives up the send and stops at once (exit 0); the reply
    goes out after the restart, once. Before, the stop waited for the
    relay (two minutes and more). (Once the message is sent, a stop
    waits up to 30 s more for the relay's answer to its "." rather than
    risk sending it twice.)"""
    sink.hang = {"stage": "data", "seconds": 120}
    tid, _ = open_ticket(tame, "Hung relay")
    out = tame.reply(tid, "Patience.")
    wait_for(lambda: any(c.upper() == "DATA" for c in sink.commands),
             what="the relay keeping tamed waiting")
    t0 = time.monotonic()
    assert tame.stop() == 0
    assert time.monotonic() - t0 < 5, "the stop waited for the relay"
    sink.hang = None
    tame.start()
    sink.wait_count(1, timeout=30)
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent")
    settle(1.0)
    assert len(sink.messages) == 1


def test_stop_while_the_relay_answers_the_dot_does_not_send_twice(tame,
                                                                  sink):
    """SIGTERM once the whole message is with the relay, which takes a
    few seconds to answer its "." (a content scan): tamed waits for the
    answer, records the reply sent, and does not send it again after the
    restart. Before, it gave up at once and sent it twice."""
    sink.hang = {"stage": "dot", "seconds": 4}
    tid, _ = open_ticket(tame, "Scanned slowly")
    out = tame.reply(tid, "Exactly once.")
    wait_for(lambda: sink.data_seen == 1, what="the whole message sent")
    t0 = time.monotonic()
    assert tame.stop() == 0
    assert 2 < time.monotonic() - t0 < 25
    sink.hang = None
    tame.start()
    assert delivery(tame, tid, out["id"])["state"] == "sent"
    tame.reply(tid, "Second answer.")
    sink.wait_count(2)
    settle(1.0)
    texts = [m["msg"].get_body(("plain",)).get_content()
             for m in sink.messages]
    assert sum("Exactly once" in x for x in texts) == 1, texts


def test_reply_retried_with_its_idempotency_key_is_sent_once(tame, sink):
    """The answer to a reply was lost and the client sends it again with
    the same Idempotency-Key: the first answer comes back, one email
    goes. Before, the key was ignored and the customer got two."""
    tid, _ = open_ticket(tame, "Flaky network")
    key = {"Idempotency-Key": "reply-" + uuid.uuid4().hex}
    body = {"text": "Sent once, whatever the network does."}
    st, _, first = tame.api("POST", "/api/v1/tickets/%d/replies" % tid,
                            body, headers=key)
    assert st == 201, first
    st, h, again = tame.api("POST", "/api/v1/tickets/%d/replies" % tid,
                            body, headers=key)
    assert st == 201 and again == first
    assert h.get("Idempotent-Replayed") == "true"
    st, _, err = tame.api("POST", "/api/v1/tickets/%d/replies" % tid,
                          {"text": "Another text."}, headers=key)
    assert assert_error(st, err, 422)["code"] == "idempotency_key_reused"
    # a refused request gives its key back
    other = {"Idempotency-Key": "reply-" + uuid.uuid4().hex}
    st, _, err = tame.api("POST", "/api/v1/tickets/999999/replies", body,
                          headers=other)
    assert_error(st, err, 404)
    sink.wait_count(1)
    settle(1.0)
    assert len(sink.messages) == 1
    outs = [m for m in tame.ticket(tid)["messages"] if m["direction"] == "out"]
    assert len(outs) == 1


def test_reply_retried_after_a_colleague_answered_hears_its_answer(
        tame, sink):
    """Ann's reply went, its answer was lost; Bob answered; Ann's client
    sends it again under the same Idempotency-Key: it hears that its
    reply was sent (the first answer), not "a colleague answered", which
    had the web app offer to send it again. The customer gets two
    emails, not three."""
    tid, _ = open_ticket(tame, "Retry after a colleague")
    seen = tame.ticket(tid)["messages"][-1]["id"]
    key = {"Idempotency-Key": "reply-" + uuid.uuid4().hex}
    body = {"text": "Ann's answer.", "since_message_id": seen}
    st, _, first = tame.api("POST", "/api/v1/tickets/%d/replies" % tid,
                            body, headers=key)
    assert st == 201, first
    _, bob = tame.add_agent("bob@example.com")
    st, _, ans = Api(tame.http_port, bob).call(
        "POST", "/api/v1/tickets/%d/replies" % tid,
        {"text": "Bob's answer.",
         "since_message_id": first["message"]["id"]})
    assert st == 201, ans
    st, h, again = tame.api("POST", "/api/v1/tickets/%d/replies" % tid,
                            body, headers=key)
    assert st == 201 and again == first, (st, again)
    assert h.get("Idempotent-Replayed") == "true"
    sink.wait_count(2)
    settle(1.0)
    assert len(sink.messages) == 2


@pytest.mark.parametrize("signature", [None, "-- \nThe support team"])
def test_reply_retried_after_a_stop_mid_request_is_not_sent_again(
        tame, sink, signature):
    """tamed stopped after storing a reply but before answering: the
    retry under the same Idempotency-Key, once the claim is stale, finds
    the reply (signed by the mailbox or not) and answers 409
    already_sent, and says so again after. Before, with a signature the
    stored text never matched and the reply went twice."""
    if signature:
        assert tame.api("PATCH", "/api/v1/mailboxes/%d" % tame.mailbox_id(),
                        {"signature": signature})[0] == 200
    tid, _ = open_ticket(tame, "Stopped mid-request")
    key = {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    body = {"text": "Sent once.  "}
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/replies" % tid, body,
                          headers=key)
    assert st == 201, ans
    # as if it had stopped before answering, ten minutes ago
    tame.restart_mid_request()
    for _ in range(2):
        st, _, ans = tame.api("POST", "/api/v1/tickets/%d/replies" % tid,
                              body, headers=key)
        assert assert_error(st, ans, 409)["code"] == "already_sent"
    outs = [m for m in tame.ticket(tid)["messages"]
            if m["direction"] == "out"]
    assert len(outs) == 1


def test_claim_of_a_killed_tamed_is_taken_over_at_once(tame, sink):
    """tamed killed in the middle of a request under an Idempotency-Key:
    the retry after the restart goes on at once (the claim died with
    that tamed), not 409 in_progress for five minutes."""
    tid, _ = open_ticket(tame, "Killed mid-request")
    key = {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    body = {"text": "Sent once after the crash."}
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/replies" % tid, body,
                          headers=key)
    assert st == 201, ans
    # as if it had died before answering: claimed a moment ago
    tame.restart_mid_request(ago_ms=0, kill=True)
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/replies" % tid, body,
                          headers=key)
    assert assert_error(st, ans, 409)["code"] == "already_sent", ans
    outs = [m for m in tame.ticket(tid)["messages"]
            if m["direction"] == "out"]
    assert len(outs) == 1


def test_restart_does_not_send_twice(tame, sink):
    tid, _ = open_ticket(tame, "Send once")
    out = tame.reply(tid, "Only once, please.")
    sink.wait_count(1)
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent")
    tame.restart()
    # queue something new so the sender certainly runs after the restart
    tame.reply(tid, "Second answer.")
    sink.wait_count(2)
    settle(1.0)
    subjects = [m["msg"]["Subject"] for m in sink.messages]
    assert len(sink.messages) == 2, subjects
    texts = [m["msg"].get_body(("plain",)).get_content()
             for m in sink.messages]
    assert sum("Only once" in x for x in texts) == 1
    assert sum("Second answer" in x for x in texts) == 1


def test_queued_reply_survives_restart(tame):
    tid, _ = open_ticket(tame, "Queued over restart")
    out = tame.reply(tid, "Wait for the relay.")
    tame.restart()
    assert delivery(tame, tid, out["id"])["state"] == "queued"
    sink = SmtpSink(tame.relay_port)
    try:
        sink.wait_count(1, timeout=30)
        settle(0.5)
        assert len(sink.messages) == 1
    finally:
        sink.stop()


def reply_without_relay(tame, subject):
    """A reply on a new ticket, once it says it waits for a relay;
    answers (ticket id, reply)."""
    tid, _ = open_ticket(tame, subject)
    out = tame.reply(tid, "Waiting for a relay.")
    wait_for(lambda: "no relay" in (delivery(tame, tid, out["id"])
                                    .get("error") or ""), 10,
             what="the reply waiting for a relay")
    return tid, out


def test_reply_waiting_for_a_relay_goes_once_there_is_one(tame_data):
    """Replies queued while tamed has no relay at all go as soon as one
    is set (by the API, or a restart with --relay), not after the 30 s
    they were put off by."""
    tame_data.start(relay=False)
    tid, out = reply_without_relay(tame_data, "No relay yet")
    sink = SmtpSink()
    try:
        mb = tame_data.mailbox_id()
        st, _, ans = tame_data.api("PATCH", "/api/v1/mailboxes/%d" % mb,
                                   {"relay": {"url": "smtp://127.0.0.1:%d"
                                              % sink.port}})
        assert st == 200, ans
        sink.wait_count(1, timeout=8)
    finally:
        sink.stop()
    # the same after a restart with --relay
    st, _, _ = tame_data.api("PATCH", "/api/v1/mailboxes/%d" % mb,
                             {"relay": None})
    assert st == 200
    out = tame_data.reply(tid, "Waiting again.")
    wait_for(lambda: "no relay" in (delivery(tame_data, tid, out["id"])
                                    .get("error") or ""), 10,
             what="the reply waiting for a relay")
    assert tame_data.stop() == 0
    sink = SmtpSink(tame_data.relay_port)
    try:
        tame_data.start()
        sink.wait_count(1, timeout=8)
    finally:
        sink.stop()


def test_waiting_for_a_relay_does_not_lengthen_the_back_off(tame_data):
    """Looking again at a reply that has no relay to go through is not a
    try: once a relay is set and refuses it for now, the reply is tried
    again after the first step of the back-off, not after one grown by
    every look while it waited. Before, each look (every 30 s, and every
    change of any relay) counted as a failed try."""
    tame = tame_data
    tame.start(relay=False)
    reply_without_relay(tame, "Waits for a relay")
    st, _, other = tame.api("POST", "/api/v1/mailboxes", {
        "address": "other@example.com", "name": "Other"})
    assert st == 201, other
    for port in range(8):
        # a change of any relay has the outbox look at waiting mail
        st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" %
                               other["id"], {"relay": {
                                   "url": "smtp://127.0.0.1:%d" % (port + 1)}})
        assert st == 200, body
        settle(0.3)
    sink = SmtpSink()
    sink.fail = {"stage": "rcpt", "code": 451, "text": "4.3.0 try later"}
    try:
        st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" %
                               tame.mailbox_id(), {"relay": {
                                   "url": "smtp://127.0.0.1:%d" % sink.port}})
        assert st == 200, body
        wait_for(lambda: any(c.upper().startswith("RCPT") for c in
                             sink.commands), what="a first try")
        sink.fail = None
        # the first step is 0.2 s here (TAME_RETRY_BASE_MS); grown by
        # eight looks it would be 12.8 s
        sink.wait_count(1, timeout=4)
    finally:
        sink.stop()


def dsn(original_mid, rcpt="carol@example.org", diag="550 5.1.1 User unknown",
        action="failed"):
    """A delivery-status bounce (RFC 3464) for the message original_mid."""
    boundary = "=_bounce_boundary_42"
    return ("From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
            "To: %(mb)s\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Message-ID: %(mid)s\r\n"
            "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"%(b)s\"\r\n"
            "\r\n"
            "--%(b)s\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
            "Your message could not be delivered to %(rcpt)s.\r\n"
            "\r\n"
            "--%(b)s\r\n"
            "Content-Type: message/delivery-status\r\n"
            "\r\n"
            "Reporting-MTA: dns; mx.example.org\r\n"
            "Arrival-Date: Mon, 1 Jan 2024 09:59:59 +0000\r\n"
            "\r\n"
            "Final-Recipient: rfc822; %(rcpt)s\r\n"
            "Original-Recipient: rfc822;%(rcpt)s\r\n"
            "Action: %(action)s\r\n"
            "Status: %(status)s\r\n"
            "Remote-MTA: dns; mail.example.org\r\n"
            "Diagnostic-Code: smtp; %(diag)s\r\n"
            "\r\n"
            "--%(b)s\r\n"
            "Content-Type: text/rfc822-headers\r\n"
            "\r\n"
            "From: Support <%(mb)s>\r\n"
            "To: %(rcpt)s\r\n"
            "Subject: Re: something\r\n"
            "Message-ID: %(orig)s\r\n"
            "\r\n"
            "--%(b)s--\r\n" % {"mb": MAILBOX, "mid": new_msgid("mx.example.org"),
                               "b": boundary, "rcpt": rcpt, "diag": diag,
                               "orig": original_mid, "action": action,
                               "status": "5.1.1" if action == "failed"
                               else "4.4.1"}).encode()


def test_bounce_attached_and_marks_reply_failed(tame, sink):
    tid, _ = open_ticket(tame, "Will bounce")
    out = tame.reply(tid, "This answer will bounce.", status="solved")
    sent = sink.wait_count(1)[0]["msg"]
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent")
    # a report that delivery is delayed is kept, and changes nothing
    refused = tame.send_raw(dsn(sent["Message-ID"], action="delayed",
                                diag="451 4.4.1 try later"), mail_from="")
    assert refused == {}
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
             what="the delay report on the ticket")
    t = tame.ticket(tid)
    assert t["status"] == "solved"
    assert not [e for e in t["events"] if e["kind"] == "reply.bounced"]
    assert delivery(tame, tid, out["id"])["state"] == "sent"
    refused = tame.send_raw(dsn(sent["Message-ID"]), mail_from="")
    assert refused == {}
    d = wait_for(lambda: (lambda x: x if x["state"] == "failed" else None)(
        delivery(tame, tid, out["id"])), what="the reply marked failed")
    assert "User unknown" in d["error"] or "5.1.1" in d["error"], d
    t = tame.ticket(tid)
    assert t["message_count"] == 4
    # the customer still waits for an answer: the ticket is open again
    assert t["status"] == "open"
    kinds = [e["kind"] for e in t["events"]]
    assert "reply.bounced" in kinds and "ticket.reopened" in kinds, kinds
    bounce = t["messages"][3]
    assert bounce["subject"] == "Undelivered Mail Returned to Sender"
    # the bounce is on the ticket, not a ticket of its own, and not
    # answered
    assert len(tame.tickets()) == 1
    settle(0.5)
    assert len(sink.messages) == 1
    # the next reply threads on what the customer has, not the reports
    tame.reply(tid, "Trying again.")
    again = sink.wait_count(2)[1]["msg"]
    assert strip_angle(again["In-Reply-To"]) == strip_angle(
        sent["Message-ID"]), again["In-Reply-To"]
    assert "mx.example.org" not in again["References"]


def test_bounce_for_a_cc_only_keeps_the_reply_sent(tame, sink):
    """A reply went to the customer and a colleague of theirs in CC; the
    report says only the CC's address failed: the customer has the
    answer, so the reply stays sent, saying who did not get it, and the
    ticket stays solved. Before, the whole reply was failed and the
    ticket opened again."""
    tid, _ = open_ticket(tame, "CC bounce")
    out = tame.reply(tid, "Done, see attached.", status="solved",
                     cc=["finance@example.org"])
    sent = sink.wait_count(1)[0]["msg"]
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent")
    assert tame.send_raw(dsn(sent["Message-ID"],
                             rcpt="Finance@example.org"), mail_from="") == {}
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
             what="the report on the ticket")
    t = tame.ticket(tid)
    assert t["status"] == "solved"
    d = delivery(tame, tid, out["id"])
    assert d["state"] == "sent", d
    assert "finance@example.org" in d["error"] and "5.1.1" in d["error"], d
    ev = [e for e in t["events"] if e["kind"] == "reply.bounced"]
    assert ev and ev[0]["data"]["address"] == "finance@example.org", ev
    # a report naming the customer still fails the reply: here the
    # customer's address forwards elsewhere, which refuses (the report
    # names the customer only as the original recipient)
    forwarded = dsn(sent["Message-ID"], rcpt="carol@example.org").replace(
        b"Final-Recipient: rfc822; carol@example.org",
        b"Final-Recipient: rfc822; carol.c@elsewhere.example")
    assert b"carol.c@elsewhere" in forwarded
    assert tame.send_raw(forwarded, mail_from="") == {}
    wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "failed",
             what="the reply failed")
    assert tame.ticket(tid)["status"] == "open"


def test_bounce_after_a_merge_still_fails_the_reply(tame, sink):
    """A reply to customer X, then X's ticket merged into customer Y's
    (the same person's home and work address): a report that X's copy
    failed fails the reply and opens the ticket. Before, X was no longer
    the ticket's customer, the report was taken for a CC's, and the
    ticket stayed solved with the reply shown as sent."""
    home, _ = open_ticket(tame, "Order 7 (home)", sender="x@home.example")
    out = tame.reply(home, "Your order ships today.", status="solved")
    sent = sink.wait_count(1)[0]["msg"]
    wait_for(lambda: delivery(tame, home, out["id"])["state"] == "sent")
    work, _ = open_ticket(tame, "Order 7 (work)", sender="y@work.example")
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/merge" % home,
                          {"into": work})
    assert st == 200, ans
    st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % work,
                          {"status": "solved"})
    assert st == 200, ans
    assert tame.send_raw(dsn(sent["Message-ID"], rcpt="x@home.example"),
                         mail_from="") == {}
    wait_for(lambda: delivery(tame, work, out["id"])["state"] == "failed",
             what="the reply failed")
    assert tame.ticket(work)["status"] == "open"


def test_bounce_for_unknown_message_still_stored(tame, sink):
    refused = tame.send_raw(dsn("<not-ours@elsewhere.example>"), mail_from="")
    assert refused == {}
    t = tame.wait_ticket("Undelivered Mail Returned to Sender")
    assert t["message_count"] == 1


def set_ack(tame, enabled=True, template="Ticket {{ticket.id}} received"):
    mbid = tame.mailbox_id()
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" % mbid,
                           {"ack_enabled": enabled, "ack_template": template})
    assert st == 200, body
    return mbid


AUTOMATIC = [
    ("bot1@example.org", {"Auto-Submitted": "auto-replied"}),
    ("bot2@example.org", {"Auto-Submitted": "auto-generated"}),
    ("bot3@example.org", {"Precedence": "bulk"}),
    ("bot4@example.org", {"Precedence": "junk"}),
    ("bot5@example.org", {"List-Id": "<announce.lists.example.org>"}),
    ("mailer-daemon@example.org", {}),
    ("bot6@example.org", {"Precedence": "auto_reply"}),
    # people's mail that asks for no automatic answer
    ("Shop <noreply@shop.example.org>", {}),
    ("Shop <do-not-reply@shop.example.org>", {}),
    ("pat@example.org", {"X-Auto-Response-Suppress": "DR, OOF, AutoReply"}),
    # the mailbox itself (a forward, a loop)
    (MAILBOX, {}),
]


def test_ack_not_sent_to_automatic_mail(tame, sink):
    set_ack(tame)
    for i, (sender, headers) in enumerate(AUTOMATIC):
        tame.send_mail(make_message(sender=sender, subject="Auto %d" % i,
                                    headers=headers))
    # a null envelope sender (MAIL FROM:<>) marks a notification, however
    # ordinary its From looks (RFC 3834, RFC 5321 4.5.5)
    tame.send_mail(make_message(sender="quinn@example.org",
                                subject="Auto null"), mail_from="")
    wait_for(lambda: len(tame.tickets()) == len(AUTOMATIC) + 1,
             what="every automatic mail as a ticket")
    # a normal mail sent afterwards is acknowledged; by then any ack for
    # the automatic ones would have gone too
    tame.send_mail(make_message(sender="human@example.org",
                                subject="A person writes"))
    sink.wait_count(1)
    settle(1.0)
    assert [m["rcpts"] for m in sink.messages] == [["human@example.org"]]


def test_ack_once_per_sender_per_hour(tame, sink):
    # the placeholders of saved replies work here too
    set_ack(tame, template="Hello {{customer.first_name}}, ticket "
                           "{{ticket.id}} ({{ticket.subject}}) received. "
                           "{{agent.name}}")
    tame.send_mail(make_message(sender="Alice Archer <alice@example.org>",
                                subject="First question"))
    tid = tame.wait_ticket("First question")["id"]
    ack = sink.wait_count(1)[0]
    assert ack["rcpts"] == ["alice@example.org"]
    m = ack["msg"]
    text = m.get_body(("plain",)).get_content()
    assert "Hello Alice, ticket %d (First question) received." % tid in \
        text, text
    assert "{{" not in text
    assert m["Auto-Submitted"] and m["Auto-Submitted"].lower() != "no"
    assert "[#%d]" % tid in m["Subject"]
    assert m["From"].addresses[0].addr_spec == MAILBOX
    # a second new ticket from the same sender within the hour: no ack
    tame.send_mail(make_message(sender="alice@example.org",
                                subject="Second question"))
    tame.wait_ticket("Second question")
    # another sender gets one
    tame.send_mail(make_message(sender="bob@example.org",
                                subject="Bob's question"))
    wait_for(lambda: sink.to("bob@example.org"), what="Bob's ack")
    settle(1.0)
    assert len(sink.to("alice@example.org")) == 1
    assert len(sink.to("bob@example.org")) == 1
    assert len(sink.messages) == 2


def test_ack_waits_until_its_mail_is_on_disk(tame_data, tmp_path):
    """The acknowledgement is queued in the same commit as its ticket,
    and that commit is made durable afterwards, by the ingest queue's
    sync. The outbox, looking every 2 s, saw the committed row at once
    and sent the ack while the sync still ran: a crash then would have
    left the customer an ack for a ticket that is gone (its number
    later someone else's). Here the disk takes 4 s to sync the mail:
    the ack must not leave before the sender has its 250."""
    tame = tame_data
    slow = tmp_path / "slowsync"
    tame.start(env=sync_shim(tmp_path, TAME_TEST_SLOWSYNC=slow,
                             TAME_TEST_SLOWSYNC_S=4))
    sink = SmtpSink(tame.relay_port)
    try:
        set_ack(tame)
        answered = {}

        def send():
            tame.send_mail(make_message(sender="dora@example.org",
                                        subject="Slow disk"))
            answered["at"] = time.monotonic()
        slow.touch()
        th = threading.Thread(target=send, daemon=True)
        th.start()
        wait_for(lambda: sink.to("dora@example.org"), 20,
                 interval=0.02, what="the acknowledgement")
        acked_at = time.monotonic()
        th.join(30 * SLOW)
        slow.unlink()
        assert "at" in answered, "no 250 for the mail"
        assert acked_at > answered["at"] - 0.5, (
            "the ack left %.1f s before the mail was on disk" %
            (answered["at"] - acked_at))
    finally:
        sink.stop()


def test_no_ack_for_mail_written_days_ago(tame, sink):
    # a backlog (an IMAP folder connected with old mail in it, mail held
    # up for days) is not acknowledged: those customers wrote long ago
    set_ack(tame)
    old = make_message(sender="olga@example.org", subject="Old backlog")
    del old["Date"]
    old["Date"] = email.utils.formatdate(time.time() - 3 * 86400)
    tame.send_mail(old)
    tame.wait_ticket("Old backlog")
    tame.send_mail(make_message(sender="nina@example.org",
                                subject="Written today"))
    sink.wait_count(1)
    settle(1.0)
    assert [m["rcpts"] for m in sink.messages] == [["nina@example.org"]]


def test_ack_to_a_reply_to_only_from_our_own_form(tame, sink):
    # anyone may name any address in Reply-To: acknowledging it would
    # send ours to strangers; a form on our own site (From at our
    # mailbox's domain) names the customer there
    set_ack(tame)
    tame.send_mail(make_message(sender="spam@evil.example",
                                subject="Victim one",
                                headers={"Reply-To": "victim@third.example"}))
    tame.wait_ticket("Victim one")
    tame.send_mail(make_message(sender="Web form <wordpress@www.example.com>",
                                subject="Form question",
                                headers={"Reply-To": "Pat <pat@example.org>"}))
    tame.wait_ticket("Form question")
    sink.wait_count(1)
    settle(1.0)
    assert [m["rcpts"] for m in sink.messages] == [["pat@example.org"]]


def test_ack_off_by_default(tame, sink):
    tid, _ = open_ticket(tame, "No ack please")
    tame.reply(tid, "A real answer.")
    sink.wait_count(1)
    settle(0.5)
    assert len(sink.messages) == 1
    assert "A real answer" in sink.messages[0]["msg"].get_body(
        ("plain",)).get_content()


def test_answer_to_ack_joins_ticket(tame, sink):
    set_ack(tame)
    first = make_message(sender="ida@example.org", subject="Need help")
    tame.send_mail(first)
    tid = tame.wait_ticket("Need help")["id"]
    ack = sink.wait_count(1)[0]["msg"]
    assert strip_angle(first["Message-ID"]) in ack["In-Reply-To"]
    # the customer answers the acknowledgement as mail clients do
    tame.send_mail(make_message(
        sender="ida@example.org", subject="Re: " + str(ack["Subject"]),
        headers={"In-Reply-To": ack["Message-ID"],
                 "References": "%s %s" % (first["Message-ID"],
                                          ack["Message-ID"])}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 2)
    assert len(tame.tickets()) == 1
    # no second acknowledgement for a message on an existing ticket
    settle(0.5)
    assert len(sink.messages) == 1


def test_answer_naming_only_the_ack_joins_ticket(tame, sink):
    """A customer answers the acknowledgement with a subject of their
    own, and their client names only the acknowledgement: its Message-ID
    is known, so the answer joins the ticket."""
    set_ack(tame)
    tame.send_mail(make_message(sender="jo@example.org",
                                subject="Card declined"))
    tid = tame.wait_ticket("Card declined")["id"]
    ack = sink.wait_count(1)[0]["msg"]
    tame.send_mail(make_message(
        sender="jo@example.org", subject="more details",
        headers={"In-Reply-To": ack["Message-ID"],
                 "References": ack["Message-ID"]}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 2,
             what="the answer on the acknowledged ticket")
    assert len(tame.tickets()) == 1


def test_bounce_of_the_ack_is_kept_on_its_ticket(tame, sink):
    """The acknowledgement to an address that does not take mail
    bounces: the report goes on the ticket it acknowledged (the agent
    learns the address is dead), not into the queue as a ticket of its
    own; the ticket still waits for its first answer."""
    set_ack(tame)
    tame.send_mail(make_message(sender="gone@example.org",
                                subject="Please call me"))
    tid = tame.wait_ticket("Please call me")["id"]
    ack = sink.wait_count(1)[0]["msg"]
    refused = tame.send_raw(dsn(ack["Message-ID"], rcpt="gone@example.org"),
                            mail_from="")
    assert refused == {}
    wait_for(lambda: tame.ticket(tid)["message_count"] == 2,
             what="the bounce on the acknowledged ticket")
    t = tame.ticket(tid)
    assert t["messages"][1]["subject"] == \
        "Undelivered Mail Returned to Sender"
    assert t["status"] == "new"
    assert not [e for e in t["events"] if e["kind"] == "reply.bounced"]
    assert len(tame.tickets()) == 1
    settle(0.5)
    assert len(sink.messages) == 1


def test_deliver_with_a_null_sender_gets_no_acknowledgement(tame, sink):
    """`tame deliver --from ""` (an MTA's pipe for a bounce, SENDER
    empty) writes Return-Path: <> as tamed's SMTP does, so no
    acknowledgement goes to nobody; a real sender still gets one, and a
    Return-Path the MTA wrote is not doubled."""
    mb = tame.mailbox_id()
    assert tame.api("PATCH", "/api/v1/mailboxes/%d" % mb,
                    {"ack_enabled": True})[0] == 200
    tame.cli("deliver", "--from", "", "--to", MAILBOX,
             stdin=make_message(sender="robot@example.org",
                                subject="From nobody").as_bytes())
    tame.cli("deliver", "--from", "dave@example.org", "--to", MAILBOX,
             stdin=make_message(sender="dave@example.org",
                                subject="From Dave").as_bytes())
    raw = b"Return-Path: <erin@example.org>\r\n" + make_message(
        sender="erin@example.org", subject="From Erin").as_bytes()
    tame.cli("deliver", "--from", "erin@example.org", "--to", MAILBOX,
             stdin=raw)
    sink.wait_count(2)
    settle(1.0)
    assert sorted(m["rcpts"][0] for m in sink.messages) == [
        "dave@example.org", "erin@example.org"]
    t = tame.wait_ticket("From Erin")
    mid = tame.ticket(t["id"])["messages"][0]["id"]
    st, _, body = tame.api("GET", "/api/v1/tickets/%d/messages/%d/raw"
                           % (t["id"], mid))
    assert st == 200 and body.count(b"Return-Path:") == 1, body[:300]


def test_out_of_office_answer_to_a_closed_ticket_joins_it(tame, sink):
    """An out-of-office reply to our last answer on a closed ticket
    joins that ticket, which stays closed: before, it made a new ticket
    in the queue. A person writing there still starts a new one."""
    tid, _ = open_ticket(tame, "Closed before the holiday")
    tame.reply(tid, "All done.", status="solved")
    ours = sink.wait_count(1)[0]["msg"]["Message-ID"]
    assert tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                    {"status": "closed"})[0] == 200
    tame.send_mail(make_message(
        sender="carol@example.org", subject="Automatic reply: Re: Closed",
        text="I am away until Monday.\n",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": ours}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
             what="the out-of-office reply on the closed ticket")
    assert tame.ticket(tid)["status"] == "closed"
    tame.send_mail(make_message(sender="carol@example.org",
                                subject="Re: Closed, but one more thing",
                                headers={"In-Reply-To": ours}))
    new = tame.wait_ticket("Re: Closed, but one more thing")
    assert new["id"] != tid
    assert len(tame.tickets()) == 2


def test_read_receipt_joins_without_reopening_or_preview(tame, sink):
    """Outlook's read receipt (a disposition notification) to our
    answer joins the ticket, leaves it pending, and neither becomes the
    list's preview nor resets how long the customer has waited. Before,
    it reopened the ticket with "Your message ... was read" as its
    preview."""
    tid, _ = open_ticket(tame, "Where is my parcel")
    tame.reply(tid, "It left our warehouse today.", status="pending")
    ours = sink.wait_count(1)[0]["msg"]["Message-ID"]
    row = [t for t in tame.tickets(status="any") if t["id"] == tid][0]
    b = "=_mdn_42"
    raw = ("From: carol@example.org\r\nTo: %s\r\n"
           "Subject: Read: Re: Where is my parcel [#%d]\r\n"
           "Message-ID: <mdn-%d@example.org>\r\nIn-Reply-To: %s\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: multipart/report; "
           "report-type=disposition-notification; boundary=\"%s\"\r\n"
           "\r\n--%s\r\nContent-Type: text/plain\r\n\r\n"
           "Your message was read on Monday.\r\n"
           "--%s\r\nContent-Type: message/disposition-notification\r\n"
           "\r\nFinal-Recipient: rfc822;carol@example.org\r\n"
           "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
           "\r\n--%s--\r\n") % (MAILBOX, tid, tid, ours, b, b, b, b)
    assert tame.send_raw(raw.encode(), mail_from="carol@example.org") == {}
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
             what="the receipt on the ticket")
    t = tame.ticket(tid)
    assert t["status"] == "pending"
    after = [x for x in tame.tickets(status="any") if x["id"] == tid][0]
    assert after["preview"] == row["preview"], after
    assert "was read" not in after["preview"]
    settle(0.5)
    assert len(sink.messages) == 1


def test_list_mail_of_a_person_is_their_last_word(tame, sink):
    """A customer writing through a mailing list (List-Id: automatic to
    the acknowledgement) still wrote it themself: it is the list's
    preview and tells the ticket's followers."""
    tid, first = open_ticket(tame, "Group question")
    st, _, _ = tame.api("POST", "/api/v1/tickets/%d/followers" % tid,
                        {"agent_id": tame.admin_id})
    assert st in (200, 201)
    before = tame.get("/api/v1/notifications")["unread"]
    tame.send_mail(make_message(
        sender="carol@example.org", subject="Re: Group question",
        text="Any news on this one?\n",
        headers={"In-Reply-To": first["Message-ID"],
                 "List-Id": "<users.lists.example.org>"}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 2)
    row = [t for t in tame.tickets() if t["id"] == tid][0]
    assert row["preview"] == "Any news on this one?", row
    assert tame.get("/api/v1/notifications")["unread"] == before + 1


def test_out_of_office_answer_does_not_reopen(tame, sink):
    """The customer's out-of-office reply to our answer joins the
    ticket but leaves it solved; the customer's own next mail reopens
    it. Before, the automatic reply reopened the ticket."""
    tid, _ = open_ticket(tame, "Solved before the holiday")
    tame.reply(tid, "Fixed it for you.", status="solved")
    ours = sink.wait_count(1)[0]["msg"]["Message-ID"]
    oof = make_message(sender="carol@example.org",
                       subject="Automatic reply: Re: Solved [#%d]" % tid,
                       text="I am away until Monday.\n",
                       headers={"Auto-Submitted": "auto-replied",
                                "In-Reply-To": ours})
    tame.send_mail(oof)
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
             what="the out-of-office reply on the ticket")
    assert tame.ticket(tid)["status"] == "solved"
    tame.send_mail(make_message(sender="carol@example.org",
                                subject="Re: Solved [#%d]" % tid,
                                text="It broke again.\n",
                                headers={"In-Reply-To": ours}))
    wait_for(lambda: tame.ticket(tid)["status"] == "open",
             what="the ticket reopened by the customer")



def test_relay_from_the_environment_and_its_password_never_logged(
        tame_data):
    # TAME_RELAY keeps the password out of the process list; the log
    # names the relay without it
    tame = tame_data
    sink = SmtpSink()
    try:
        tame.start(relay=False, env={
            "TAME_RELAY": "smtp://bob:Sup3rSecretPW@127.0.0.1:%d" %
            sink.port})
        tid, _ = open_ticket(tame, "Relay from the environment")
        out = tame.reply(tid, "Sent through TAME_RELAY.")
        sink.wait_count(1, timeout=30)
        wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent",
                 what="the reply marked sent")
        log = tame.log_text()
        assert "relay smtp://bob@127.0.0.1:%d" % sink.port in log, log
        assert "Sup3rSecretPW" not in log
    finally:
        sink.stop()


def test_global_relay_with_starttls_in_its_url_requires_it(tame_data):
    """TAME_RELAY=smtp://...?starttls requires STARTTLS, as the README
    says: a relay that does not offer it gets no login and no mail (the
    reply waits, saying why). Before, ?starttls was ignored and the
    password went in clear."""
    tame = tame_data
    sink = SmtpSink()
    sink.auth = True
    try:
        tame.start(relay=False, env={
            "TAME_RELAY": "smtp://bob:Sup3rSecretPW@127.0.0.1:%d?starttls"
            % sink.port})
        tid, _ = open_ticket(tame, "STARTTLS required")
        out = tame.reply(tid, "Only over TLS.")
        d = wait_for(lambda: (lambda x: x if x["error"] else None)(
            delivery(tame, tid, out["id"])), what="the reply's error")
        assert d["state"] == "queued" and "STARTTLS" in d["error"], d
        settle(0.5)
        assert sink.messages == []
        assert not [c for c in sink.commands if c.upper().startswith(
            "AUTH")], sink.commands
    finally:
        sink.stop()


def test_login_goes_to_another_machine_only_over_tls(tame_data):
    """A relay named by anything but localhost, 127.x or ::1 is taken
    for another machine: a login there goes only over TLS, so a plain
    smtp:// relay with a password is asked for STARTTLS, and one that
    does not offer it never sees the password. On localhost the same
    URL logs in as before."""
    import socket
    name = socket.gethostname()
    try:
        addr = socket.gethostbyname(name)
    except OSError:
        pytest.skip("the host name %s does not resolve here" % name)
    tame = tame_data
    far = SmtpSink(host=addr)
    far.auth = True
    near = SmtpSink()
    near.auth = True
    try:
        tame.start(relay=False, env={
            "TAME_RELAY": "smtp://bob:Sup3rSecretPW@%s:%d" % (name,
                                                              far.port)})
        tid, _ = open_ticket(tame, "Login over TLS only")
        out = tame.reply(tid, "Not in clear.")
        d = wait_for(lambda: (lambda x: x if x["error"] else None)(
            delivery(tame, tid, out["id"])), what="the reply's error")
        assert d["state"] == "queued", d
        assert "a login to a relay on another machine" in d["error"], d
        assert "STARTTLS" in d["error"], d
        assert far.messages == [] and not [
            c for c in far.commands if c.upper().startswith("AUTH")]
        assert "Sup3rSecretPW" not in tame.log_text()
        tame.stop()
        tame.start(relay=False, env={
            "TAME_RELAY": "smtp://bob:Sup3rSecretPW@127.0.0.1:%d"
            % near.port})
        near.wait_count(1, timeout=30)
        assert [c for c in near.commands if c.upper().startswith("AUTH")]
    finally:
        far.stop()
        near.stop()


def test_health_says_when_replies_wait_or_the_disk_fills(tame_data):
    # a monitor sees a stuck outbox (here the relay is down) and a disk
    # nearly full, not just "ok" while nothing goes out
    tame = tame_data
    tame.start(env={"TAME_HEALTH_WAIT_S": "1"})

    def health():
        st, _, body = tame.api("GET", "/api/v1/health", token=None)
        assert st == 200, body
        return body

    h = health()
    assert h["status"] == "ok" and h["problems"] == [], h
    assert h["outbox"] == {"queued": 0, "oldest_s": 0}
    assert h["disk_free_mb"] > 0
    tid, _ = open_ticket(tame, "Nothing goes out")
    out = tame.reply(tid, "Stuck in the outbox.")
    wait_for(lambda: health()["status"] == "degraded",
             what="health to see the waiting reply")
    h = health()
    assert h["outbox"]["queued"] == 1 and h["outbox"]["oldest_s"] >= 1
    assert "1 mail is waiting to be sent" in h["problems"][0], h
    sink = SmtpSink(tame.relay_port)
    try:
        sink.wait_count(1, timeout=30)
        wait_for(lambda: delivery(tame, tid, out["id"])["state"] == "sent")
        wait_for(lambda: health()["status"] == "ok",
                 what="health ok once the reply went")
    finally:
        sink.stop()
    tame.stop()
    tame.start(env={"TAME_HEALTH_DISK_MB": str(1 << 40)})
    h = health()
    assert h["status"] == "degraded", h
    assert "MB free on the data directory's disk" in h["problems"][0], h


def test_a_single_reply_goes_before_a_mass_replys_mails(tame_data):
    """A colleague's reply does not wait behind a mass reply's mails:
    when both are due, the outbox sends it first (a hosted relay taking
    a few mails a second made that wait minutes behind two thousand).
    Before, mail went in the order it was queued."""
    tame_data.start(relay=False)
    tids = [open_ticket(tame_data, "Wave %d" % i,
                        sender="w%d@example.org" % i)[0] for i in range(4)]
    st, _, ans = tame_data.api("POST", "/api/v1/tickets/bulk", {
        "ticket_ids": tids, "action": "reply",
        "text": "Hi {{customer.first_name}}, it is fixed."})
    assert st == 200 and ans["succeeded"] == 4, ans
    single, out = reply_without_relay(tame_data, "Just me")
    assert tame_data.stop() == 0
    sink = SmtpSink(tame_data.relay_port)
    try:
        tame_data.start()
        msgs = sink.wait_count(5, timeout=20)
        assert msgs[0]["rcpts"] == ["carol@example.org"], [
            m["rcpts"] for m in msgs]
        assert "[#%d]" % single in msgs[0]["msg"]["Subject"]
        assert sorted(m["rcpts"][0] for m in msgs[1:]) == [
            "w%d@example.org" % i for i in range(4)]
        wait_for(lambda: delivery(tame_data, single, out["id"])["state"] ==
                 "sent", what="the single reply marked sent")
    finally:
        sink.stop()
