"""The agents' desk beyond the mail spine (issue 3): saved replies, spell
check, bulk actions and merges, followers and notifications, collision
detection, profiles, sessions and tags - through the HTTP API, with mail
in by SMTP and out to the SMTP sink."""

import csv
import io
import json
import threading
import time
import uuid

import pytest

from conftest import (ADMIN_EMAIL, ADMIN_PASSWORD, MAILBOX, Api,
                      EventStream, assert_error, make_message, settle,
                      strip_angle, wait_for)


# ---------------------------------------------------------------- helpers

def new_ticket(tame, subject, sender="Carol Customer <carol@example.org>",
               text="Hello, something is wrong.\n", **kw):
    """Sends a mail that opens a ticket; answers the ticket (list shape)."""
    tame.send_mail(make_message(sender=sender, subject=subject, text=text,
                                **kw))
    return tame.wait_ticket(subject)


def agent_api(tame, email, role="agent", password="agent-password-1"):
    """A second agent: answers (id, Api with their token)."""
    aid, tok = tame.add_agent(email, role=role, password=password)
    return aid, Api(tame.http_port, tok)


def login(tame, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
    """Answers (status, headers for the session cookie and CSRF, body)."""
    st, h, body = tame.api("POST", "/api/v1/session",
                           {"email": email, "password": password},
                           token=None)
    cookie = None
    for sc in h.get_all("Set-Cookie") or []:
        name, _, rest = sc.partition("=")
        if name.strip() == "tame_session":
            cookie = rest.split(";")[0]
    if st != 201:
        return st, None, body
    return st, {"Cookie": "tame_session=" + cookie,
                "X-CSRF-Token": body["csrf_token"]}, body


def csv_rows(payload):
    return list(csv.DictReader(io.StringIO(payload.decode("utf-8"))))


def mail_text(msg):
    """The text/plain body of a parsed email.message.EmailMessage."""
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


# ---------------------------------------------------------------- saved replies

def test_saved_replies_crud_and_visibility(tame):
    bob_id, bob = agent_api(tame, "bob@example.com")
    st, _, ans = tame.api("POST", "/api/v1/saved-replies",
                          {"title": "Refund", "body": "Hi {{customer.first_name}},"
                           " your refund is on its way.", "shared": True})
    assert st == 201, ans
    shared = ans["saved_reply"]
    assert shared["shared"] is True and shared["owner"]["email"] == ADMIN_EMAIL
    st, _, ans = tame.api("POST", "/api/v1/saved-replies",
                          {"title": "My own", "body": "Private text"})
    assert st == 201, ans
    mine = ans["saved_reply"]
    assert mine["shared"] is False

    # the owner sees both, sorted by title; bob only the shared one
    titles = [r["title"] for r in
              tame.get("/api/v1/saved-replies")["saved_replies"]]
    assert titles == ["My own", "Refund"]
    st, _, ans = bob.call("GET", "/api/v1/saved-replies")
    assert st == 200 and [r["id"] for r in ans["saved_replies"]] == [
        shared["id"]]
    st, _, ans = bob.call("GET", "/api/v1/saved-replies/%d" % mine["id"])
    assert assert_error(st, ans, 404)["code"] == "not_found"
    st, _, ans = bob.call("PATCH", "/api/v1/saved-replies/%d" % mine["id"],
                          {"title": "Stolen"})
    assert_error(st, ans, 404)
    # bob may read but not change the admin's shared reply
    st, _, ans = bob.call("GET", "/api/v1/saved-replies/%d" % shared["id"])
    assert st == 200 and ans["saved_reply"]["title"] == "Refund"
    st, _, ans = bob.call("PATCH", "/api/v1/saved-replies/%d" % shared["id"],
                          {"title": "Mine now"})
    assert assert_error(st, ans, 403)["code"] == "forbidden"
    st, _, ans = bob.call("DELETE", "/api/v1/saved-replies/%d" % shared["id"])
    assert_error(st, ans, 403)

    # search and CSV
    ans = tame.get("/api/v1/saved-replies?q=REFUND")
    assert [r["id"] for r in ans["saved_replies"]] == [shared["id"]]
    st, h, payload = tame.api("GET", "/api/v1/saved-replies?format=csv")
    assert st == 200 and h["Content-Type"].startswith("text/csv")
    rows = csv_rows(payload)
    assert {r["title"] for r in rows} == {"Refund", "My own"}
    assert "owner.name" in rows[0]

    # the owner changes and deletes
    st, _, ans = tame.api("PATCH", "/api/v1/saved-replies/%d" % mine["id"],
                          {"body": "New text", "shared": True})
    assert st == 200, ans
    assert ans["saved_reply"]["body"] == "New text"
    assert ans["saved_reply"]["shared"] is True
    assert ans["saved_reply"]["title"] == "My own"
    st, _, ans = bob.call("GET", "/api/v1/saved-replies/%d" % mine["id"])
    assert st == 200
    st, _, _ = tame.api("DELETE", "/api/v1/saved-replies/%d" % mine["id"])
    assert st == 204
    st, _, ans = tame.api("GET", "/api/v1/saved-replies/%d" % mine["id"])
    assert_error(st, ans, 404)


def test_saved_reply_bad_input(tame):
    for body, code in [({"title": "x"}, "missing_field"),
                       ({"title": "", "body": "b"}, "invalid_field"),
                       ({"title": "  ", "body": "b"}, "invalid_field"),
                       ({"title": "t", "body": "\n"}, "invalid_field"),
                       ({"title": "t", "body": "b", "shared": "yes"},
                        "invalid_field"),
                       ({"title": "t", "body": "b", "owner": 1},
                        "unknown_field"),
                       ({"title": "a\nb", "body": "b"}, "invalid_field"),
                       ({"title": "x" * 201, "body": "b"}, "invalid_field"),
                       ({"title": "t", "body": "b" * (64 * 1024 + 1)},
                        "invalid_field")]:
        st, _, ans = tame.api("POST", "/api/v1/saved-replies", body)
        assert assert_error(st, ans, 400)["code"] == code, (body, ans)
    st, _, ans = tame.api("POST", "/api/v1/saved-replies", raw=b"title=x",
                          content_type="application/x-www-form-urlencoded")
    assert_error(st, ans, 415)
    st, _, ans = tame.api("GET", "/api/v1/saved-replies/999")
    assert_error(st, ans, 404)
    st, _, ans = tame.api("PUT", "/api/v1/saved-replies/1", {})
    assert_error(st, ans, 405)


def test_saved_reply_render(tame):
    t = new_ticket(tame, "Where is my parcel?",
                   sender="Jane Doe <jane.doe@example.org>")
    st, _, ans = tame.api("POST", "/api/v1/saved-replies", {
        "title": "Parcel",
        "body": "Hi {{customer.first_name}} ({{customer.name}}, "
                "{{customer.email}}),\nabout #{{ticket.id}} "
                "\"{{ticket.subject}}\": {{ customer.unknown }}.\n"
                "-- {{agent.first_name}} / {{agent.name}}"})
    assert st == 201
    rid = ans["saved_reply"]["id"]
    st, _, ans = tame.api("POST", "/api/v1/saved-replies/%d/render" % rid,
                          {"ticket_id": t["id"]})
    assert st == 200, ans
    assert ans["body"] == (
        "Hi Jane (Jane Doe, jane.doe@example.org),\nabout #%d "
        "\"Where is my parcel?\": {{ customer.unknown }}.\n"
        "-- Ada / Ada Admin" % t["id"])
    assert ans["title"] == "Parcel" and ans["ticket_id"] == t["id"]
    st, _, ans = tame.api("POST", "/api/v1/saved-replies/%d/render" % rid,
                          {"ticket_id": 999})
    assert_error(st, ans, 404)
    st, _, ans = tame.api("POST", "/api/v1/saved-replies/%d/render" % rid,
                          {})
    assert assert_error(st, ans, 400)["code"] == "missing_field"
    st, _, ans = tame.api("POST", "/api/v1/saved-replies/%d/render" % rid,
                          {"ticket_id": "1"})
    assert_error(st, ans, 400)


# ---------------------------------------------------------------- spell check

def spell(tame, text, **extra):
    body = {"text": text}
    body.update(extra)
    st, _, ans = tame.api("POST", "/api/v1/spellcheck", body)
    assert st == 200, ans
    return ans


def test_spellcheck_finds_words_with_places_and_suggestions(tame):
    text = "Thank you for your pateince, we have recieved your order."
    ans = spell(tame, text)
    assert ans["lang"] == "en_US" and ans["truncated"] is False
    got = [(m["word"], m["offset"], m["length"]) for m in ans["misspellings"]]
    assert got == [("pateince", text.index("pateince"), 8),
                   ("recieved", text.index("recieved"), 8)]
    for m in ans["misspellings"]:
        assert text[m["offset"]:m["offset"] + m["length"]] == m["word"]
    assert "patience" in ans["misspellings"][0]["suggestions"]
    assert "received" in ans["misspellings"][1]["suggestions"]
    assert all(len(m["suggestions"]) <= 5 for m in ans["misspellings"])
    assert spell(tame, "All good here, isn't it?")["misspellings"] == []


def test_spellcheck_skips_links_codes_and_capitals(tame):
    text = ("See https://exampel.com/pagge or write to suport@exampel.org, "
            "set up 2fa and abc123 on VPNX and SMTPZ; path /usr/libb.\n"
            "> the customer's qoute is not ours\n"
            "but thiss is.")
    got = [m["word"] for m in spell(tame, text)["misspellings"]]
    assert got == ["thiss"]


def test_spellcheck_offsets_count_utf16(tame):
    # an emoji is two UTF-16 code units, an accented letter one
    text = "Caf\u00e9 \U0001F600 mistaek here"
    ans = spell(tame, text)
    m = [x for x in ans["misspellings"] if x["word"] == "mistaek"]
    assert m, ans
    off = len("Caf\u00e9 ".encode("utf-16-le")) // 2 + 2 + 1
    assert m[0]["offset"] == off and m[0]["length"] == 7


def test_spellcheck_bad_input(tame):
    st, _, ans = tame.api("POST", "/api/v1/spellcheck", {})
    assert assert_error(st, ans, 400)["code"] == "missing_field"
    st, _, ans = tame.api("POST", "/api/v1/spellcheck",
                          {"text": "x", "lang": "../../etc/passwd"})
    assert assert_error(st, ans, 400)["code"] == "invalid_field"
    st, _, ans = tame.api("POST", "/api/v1/spellcheck",
                          {"text": "x" * (64 * 1024 + 1)})
    assert_error(st, ans, 400)
    st, _, ans = tame.api("POST", "/api/v1/spellcheck",
                          {"text": "hello", "lang": "xx_YY"})
    assert assert_error(st, ans, 503)["code"] == "spellcheck_unavailable"
    st, _, ans = tame.api("POST", "/api/v1/spellcheck", {"text": "hello"},
                          token=None)
    assert_error(st, ans, 401)


def test_spellcheck_many_words_is_bounded(tame):
    text = " ".join("wrongg%s" % ("x" * (i % 7)) for i in range(300))
    ans = spell(tame, text)
    assert len(ans["misspellings"]) == 200 and ans["truncated"] is True


def test_spellcheck_of_long_nonsense_words_holds_nobody_up(tame):
    # long words cost hunspell seconds each to suggest for: several
    # such requests at once held the dictionary and both request
    # threads for a minute, and the whole team waited
    import random
    import threading
    rnd = random.Random(7)
    text = " ".join("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz")
                            for _ in range(90)) for _ in range(50))
    times = []

    def one():
        t0 = time.monotonic()
        ans = spell(tame, text)
        times.append(time.monotonic() - t0)
        assert len(ans["misspellings"]) == 50

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    st, _, _ = tame.api("GET", "/api/v1/health", token=None)
    health_s = time.monotonic() - t0
    for t in threads:
        t.join()
    assert st == 200 and len(times) == 6
    assert health_s < 10 and max(times) < 20, (health_s, times)


def test_spellcheck_without_dictionaries_is_503(tame_data, tmp_path):
    tame_data.start(env={"TAME_HUNSPELL_DIR": str(tmp_path)})
    st, _, ans = tame_data.api("POST", "/api/v1/spellcheck", {"text": "hi"})
    assert assert_error(st, ans, 503)["code"] == "spellcheck_unavailable"


# ---------------------------------------------------------------- bulk, merge

def bulk(tame, body, key=None, api=None):
    h = {"Idempotency-Key": key} if key else None
    call = api.call if api else tame.api
    return call("POST", "/api/v1/tickets/bulk", body, headers=h)


def test_idempotency_key_not_ascii_refused_nothing_sent(tame, sink):
    """An Idempotency-Key with a byte outside printable ASCII is refused
    (400), not dropped: dropped, the retry would send the reply again."""
    t = new_ticket(tame, "Key with a Latin-1 byte")
    body = {"ticket_ids": [t["id"]], "action": "reply", "text": "Once"}
    for _ in range(2):
        st, _, err = bulk(tame, body, "retry-\xe9")
        assert assert_error(st, err, 400)["code"] == "invalid_header"
    settle(0.5)
    assert sink.messages == []
    assert [m for m in tame.ticket(t["id"])["messages"]
            if m["direction"] == "out"] == []


def test_bulk_reply_personalised_in_each_thread_and_idempotent(tame, sink):
    people = [("Ann Alpha <ann@example.org>", "Order A"),
              ("Bert Beta <bert@example.org>", "Order B"),
              ("Cleo Gamma <cleo@example.org>", "Order C")]
    mids, tids = {}, []
    for sender, subject in people:
        mid = "<%s@example.org>" % uuid.uuid4().hex
        t = new_ticket(tame, subject, sender=sender, message_id=mid)
        mids[t["id"]] = mid
        tids.append(t["id"])
    body = {"ticket_ids": tids, "action": "reply", "status": "solved",
            "text": "Hi {{customer.first_name}}, ticket {{ticket.id}} "
                    "is fixed. {{agent.first_name}}"}
    key = str(uuid.uuid4())
    st, h, ans = bulk(tame, body, key)
    assert st == 200, ans
    assert ans["succeeded"] == 3 and ans["failed"] == 0
    assert [r["ticket_id"] for r in ans["results"]] == tids
    assert all(r["ok"] and r["message_id"] for r in ans["results"])
    msgs = sink.wait_count(3)
    by_rcpt = {m["rcpts"][0]: m["msg"] for m in msgs}
    for (sender, subject), tid in zip(people, tids):
        first = sender.split()[0]
        addr = sender.split("<")[1].rstrip(">")
        m = by_rcpt[addr]
        assert mail_text(m).strip() == (
            "Hi %s, ticket %d is fixed. Ada" % (first, tid))
        assert "[#%d]" % tid in m["Subject"]
        assert strip_angle(m["In-Reply-To"]) == strip_angle(mids[tid])
        assert tame.ticket(tid)["status"] == "solved"
    # the same request again: the kept answer, nothing sent twice
    st, h2, ans2 = bulk(tame, body, key)
    assert st == 200 and ans2 == ans
    assert h2["Idempotent-Replayed"] == "true"
    # the same key for another request
    st, _, err = bulk(tame, dict(body, text="Other"), key)
    assert assert_error(st, err, 422)["code"] == "idempotency_key_reused"
    settle(1)
    assert len(sink.messages) == 3
    for tid in tids:
        outs = [m for m in tame.ticket(tid)["messages"]
                if m["direction"] == "out"]
        assert len(outs) == 1


def test_bulk_reply_with_saved_reply(tame, sink):
    t1 = new_ticket(tame, "Saved one", sender="Dora <dora@example.org>")
    t2 = new_ticket(tame, "Saved two", sender="eve@example.org")
    st, _, ans = tame.api("POST", "/api/v1/saved-replies",
                          {"title": "Thanks", "body": "Thanks {{customer."
                           "first_name}} for {{ticket.subject}}."})
    rid = ans["saved_reply"]["id"]
    st, _, ans = bulk(tame, {"ticket_ids": [t1["id"], t2["id"]],
                             "action": "reply", "saved_reply_id": rid})
    assert st == 200 and ans["succeeded"] == 2, ans
    msgs = sink.wait_count(2)
    texts = sorted(mail_text(m["msg"]).strip() for m in msgs)
    assert texts == ["Thanks Dora for Saved one.",
                     "Thanks Eve for Saved two."]
    # someone else's personal reply is not found
    _, bob = agent_api(tame, "bob@example.com")
    st, _, err = bulk(tame, {"ticket_ids": [t1["id"]], "action": "reply",
                             "saved_reply_id": rid}, api=bob)
    assert_error(st, err, 404)


def test_bulk_assign_tag_status_with_per_ticket_results(tame):
    bob_id, _ = agent_api(tame, "bob@example.com")
    a = new_ticket(tame, "Bulk A")["id"]
    b = new_ticket(tame, "Bulk B")["id"]
    st, _, ans = bulk(tame, {"ticket_ids": [a, b, 9999], "action": "assign",
                             "assignee_id": bob_id})
    assert st == 200, ans
    assert ans["succeeded"] == 2 and ans["failed"] == 1
    bad = ans["results"][2]
    assert bad["ticket_id"] == 9999 and bad["ok"] is False
    assert bad["error"]["code"] == "not_found"
    assert tame.ticket(a)["assignee"]["id"] == bob_id
    st, _, ans = bulk(tame, {"ticket_ids": [a, b], "action": "tag",
                             "tag": "billing"})
    assert st == 200 and all(r["changed"] for r in ans["results"])
    st, _, ans = bulk(tame, {"ticket_ids": [a], "action": "tag",
                             "tag": "billing"})
    assert ans["results"][0]["changed"] is False
    st, _, ans = bulk(tame, {"ticket_ids": [b], "action": "untag",
                             "tag": "billing"})
    assert ans["results"][0]["changed"] is True
    assert tame.ticket(a)["tags"] == ["billing"]
    assert tame.ticket(b)["tags"] == []
    st, _, ans = bulk(tame, {"ticket_ids": [a, b], "action": "status",
                             "status": "pending"})
    assert st == 200 and ans["succeeded"] == 2
    assert tame.ticket(b)["status"] == "pending"
    st, _, ans = bulk(tame, {"ticket_ids": [a, b], "action": "assign",
                             "assignee_id": None})
    assert ans["succeeded"] == 2 and tame.ticket(a)["assignee"] is None
    kinds = [e["kind"] for e in tame.ticket(a)["events"]]
    assert kinds.count("ticket.updated") >= 3


def test_bulk_bad_requests(tame):
    a = new_ticket(tame, "Bulk bad")["id"]
    cases = [
        ({"action": "tag", "tag": "x"}, 400, "missing_field"),
        ({"ticket_ids": [], "action": "tag", "tag": "x"}, 400,
         "invalid_field"),
        ({"ticket_ids": ["1"], "action": "tag", "tag": "x"}, 400,
         "invalid_field"),
        ({"ticket_ids": list(range(1, 502)), "action": "tag", "tag": "x"},
         400, "invalid_field"),
        ({"ticket_ids": [a], "action": "explode"}, 400, "invalid_field"),
        ({"ticket_ids": [a], "action": "tag"}, 400, "missing_field"),
        ({"ticket_ids": [a], "action": "status"}, 400, "missing_field"),
        ({"ticket_ids": [a], "action": "status", "status": "gone"}, 400,
         "invalid_field"),
        ({"ticket_ids": [a], "action": "assign"}, 400, "missing_field"),
        ({"ticket_ids": [a], "action": "assign", "assignee_id": 777}, 400,
         "invalid_field"),
        ({"ticket_ids": [a], "action": "merge"}, 400, "missing_field"),
        ({"ticket_ids": [a], "action": "merge", "into": 777}, 404,
         "not_found"),
        ({"ticket_ids": [a], "action": "reply"}, 400, "missing_field"),
        ({"ticket_ids": [a], "action": "reply", "text": " "}, 400,
         "invalid_field"),
        ({"ticket_ids": [a], "action": "tag", "tag": "x", "extra": 1}, 400,
         "unknown_field"),
    ]
    for body, status, code in cases:
        st, _, ans = bulk(tame, body)
        assert assert_error(st, ans, status)["code"] == code, (body, ans)
    st, _, ans = bulk(tame, {"ticket_ids": [a], "action": "tag", "tag": "x"},
                      key="bad key with spaces")
    assert_error(st, ans, 400)


def test_a_note_is_not_the_lists_preview(tame):
    """The list shows what the customer or the team wrote last, not an
    internal note (which looked like the customer's latest mail)."""
    tid = new_ticket(tame, "Preview me",
                     text="My order never arrived.\n")["id"]
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/notes" % tid,
                          {"text": "Internal: check the courier first."})
    assert st == 201, ans
    row = [t for t in tame.tickets() if t["id"] == tid][0]
    assert row["preview"].startswith("My order never arrived"), row
    tame.reply(tid, "We are on it.")
    row = [t for t in tame.tickets() if t["id"] == tid][0]
    assert row["preview"].startswith("We are on it"), row


def test_merge_moves_messages_and_threads_later_mail(tame, sink):
    mid_a = "<%s@example.org>" % uuid.uuid4().hex
    a = new_ticket(tame, "Printer broken", sender="Ann <ann@example.org>",
                   message_id=mid_a)["id"]
    b = new_ticket(tame, "Printer still broken",
                   sender="Ann Office <ann.office@example.org>",
                   text="The newest words, from the office.\n")["id"]
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/followers" % a,
                          {"agent_id": tame.admin_id})
    # a change to the older ticket after b's mail does not make its
    # text the newest: the list shows b's latest message after the merge
    st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % a,
                          {"tags": ["printer"]})
    assert st == 200, ans
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/merge" % a,
                          {"into": b})
    assert st == 200, ans
    row = [t for t in tame.tickets() if t["id"] == b][0]
    assert row["preview"].startswith("The newest words"), row
    assert ans["merged"] == {"from": a, "into": b}
    target = ans["ticket"]
    assert target["id"] == b and target["message_count"] == 2
    assert {m["subject"] for m in target["messages"]} == {
        "Printer broken", "Printer still broken"}
    assert {"kind": "ticket.merged", "from": a} in [
        dict(kind=e["kind"], **(e["data"] or {})) for e in target["events"]]
    src = tame.ticket(a)
    assert src["status"] == "closed" and src["messages"] == []
    ev = [e for e in src["events"] if e["kind"] == "ticket.merged"]
    assert ev and ev[0]["data"]["into"] == b
    # the customer answers the old ticket's message: it lands in b
    tame.send_mail(make_message(sender="Ann <ann@example.org>",
                                subject="Re: Printer broken",
                                text="Any news?",
                                headers={"In-Reply-To": mid_a,
                                         "References": mid_a}))
    wait_for(lambda: tame.ticket(b)["message_count"] == 3,
             what="the answer threaded into the target")
    assert tame.ticket(a)["message_count"] == 0
    assert len(tame.tickets_with_subject("Re: Printer broken")) == 0
    # a new mail with the old ticket's number, no headers: b too
    tame.send_mail(make_message(sender="ann@example.org",
                                subject="Printer again [#%d]" % a,
                                text="It jams again.\n"))
    wait_for(lambda: tame.ticket(b)["message_count"] == 4,
             what="the [#id] of the merged ticket leading to the target")
    assert tame.ticket(a)["message_count"] == 0
    # a stranger's mail with that number still starts its own ticket
    tame.send_mail(make_message(sender="eve@evil.example",
                                subject="About [#%d]" % a,
                                text="Tell me about Ann.\n"))
    wait_for(lambda: tame.tickets_with_subject("About [#%d]" % a),
             what="the stranger's own ticket")
    assert tame.ticket(b)["message_count"] == 4
    # a reply on the merged ticket is refused: the thread is b's now
    st, _, err = tame.api("POST", "/api/v1/tickets/%d/replies" % a,
                          {"text": "Hello from the old ticket"})
    assert assert_error(st, err, 409)["code"] == "conflict"
    assert "merged into #%d" % b in err["error"]["message"]
    # so are a note, and a change that would reopen it or give it work:
    # what is left of a merge stays closed and empty
    st, _, err = tame.api("POST", "/api/v1/tickets/%d/notes" % a,
                          {"text": "Note on the old ticket"})
    assert assert_error(st, err, 409)["code"] == "conflict"
    assert "merged into #%d" % b in err["error"]["message"]
    for change in ({"status": "open"}, {"assignee_id": tame.admin_id},
                   {"tags": ["late"]}):
        st, _, err = tame.api("PATCH", "/api/v1/tickets/%d" % a, change)
        assert assert_error(st, err, 409)["code"] == "conflict", change
        assert "merged into #%d" % b in err["error"]["message"]
    for change in ({"action": "status", "status": "open"},
                   {"action": "tag", "tag": "late"}):
        st, _, res = bulk(tame, dict(change, ticket_ids=[a]))
        assert st == 200 and res["failed"] == 1, res
        assert res["results"][0]["error"]["code"] == "conflict"
        assert "merged into #%d" % b in res["results"][0]["error"]["message"]
    old = tame.ticket(a)
    assert (old["status"], old["message_count"], old["assignee"],
            old["tags"]) == ("closed", 0, None, []), old
    # a reply from the target goes to its customer with the whole thread
    tame.reply(b, "We are on it.")
    m = sink.wait_count(1)[0]["msg"]
    assert strip_angle(mid_a) in m["References"]
    assert len(sink.messages) == 1
    # merging again, into itself, or unknown
    st, _, err = tame.api("POST", "/api/v1/tickets/%d/merge" % a,
                          {"into": b})
    assert assert_error(st, err, 409)["code"] == "conflict"
    assert "already merged" in err["error"]["message"]
    st, _, err = tame.api("POST", "/api/v1/tickets/%d/merge" % b,
                          {"into": a})
    assert assert_error(st, err, 409)["code"] == "conflict"
    st, _, err = tame.api("POST", "/api/v1/tickets/%d/merge" % b,
                          {"into": b})
    assert_error(st, err, 400)
    st, _, err = tame.api("POST", "/api/v1/tickets/%d/merge" % b,
                          {"into": 4242})
    assert_error(st, err, 404)
    st, _, err = tame.api("POST", "/api/v1/tickets/%d/merge" % b, {})
    assert assert_error(st, err, 400)["code"] == "missing_field"


def test_bulk_merge_into_target(tame):
    ids = [new_ticket(tame, "Dup %d" % i,
                      sender="u%d@example.org" % i)["id"] for i in range(3)]
    st, _, ans = bulk(tame, {"ticket_ids": ids, "action": "merge",
                             "into": ids[0]})
    assert st == 200 and ans["succeeded"] == 3, ans
    assert ans["results"][0].get("target") is True
    t = tame.ticket(ids[0])
    assert t["message_count"] == 3
    for i in ids[1:]:
        assert tame.ticket(i)["status"] == "closed"
    # participants merged: each customer's [#id] answer is taken by the
    # target, whose subject token they now write to
    tame.send_mail(make_message(sender="u2@example.org",
                                subject="Re: Dup 0 [#%d]" % ids[0],
                                text="More info"))
    wait_for(lambda: tame.ticket(ids[0])["message_count"] == 4)


def test_bulk_reply_skips_merged_ticket(tame, sink):
    """A bulk reply from a stale selection that still holds a merged
    ticket sends nothing to it (the target's thread goes on) and says
    why; the other tickets get theirs."""
    a, b, other = [new_ticket(tame, "Stale %d" % i,
                              sender="s%d@example.org" % i)["id"]
                   for i in range(3)]
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/merge" % a,
                          {"into": b})
    assert st == 200, ans
    st, _, ans = bulk(tame, {"ticket_ids": [a, other], "action": "reply",
                             "text": "Hello {{customer.first_name}}"})
    assert st == 200 and ans["succeeded"] == 1 and ans["failed"] == 1, ans
    res = {r["ticket_id"]: r for r in ans["results"]}
    assert res[a]["error"]["code"] == "conflict"
    assert "merged into #%d" % b in res[a]["error"]["message"]
    assert sink.wait_count(1)[0]["rcpts"] == ["s2@example.org"]
    settle(0.5)
    assert len(sink.messages) == 1


def meanwhile(tame, bob, ann_sender, ann, bert, cleo):
    """While a bulk reply's dialog is open: Bob answers Bert and solves
    Cleo's ticket, and Ann (ann_sender) writes again."""
    st, _, ans = bob.call("POST", "/api/v1/tickets/%d/replies" % bert,
                          {"text": "Fixed for you, Bert."})
    assert st == 201, ans
    st, _, ans = bob.call("PATCH", "/api/v1/tickets/%d" % cleo,
                          {"status": "solved"})
    assert st == 200, ans
    tame.send_mail(make_message(sender=ann_sender,
                                subject="Re: Outage 0 [#%d]" % ann,
                                text="Any news?"))
    wait_for(lambda: tame.ticket(ann)["message_count"] == 2)


def test_bulk_reply_leaves_out_tickets_answered_or_solved_meanwhile(
        tame, sink):
    """A colleague answers one of the checked customers, and solves
    another ticket, while the bulk reply's dialog is open: the send
    mails neither (the customer gets the colleague's answer only) and
    names both with why; a customer who wrote again meanwhile still gets
    the reply, and so does one answered before the dialog opened."""
    bob_id, bob = agent_api(tame, "bob@example.com")
    people = ["Ann Alpha <ann@example.org>", "Bert Beta <bert@example.org>",
              "Cleo Gamma <cleo@example.org>", "Dora Delta <dora@example.org>"]
    tids = [new_ticket(tame, "Outage %d" % i, sender=p)["id"]
            for i, p in enumerate(people)]
    ann, bert, cleo, dora = tids
    # answered before the agent looked: the agent's call, it goes
    st, _, ans = bob.call("POST", "/api/v1/tickets/%d/replies" % dora,
                          {"text": "Looking into it."})
    assert st == 201, ans
    sink.wait_count(1)

    st, _, look = bulk(tame, {"ticket_ids": tids, "action": "reply",
                              "preview": True})
    assert st == 200 and look["since_event_id"] > 0, look
    assert sink.messages and len(sink.messages) == 1

    # meanwhile: bob answers Bert, solves Cleo's ticket; Ann writes again
    meanwhile(tame, bob, people[0], ann, bert, cleo)
    sink.wait_count(2)

    body = {"ticket_ids": tids, "action": "reply", "status": "solved",
            "text": "Hi {{customer.first_name}}, it works again.",
            "since_event_id": look["since_event_id"]}
    key = str(uuid.uuid4())
    st, _, ans = bulk(tame, body, key)
    assert st == 200, ans
    assert ans["succeeded"] == 2 and ans["failed"] == 0, ans
    left = {x["ticket_id"]: x for x in ans["skipped"]}
    assert sorted(left) == sorted([bert, cleo]), ans
    assert left[bert]["reason"] == "answered_meanwhile"
    assert left[bert]["by"] == {"id": bob_id, "name": "Agent bob"}
    assert left[cleo]["reason"] == "solved_meanwhile"
    assert left[cleo]["by"]["id"] == bob_id
    res = {r["ticket_id"]: r for r in ans["results"]}
    assert res[bert]["ok"] is False and \
        res[bert]["skipped"] == "answered_meanwhile"
    assert res[ann]["ok"] and res[dora]["ok"]

    sink.wait_count(4)
    settle(1)
    to = lambda a: [m for m in sink.messages if m["rcpts"] == [a]]
    assert len(sink.messages) == 4
    assert len(to("ann@example.org")) == 1
    assert len(to("dora@example.org")) == 2
    assert [mail_text(m["msg"]).strip() for m in to("bert@example.org")] \
        == ["Fixed for you, Bert."]
    assert to("cleo@example.org") == []
    # left untouched: not set to solved by the bulk reply, nothing added
    assert tame.ticket(bert)["status"] == "pending"
    assert [m["direction"] for m in tame.ticket(cleo)["messages"]] == ["in"]

    # the same request again: the kept answer, nobody mailed twice
    st, h, again = bulk(tame, body, key)
    assert st == 200 and again == ans
    assert h["Idempotent-Replayed"] == "true"
    settle(0.5)
    assert len(sink.messages) == 4
    # sent again from another tab (no key): those it reached are told
    # as sent already, not as answered meanwhile by the same agent
    st, _, twice = bulk(tame, body)
    assert st == 200, twice
    res = {r["ticket_id"]: r for r in twice["results"]}
    assert res[ann].get("already_sent") and res[dora].get("already_sent"), \
        twice
    assert sorted(x["ticket_id"] for x in twice["skipped"]) == \
        sorted([bert, cleo]), twice
    settle(0.5)
    assert len(sink.messages) == 4

    # a preview is only for a reply
    st, _, err = bulk(tame, {"ticket_ids": tids, "action": "tag",
                             "tag": "x", "preview": True})
    assert_error(st, err, 400)


def test_bulk_reply_preview_tells_who_was_answered_lately_or_is_twice(
        tame, sink):
    """The bulk reply's dialog opens with tamed's word on each ticket,
    as the trend reply's preview gives it: one a colleague answered an
    hour ago (the customer silent since) is "answered", with who; a
    customer's other ticket answered lately is "answered_elsewhere"; the
    second ticket of one customer is "same_customer_as" the first, who
    would get two mails; the others carry nothing."""
    bob_id, bob = agent_api(tame, "bob@example.com")
    ann1 = new_ticket(tame, "Printer", sender="Ann <ann@example.org>")["id"]
    ann2 = new_ticket(tame, "Scanner", sender="Ann <ann@example.org>")["id"]
    bert = new_ticket(tame, "Router", sender="Bert <bert@example.org>")["id"]
    cleo = new_ticket(tame, "Modem", sender="Cleo <cleo@example.org>")["id"]
    cleo2 = new_ticket(tame, "Modem 2", sender="Cleo <cleo@example.org>")[
        "id"]
    for tid in (bert, cleo2):
        st, _, ans = bob.call("POST", "/api/v1/tickets/%d/replies" % tid,
                              {"text": "On it.", "status": "open"})
        assert st == 201, ans
    tids = [ann1, ann2, bert, cleo]
    st, _, look = bulk(tame, {"ticket_ids": tids, "action": "reply",
                              "preview": True})
    assert st == 200, look
    told = {r["ticket_id"]: r for r in look["recipients"]}
    assert [r["ticket_id"] for r in look["recipients"]] == tids
    assert told[ann1] == {"ticket_id": ann1}
    assert told[ann2] == {"ticket_id": ann2, "same_customer_as": ann1}
    assert told[bert]["answered"]["by"] == {"id": bob_id,
                                            "name": "Agent bob"}
    assert told[bert]["answered"]["ticket_id"] == bert
    assert told[cleo]["answered_elsewhere"]["ticket_id"] == cleo2
    assert "answered" not in told[cleo]
    # a ticket that is not there is listed bare: the send fails it
    st, _, look = bulk(tame, {"ticket_ids": [ann1, 999999],
                              "action": "reply", "preview": True})
    assert st == 200 and look["recipients"][1] == {"ticket_id": 999999}, \
        look


def test_bulk_reply_preview_names_tickets_answered_or_solved_since(
        tame, sink):
    """The bulk reply's dialog asks again while it is open: a preview
    naming the point of the first one answers which of its tickets a
    colleague answered or solved after it, with who, as the send would
    leave them out; a customer's own mail is no reason; nothing is
    sent; and its own point is newer, so asked from there nothing is
    named twice."""
    bob_id, bob = agent_api(tame, "bob@example.com")
    people = ["Ann Alpha <ann@example.org>", "Bert Beta <bert@example.org>",
              "Cleo Gamma <cleo@example.org>"]
    tids = [new_ticket(tame, "Outage %d" % i, sender=p)["id"]
            for i, p in enumerate(people)]
    ann, bert, cleo = tids
    look = {"ticket_ids": tids, "action": "reply", "preview": True}
    st, _, first = bulk(tame, look)
    assert st == 200 and "skipped" not in first, first

    meanwhile(tame, bob, people[0], ann, bert, cleo)
    sink.wait_count(1)

    st, _, again = bulk(tame, dict(look,
                                   since_event_id=first["since_event_id"]))
    assert st == 200, again
    left = {x["ticket_id"]: x for x in again["skipped"]}
    assert sorted(left) == [bert, cleo], again
    assert left[bert]["reason"] == "answered_meanwhile"
    assert left[bert]["by"] == {"id": bob_id, "name": "Agent bob"}
    assert left[bert]["message_id"] > 0 and left[bert]["at"]
    assert left[cleo]["reason"] == "solved_meanwhile"
    assert left[cleo]["by"]["id"] == bob_id
    assert again["since_event_id"] > first["since_event_id"]

    # the send from the first point leaves out the very same
    st, _, sent = bulk(tame, {"ticket_ids": tids, "action": "reply",
                              "text": "It works again.",
                              "since_event_id": first["since_event_id"]})
    assert st == 200, sent
    assert sent["skipped"] == again["skipped"], sent

    st, _, later = bulk(tame, dict(look,
                                   since_event_id=again["since_event_id"]))
    assert st == 200, later
    # only the send itself came after it: Ann was answered by it
    assert [x["ticket_id"] for x in later["skipped"]] == [ann], later
    sink.wait_count(2)
    settle(0.5)
    assert len(sink.messages) == 2


# ---------------------------------------------------------------- followers

def notes_of(api):
    st, _, ans = api.call("GET", "/api/v1/notifications")
    assert st == 200, ans
    return ans


def test_followers_mentions_and_notifications(tame, sink):
    bob_id, bob = agent_api(tame, "bob@example.com")
    carol_id, carol = agent_api(tame, "carol@example.com")
    mid = "<%s@example.org>" % uuid.uuid4().hex
    t = new_ticket(tame, "Follow me", sender="Dan <dan@example.org>",
                   message_id=mid)["id"]
    path = "/api/v1/tickets/%d/followers" % t
    st, _, ans = tame.api("POST", path, {"agent_id": bob_id})
    assert st == 201, ans
    assert [f["id"] for f in ans["followers"]] == [bob_id]
    st, _, ans = tame.api("POST", path, {"agent_id": bob_id})
    assert st == 200 and len(ans["followers"]) == 1
    n = notes_of(bob)
    assert n["unread"] == 1
    first = n["notifications"][0]
    assert first["kind"] == "follower.added"
    assert first["ticket"] == {"id": t, "subject": "Follow me"}
    assert first["actor"]["id"] == tame.admin_id and first["read"] is False

    # the customer writes again (SMTP), the admin replies: bob hears both
    tame.send_mail(make_message(sender="Dan <dan@example.org>",
                                subject="Re: Follow me", text="Hello?",
                                headers={"In-Reply-To": mid}))
    wait_for(lambda: notes_of(bob)["unread"] == 2)
    assert notes_of(bob)["notifications"][0]["kind"] == "message.received"
    msg = tame.reply(t, "Answer")
    n = notes_of(bob)
    # the reply, and the ticket becoming the admin's with it
    assert n["unread"] == 4
    assert [x["kind"] for x in n["notifications"][:2]] == [
        "ticket.updated", "reply.sent"]
    assert n["notifications"][1]["message_id"] == msg["id"]
    # bob's own note tells nobody; the admin follows nothing
    st, _, _ = bob.call("POST", "/api/v1/tickets/%d/notes" % t,
                        {"text": "looking"})
    assert st == 201
    assert notes_of(bob)["unread"] == 4
    assert tame.get("/api/v1/notifications")["unread"] == 0

    # mentions: by address and by full name; not the author
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/notes" % t, {
        "text": "@carol@example.com and @Agent bob, see above. "
                "(mail ada@example.com is no mention; @Ada Admin is me)"})
    assert st == 201, ans
    note_id = ans["message"]["id"]
    n = notes_of(carol)
    assert [x["kind"] for x in n["notifications"]] == ["mention"]
    assert n["notifications"][0]["message_id"] == note_id
    kinds = [x["kind"] for x in notes_of(bob)["notifications"]]
    assert kinds[:2] == ["mention", "note.added"]
    assert tame.get("/api/v1/notifications")["unread"] == 0

    # assignment: the assignee is told, the follower sees the change
    st, _, _ = tame.api("PATCH", "/api/v1/tickets/%d" % t,
                        {"assignee_id": carol_id})
    assert st == 200
    assert notes_of(carol)["notifications"][0]["kind"] == "ticket.assigned"
    assert notes_of(bob)["notifications"][0]["kind"] == "ticket.updated"

    # reading: some, then all; unread filter, pages and CSV
    n = notes_of(bob)
    total = n["unread"]
    st, _, ans = bob.call("POST", "/api/v1/notifications/read",
                          {"ids": [n["notifications"][0]["id"], 999999]})
    assert st == 200 and ans == {"marked": 1, "unread": total - 1}
    st, _, ans = bob.call("GET", "/api/v1/notifications?unread=1&limit=2")
    assert len(ans["notifications"]) == 2 and ans["next_cursor"]
    assert all(x["read"] is False for x in ans["notifications"])
    st, _, ans2 = bob.call("GET", "/api/v1/notifications?unread=1&limit=2"
                           "&cursor=" + ans["next_cursor"])
    assert st == 200
    assert ans2["notifications"][0]["id"] < ans["notifications"][1]["id"]
    st, h, payload = bob.call("GET", "/api/v1/notifications?format=csv")
    assert st == 200 and "text/csv" in h["Content-Type"]
    assert {r["kind"] for r in csv_rows(payload)} >= {"mention",
                                                       "follower.added"}
    st, _, ans = bob.call("POST", "/api/v1/notifications/read",
                          {"all": True})
    assert ans["marked"] == total - 1 and ans["unread"] == 0
    # other agents' notifications are not reachable
    st, _, ans = carol.call("POST", "/api/v1/notifications/read",
                            {"all": True})
    assert ans["marked"] == 2

    # unfollowing (body or path); then customer mail tells bob nothing
    st, _, ans = tame.api("DELETE", path, {"agent_id": bob_id})
    assert st == 200 and ans["followers"] == []
    st, _, ans = tame.api("POST", path, {"agent_id": carol_id})
    st, _, ans = tame.api("DELETE", path + "/%d" % carol_id)
    assert st == 200 and ans["followers"] == []
    before = notes_of(carol)["unread"]
    tame.send_mail(make_message(sender="Dan <dan@example.org>",
                                subject="Re: Follow me", text="Again",
                                headers={"In-Reply-To": mid}))
    wait_for(lambda: tame.ticket(t)["message_count"] == 6)
    assert notes_of(bob)["unread"] == 0
    # but the assignee hears of it, following or not
    n = notes_of(carol)
    assert n["unread"] == before + 1, n
    assert n["notifications"][0]["kind"] == "message.received"


def test_followers_bad_input(tame):
    t = new_ticket(tame, "Follow bad")["id"]
    path = "/api/v1/tickets/%d/followers" % t
    st, _, ans = tame.api("POST", path, {"agent_id": 999})
    assert assert_error(st, ans, 400)["code"] == "invalid_field"
    st, _, ans = tame.api("POST", path, {})
    assert assert_error(st, ans, 400)["code"] == "missing_field"
    st, _, ans = tame.api("POST", "/api/v1/tickets/9999/followers",
                          {"agent_id": tame.admin_id})
    assert_error(st, ans, 404)
    st, _, ans = tame.api("GET", path + "?format=csv")
    assert st == 200
    st, _, ans = tame.api("POST", "/api/v1/notifications/read",
                          {"all": False})
    assert assert_error(st, ans, 400)["code"] == "missing_field"
    st, _, ans = tame.api("POST", "/api/v1/notifications/read", {})
    assert st == 200 and ans == {"marked": 0, "unread": 0}
    st, _, ans = tame.api("POST", "/api/v1/notifications/read",
                          {"all": True, "ids": [1]})
    assert_error(st, ans, 400)
    st, _, ans = tame.api("GET", "/api/v1/notifications?unread=2")
    assert_error(st, ans, 400)
    st, _, ans = tame.api("GET", "/api/v1/notifications?cursor=abc")
    assert_error(st, ans, 400)


# ---------------------------------------------------------------- presence

def test_presence_who_else_is_viewing_or_typing(tame):
    bob_id, bob = agent_api(tame, "bob@example.com")
    t = new_ticket(tame, "Presence")["id"]
    path = "/api/v1/tickets/%d/presence" % t
    st, _, ans = tame.api("POST", path, {"state": "viewing"})
    assert st == 200 and ans["presence"] == []
    st, _, ans = bob.call("POST", path, {"state": "typing"})
    assert st == 200, ans
    others = ans["presence"]
    assert [(p["agent"]["id"], p["state"]) for p in others] == [
        (tame.admin_id, "viewing")]
    assert others[0]["agent"]["name"] == "Ada Admin"
    ans = tame.get(path)
    assert [(p["agent"]["id"], p["state"]) for p in ans["presence"]] == [
        (bob_id, "typing")]
    ans = tame.get("/api/v1/presence")
    assert [(p["ticket_id"], p["agent"]["id"]) for p in ans["presence"]] == [
        (t, bob_id)]
    st, _, ans = bob.call("POST", path, {"state": "left"})
    assert st == 200
    assert tame.get(path)["presence"] == []
    st, _, ans = tame.api("POST", path, {"state": "dancing"})
    assert assert_error(st, ans, 400)["code"] == "invalid_field"
    st, _, ans = tame.api("POST", "/api/v1/tickets/999/presence",
                          {"state": "viewing"})
    assert_error(st, ans, 404)


def test_presence_expires(tame):
    _, bob = agent_api(tame, "bob@example.com")
    t = new_ticket(tame, "Presence expiry")["id"]
    path = "/api/v1/tickets/%d/presence" % t
    st, _, _ = bob.call("POST", path, {"state": "viewing"})
    assert st == 200 and len(tame.get(path)["presence"]) == 1
    wait_for(lambda: tame.get(path)["presence"] == [], timeout=25,
             interval=1, what="bob's presence to expire")


def test_reply_refused_when_customer_wrote_since(tame, sink):
    mid = "<%s@example.org>" % uuid.uuid4().hex
    t = new_ticket(tame, "Collision", sender="fay@example.org",
                   message_id=mid)["id"]
    seen = tame.ticket(t)["messages"][-1]["id"]
    # nothing new: the reply goes
    tame.reply(t, "First answer", since_message_id=seen)
    seen = tame.ticket(t)["messages"][-1]["id"]
    # our own note is not a reason to stop
    tame.api("POST", "/api/v1/tickets/%d/notes" % t, {"text": "n"})
    tame.reply(t, "Second answer", since_message_id=seen)
    # the customer writes while the agent types
    tame.send_mail(make_message(sender="fay@example.org",
                                subject="Re: Collision", text="Wait!",
                                headers={"In-Reply-To": mid}))
    wait_for(lambda: tame.ticket(t)["message_count"] == 5)
    newest = tame.ticket(t)["messages"][-1]["id"]
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/replies" % t,
                          {"text": "Third", "since_message_id": seen})
    err = assert_error(st, ans, 409)
    assert err["code"] == "new_message" and err["message_id"] == newest
    assert tame.ticket(t)["message_count"] == 5
    tame.reply(t, "Third anyway", since_message_id=seen, force=True)
    tame.reply(t, "Fourth", since_message_id=newest)
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/replies" % t,
                          {"text": "x", "since_message_id": "1"})
    assert_error(st, ans, 400)


def test_reply_refused_when_a_colleague_answered_since(tame, sink):
    """Two agents answer one ticket at once: the second is asked before
    the customer gets two answers; one's own replies never stop one."""
    t = new_ticket(tame, "Two answers", sender="gil@example.org")["id"]
    seen = tame.ticket(t)["messages"][-1]["id"]
    _, bob = agent_api(tame, "bob@example.com")
    st, _, ans = bob.call("POST", "/api/v1/tickets/%d/replies" % t,
                          {"text": "Bob's answer", "since_message_id": seen})
    assert st == 201, ans
    bobs = ans["message"]["id"]
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/replies" % t,
                          {"text": "Ada's answer", "since_message_id": seen})
    err = assert_error(st, ans, 409)
    assert err["code"] == "new_message" and err["message_id"] == bobs, err
    assert "colleague" in err["message"]
    assert tame.ticket(t)["message_count"] == 2
    # Bob's next reply from the same start is not stopped by his own
    st, _, ans = bob.call("POST", "/api/v1/tickets/%d/replies" % t,
                          {"text": "Bob again", "since_message_id": seen})
    assert st == 201, ans
    # having read them, Ada sends
    tame.reply(t, "Ada's answer", since_message_id=ans["message"]["id"])
    assert tame.ticket(t)["message_count"] == 4


def test_two_agents_sending_at_the_same_moment_one_gets_through(tame, sink):
    """Two agents who read the same message press Send at the same
    moment: one reply goes, the other hears that a colleague answered.
    Before, the check and the reply were two steps, and both went in
    every round."""
    _, bob = agent_api(tame, "bob@example.com")
    for i in range(6):
        t = new_ticket(tame, "Race %d" % i, sender="r%d@example.org" % i)
        seen = tame.ticket(t["id"])["messages"][-1]["id"]
        path = "/api/v1/tickets/%d/replies" % t["id"]
        go = threading.Barrier(2)
        got = {}

        def send(who, api):
            go.wait()
            got[who] = api.call("POST", path, {
                "text": "Answer from " + who, "since_message_id": seen})

        ts = [threading.Thread(target=send, args=("ada", tame.api_client)),
              threading.Thread(target=send, args=("bob", bob))]
        for x in ts:
            x.start()
        for x in ts:
            x.join()
        codes = sorted(st for st, _, _ in got.values())
        assert codes == [201, 409], (i, got)
        lost = [ans for st, _, ans in got.values() if st == 409][0]
        assert lost["error"]["code"] == "new_message", lost
        assert tame.ticket(t["id"])["message_count"] == 2


# ---------------------------------------------------------------- profile

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00"
       b"\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc"
       b"\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00"
       b"IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


def test_profile_signature_and_notification_settings(tame):
    me = tame.get("/api/v1/agents/me")
    assert me["signature"] is None and me["avatar_url"] is None
    assert me["notify_mentions"] is True and me["notify_follows"] is True
    st, _, ans = tame.api("PATCH", "/api/v1/agents/me", {
        "signature": "Ada\nTame support", "notify_follows": False})
    assert st == 200, ans
    assert ans["signature"] == "Ada\nTame support"
    assert ans["notify_follows"] is False and ans["notify_mentions"] is True
    assert ans["name"] == "Ada Admin"
    st, _, ans = tame.api("PATCH", "/api/v1/agents/me", {"name": "Ada L"})
    assert ans["signature"] == "Ada\nTame support" and ans["name"] == "Ada L"
    st, _, ans = tame.api("PATCH", "/api/v1/agents/me", {"signature": ""})
    assert ans["signature"] is None
    st, _, ans = tame.api("PATCH", "/api/v1/agents/me",
                          {"signature": "x" * 5000})
    assert_error(st, ans, 400)
    st, _, ans = tame.api("PATCH", "/api/v1/agents/me",
                          {"notify_mentions": "no"})
    assert_error(st, ans, 400)
    # an agent with mentions off is not told
    bob_id, bob = agent_api(tame, "bob@example.com")
    st, _, ans = bob.call("PATCH", "/api/v1/agents/me",
                          {"notify_mentions": False})
    assert st == 200 and ans["notify_mentions"] is False
    t = new_ticket(tame, "Quiet")["id"]
    tame.api("POST", "/api/v1/tickets/%d/notes" % t,
             {"text": "@bob@example.com look"})
    assert notes_of(bob)["notifications"] == []
    # someone else's profile: only an admin
    st, _, ans = bob.call("PATCH", "/api/v1/agents/%d" % tame.admin_id,
                          {"signature": "hacked"})
    assert_error(st, ans, 403)


def test_avatar_upload_and_download(tame):
    bob_id, bob = agent_api(tame, "bob@example.com")
    for data, ctype in ((PNG, "image/png"), (JPEG, "image/jpeg"),
                        (WEBP, "image/webp")):
        st, _, ans = tame.api("PUT", "/api/v1/agents/me/avatar", raw=data,
                              content_type=ctype)
        assert st == 204, ans
        st, h, got = bob.call("GET", "/api/v1/agents/%d/avatar" %
                              tame.admin_id)
        assert st == 200 and got == data
        assert h["Content-Type"] == ctype
        assert h["X-Content-Type-Options"] == "nosniff"
    etag = h["ETag"]
    st, _, _ = bob.call("GET", "/api/v1/agents/%d/avatar" % tame.admin_id,
                        headers={"If-None-Match": etag})
    assert st == 304
    url = tame.get("/api/v1/agents/me")["avatar_url"]
    assert url.startswith("/api/v1/agents/%d/avatar" % tame.admin_id)
    st, _, got = tame.api("GET", "/api/v1/agents/me/avatar")
    assert st == 200 and got == WEBP
    # refused: wrong type, lying type, too large, not an image
    cases = [(PNG, "image/svg+xml", 415), (PNG, "text/html", 415),
             (JPEG, "image/png", 400), (b"<svg onload=alert(1)>",
                                        "image/png", 400),
             (b"", "image/png", 400),
             (PNG + b"\x00" * (256 * 1024), "image/png", 413)]
    for data, ctype, status in cases:
        st, _, ans = tame.api("PUT", "/api/v1/agents/me/avatar", raw=data,
                              content_type=ctype)
        assert_error(st, ans, status)
    st, _, got = tame.api("GET", "/api/v1/agents/me/avatar")
    assert got == WEBP
    st, _, ans = tame.api("GET", "/api/v1/agents/%d/avatar" % bob_id)
    assert_error(st, ans, 404)
    st, _, _ = tame.api("DELETE", "/api/v1/agents/me/avatar")
    assert st == 204
    st, _, ans = tame.api("GET", "/api/v1/agents/me/avatar")
    assert_error(st, ans, 404)
    assert tame.get("/api/v1/agents/me")["avatar_url"] is None


def test_password_change_and_sessions(tame):
    st, web1, body = login(tame)
    assert st == 201
    st, web2, _ = login(tame)
    cookie_api = Api(tame.http_port)

    def as_web(web, method, path, body=None):
        return cookie_api.call(method, path, body, token=None, headers=web)

    st, _, ans = as_web(web1, "GET", "/api/v1/sessions")
    assert st == 200, ans
    sessions = ans["sessions"]
    assert len(sessions) == 2
    assert sum(1 for s in sessions if s["current"]) == 1
    st, h, payload = as_web(web1, "GET", "/api/v1/sessions?format=csv")
    assert st == 200 and len(csv_rows(payload)) == 2
    # wrong current password, too short a new one
    st, _, ans = as_web(web1, "POST", "/api/v1/session/password",
                        {"current": "nope", "new": "another long one"})
    assert assert_error(st, ans, 403)["code"] == "invalid_credentials"
    st, _, ans = as_web(web1, "POST", "/api/v1/session/password",
                        {"current": ADMIN_PASSWORD, "new": "short"})
    assert_error(st, ans, 400)
    # the change ends the other session and keeps this one
    st, _, ans = as_web(web1, "POST", "/api/v1/session/password",
                        {"current": ADMIN_PASSWORD,
                         "new": "a brand new passphrase"})
    assert st == 200 and ans["ended_sessions"] == 1, ans
    st, _, ans = as_web(web2, "GET", "/api/v1/session")
    assert_error(st, ans, 401)
    st, _, ans = as_web(web1, "GET", "/api/v1/session")
    assert st == 200
    st, _, _ = login(tame)
    assert st == 401
    st, web3, _ = login(tame, password="a brand new passphrase")
    assert st == 201
    # ending one session by its id, then one's own
    sessions = as_web(web1, "GET", "/api/v1/sessions")[2]["sessions"]
    other = [s for s in sessions if not s["current"]][0]
    st, _, _ = as_web(web1, "DELETE", "/api/v1/sessions/%d" % other["id"])
    assert st == 204
    st, _, ans = as_web(web3, "GET", "/api/v1/session")
    assert_error(st, ans, 401)
    st, _, ans = as_web(web1, "DELETE", "/api/v1/sessions/%d" % other["id"])
    assert_error(st, ans, 404)
    mine = [s for s in as_web(web1, "GET", "/api/v1/sessions")[2][
        "sessions"] if s["current"]][0]
    st, h, _ = as_web(web1, "DELETE", "/api/v1/sessions/%d" % mine["id"])
    assert st == 204 and "Max-Age=0" in h["Set-Cookie"]
    st, _, ans = as_web(web1, "GET", "/api/v1/session")
    assert_error(st, ans, 401)
    # another agent cannot see or end the admin's sessions
    _, bob = agent_api(tame, "bob@example.com")
    st, _, ans = bob.call("GET", "/api/v1/sessions")
    assert st == 200 and ans["sessions"] == []


def test_own_password_by_patch_needs_the_current_one(tame):
    """A stolen session or token cannot take the account over: changing
    one's own password needs the current one, and ends the other
    sessions, by PATCH as by POST /session/password."""
    _, bob = agent_api(tame, "bob@example.com", password="bob password 1")
    st, _, ans = bob.call("PATCH", "/api/v1/agents/me",
                          {"password": "taken over 123"})
    assert assert_error(st, ans, 403)["code"] == "invalid_credentials"
    assert "current" in ans["error"]["message"]
    st, _, ans = bob.call("PATCH", "/api/v1/agents/me",
                          {"password": "taken over 123", "current": "guess"})
    assert assert_error(st, ans, 403)["code"] == "invalid_credentials"
    assert login(tame, "bob@example.com", "bob password 1")[0] == 201
    assert login(tame, "bob@example.com", "taken over 123")[0] == 401
    st, _, ans = bob.call("PATCH", "/api/v1/agents/me",
                          {"password": "bob password 2",
                           "current": "bob password 1", "name": "Bob B"})
    assert st == 200 and ans["name"] == "Bob B", ans
    assert login(tame, "bob@example.com", "bob password 1")[0] == 401
    # the admin's own change by PATCH ends their other session
    st, web1, _ = login(tame)
    st, web2, _ = login(tame)
    web = Api(tame.http_port)
    st, _, ans = web.call("PATCH", "/api/v1/agents/me",
                          {"password": "admin passphrase 2",
                           "current": ADMIN_PASSWORD}, token=None,
                          headers=web1)
    assert st == 200, ans
    assert web.call("GET", "/api/v1/session", token=None,
                    headers=web2)[0] == 401
    assert web.call("GET", "/api/v1/session", token=None,
                    headers=web1)[0] == 200


def test_reset_and_disable_end_sessions_and_tokens_can_be_revoked(tame):
    bob_id, bob = agent_api(tame, "bob@example.com", password="bob password 1")
    web = Api(tame.http_port)

    def alive(headers):
        return web.call("GET", "/api/v1/session", token=None,
                        headers=headers)[0] == 200

    st, s1, _ = login(tame, "bob@example.com", "bob password 1")
    assert st == 201 and alive(s1)
    # an admin's reset ends every session of the agent; tokens stay
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % bob_id,
                          {"password": "reset by admin 1"})
    assert st == 200, ans
    assert not alive(s1)
    assert bob.call("GET", "/api/v1/tickets")[0] == 200
    # disabling ends them too: enabling again does not bring them back
    st, s2, _ = login(tame, "bob@example.com", "reset by admin 1")
    assert st == 201 and alive(s2)
    assert tame.api("PATCH", "/api/v1/agents/%d" % bob_id,
                    {"disabled": True})[0] == 200
    assert not alive(s2)
    assert bob.call("GET", "/api/v1/tickets")[0] == 401
    # signing in is refused saying why, but only to the right password
    st, _, ans = login(tame, "bob@example.com", "reset by admin 1")
    assert assert_error(st, ans, 403)["code"] == "account_disabled"
    st, _, ans = login(tame, "bob@example.com", "a wrong guess 1")
    assert assert_error(st, ans, 401)["code"] == "invalid_credentials"
    assert tame.api("PATCH", "/api/v1/agents/%d" % bob_id,
                    {"disabled": False})[0] == 200
    assert not alive(s2)
    assert bob.call("GET", "/api/v1/tickets")[0] == 200
    # tokens end on request: not by another agent, by the agent or admin
    _, carol = agent_api(tame, "carol@example.com")
    st, _, ans = carol.call("DELETE", "/api/v1/agents/%d/tokens" % bob_id)
    assert_error(st, ans, 403)
    st, _, ans = bob.call("DELETE", "/api/v1/agents/me/tokens")
    assert st == 200 and ans == {"revoked": 1}, ans
    assert bob.call("GET", "/api/v1/tickets")[0] == 401
    tok = tame.cli("token", "add", "--email", "bob@example.com").out.strip()
    assert Api(tame.http_port, tok).call("GET", "/api/v1/tickets")[0] == 200
    st, _, ans = tame.api("DELETE", "/api/v1/agents/%d/tokens" % bob_id)
    assert st == 200 and ans == {"revoked": 1}, ans
    assert Api(tame.http_port, tok).call("GET", "/api/v1/tickets")[0] == 401
    tok = tame.cli("token", "add", "--email", "bob@example.com").out.strip()
    assert tame.cli("token", "revoke", "--email",
                    "bob@example.com").out.strip() == "1"
    assert Api(tame.http_port, tok).call("GET", "/api/v1/tickets")[0] == 401
    st, _, ans = tame.api("DELETE", "/api/v1/agents/999/tokens")
    assert_error(st, ans, 404)


def test_password_guesses_are_throttled_everywhere(tame):
    """Guesses sent at once do not get past the limit while the slow
    password hash runs."""
    import concurrent.futures

    def guess(i):
        return login(tame, "nobody%d@example.com" % i, "wrong guess")[0]

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(guess, range(20)))
    assert codes.count(401) <= 5 and codes.count(429) >= 15, codes


def test_a_flood_of_refused_logins_does_not_push_a_lock_out(tame):
    """Once locked, an account stays locked for its minute however many
    other logins are refused meanwhile: a refused guess makes no
    throttle entry, and a locked entry is never the one given up for a
    new one. Before, a thousand refused logins for made-up emails
    pushed the victim's lock out and bought five more guesses."""
    _, bob = agent_api(tame, "bob@example.com", password="bob password 1")
    codes = [login(tame, "bob@example.com", "guess %d" % i)[0]
             for i in range(6)]
    assert codes == [401] * 5 + [429], codes
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", tame.http_port,
                                      timeout=30)
    try:
        for i in range(1100):
            conn.request("POST", "/api/v1/session", body=json.dumps(
                {"email": "x%d@example.com" % i, "password": "wrong"}),
                headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            assert r.status == 429, (i, r.status)
    finally:
        conn.close()
    assert login(tame, "bob@example.com", "guess 7")[0] == 429


def test_working_login_does_not_reset_the_address_count(tame):
    _, bob = agent_api(tame, "bob@example.com", password="bob password 1")
    for i in range(4):
        assert login(tame, "x%d@example.com" % i, "wrong")[0] == 401
    assert login(tame, "bob@example.com", "bob password 1")[0] == 201
    assert login(tame, "y@example.com", "wrong")[0] == 401
    st, _, ans = login(tame, "z@example.com", "wrong")
    assert assert_error(st, ans, 429)["code"] == "too_many_attempts"


def test_current_password_guesses_are_throttled(tame):
    _, bob = agent_api(tame, "bob@example.com", password="bob password 1")
    codes = [bob.call("POST", "/api/v1/session/password",
                      {"current": "wrong %d" % i, "new": "whatever 123"})[0]
             for i in range(7)]
    assert codes[:5] == [403] * 5 and codes[5:] == [429, 429], codes
    codes = [bob.call("PATCH", "/api/v1/agents/me",
                      {"current": "wrong", "password": "whatever 123"})[0]
             for i in range(2)]
    assert codes == [429, 429], codes


def test_session_cookie_secure_behind_https_and_duplicates(tame):
    """Behind an HTTPS proxy (X-Forwarded-Proto: https) the session
    cookie is Secure; a second tame_session cookie (set by a sibling
    subdomain, say) does not lock the agent out, in either order."""
    for proto, secure in ((None, False), ("https", True), ("http", False)):
        h = {"X-Forwarded-Proto": proto} if proto else {}
        st, hd, _ = tame.api("POST", "/api/v1/session",
                             {"email": ADMIN_EMAIL,
                              "password": ADMIN_PASSWORD},
                             token=None, headers=h)
        assert st == 201
        assert ("; Secure" in hd["Set-Cookie"]) == secure, hd["Set-Cookie"]
    st, web, _ = login(tame)
    good = web["Cookie"].split("=", 1)[1]
    api = Api(tame.http_port)
    for cookie in ("tame_session=bad; tame_session=" + good,
                   "tame_session=" + good + "; tame_session=bad",
                   "theme=dark; tame_session=0000; tame_session=" + good):
        st, _, ans = api.call("GET", "/api/v1/session", token=None,
                              headers={"Cookie": cookie})
        assert st == 200, (cookie, ans)
        st, _, ans = api.call("PATCH", "/api/v1/agents/me",
                              {"name": "Ada"}, token=None,
                              headers={"Cookie": cookie,
                                       "X-CSRF-Token":
                                       web["X-CSRF-Token"]})
        assert st == 200, (cookie, ans)
    st, _, ans = api.call("GET", "/api/v1/session", token=None,
                          headers={"Cookie": "tame_session=bad; "
                                             "tame_session=worse"})
    assert_error(st, ans, 401)


def test_adding_a_follower_is_live_and_in_the_history(tame):
    """Adding (or removing) a follower reaches the live views - the added
    agent's notification count, colleagues' follower lists - as
    ticket.updated, and the history says who added whom. Before,
    nothing was sent until the ticket changed otherwise."""
    t = new_ticket(tame, "Follow live")["id"]
    bob_id, _ = agent_api(tame, "bob@example.com")
    s = EventStream(tame, {"Authorization": "Bearer " + tame.token})
    try:
        assert s.status() == 200
        wait_for(lambda: b"retry:" in s.data, what="the stream's start")
        want = b'"ticket_id":%d' % t
        settle(1.5)    # nothing else about the ticket is on its way
        n = s.data.count(want)
        st, _, ans = tame.api("POST", "/api/v1/tickets/%d/followers" % t,
                              {"agent_id": bob_id})
        assert st == 201, ans
        wait_for(lambda: s.data.count(want) > n, 5, what="ticket.updated")
        n = s.data.count(want)
        st, _, ans = tame.api("DELETE", "/api/v1/tickets/%d/followers/%d"
                              % (t, bob_id))
        assert st == 200, ans
        wait_for(lambda: s.data.count(want) > n, 5,
                 what="ticket.updated on removal")
    finally:
        s.close()
    kinds = [(e["kind"], e["data"]) for e in tame.ticket(t)["events"]
             if e["kind"].startswith("follower.")]
    assert kinds == [("follower.added", {"agent_id": bob_id}),
                     ("follower.removed", {"agent_id": bob_id})], kinds


def test_a_change_is_told_to_the_live_views_once(tame):
    """A change reaches the live views as one ticket.updated. The
    intelligence reads the change a moment later and finds the ticket's
    flags as they were: that is no news. Before, it told of the ticket
    again, and an agent reading it saw the page drawn again a second
    after every change (a colleague's note, a priority)."""
    t = new_ticket(tame, "Told once")["id"]
    s = EventStream(tame, {"Authorization": "Bearer " + tame.token})
    try:
        assert s.status() == 200
        wait_for(lambda: b"retry:" in s.data, what="the stream's start")
        want = b'"ticket_id":%d' % t
        settle(2.5)    # what the intelligence finds in the mail is told
        n = s.data.count(want)
        st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % t,
                              {"priority": "high"})
        assert st == 200, ans
        wait_for(lambda: s.data.count(want) > n, 5, what="ticket.updated")
        settle(3)      # the intelligence looks every second
        assert s.data.count(want) == n + 1, s.data.decode()[-600:]
    finally:
        s.close()


def test_live_stream_ends_with_its_session_or_token(tame):
    """An event stream stops once what opened it no longer lets its
    agent in: a logout, a revoked token, a disabled agent. Before, it
    went on telling of every ticket change."""
    bob_id, bob = agent_api(tame, "bob@example.com", password="bob password 1")
    st, web, _ = login(tame, "bob@example.com", "bob password 1")
    by_cookie = EventStream(tame, {"Cookie": web["Cookie"]})
    by_token = EventStream(tame, {"Authorization": "Bearer " + bob.token})
    other = EventStream(tame, {"Authorization": "Bearer " + tame.token})
    try:
        for s in (by_cookie, by_token, other):
            assert s.status() == 200
        tid = new_ticket(tame, "Live one")["id"]
        for s in (by_cookie, by_token, other):
            wait_for(lambda: b'"ticket_id":%d' % tid in s.data, 10,
                     what="the event on every stream")
        st, _, _ = Api(tame.http_port).call("DELETE", "/api/v1/session",
                                            token=None, headers=web)
        assert st in (200, 204)
        wait_for(lambda: by_cookie.closed, 10, what="the stream ended")
        assert not by_token.closed
        assert bob.call("DELETE", "/api/v1/agents/me/tokens")[0] == 200
        wait_for(lambda: by_token.closed, 10, what="the stream ended")
        assert not other.closed
    finally:
        for s in (by_cookie, by_token, other):
            s.close()
    # a disabled agent's stream ends too
    _, carol = agent_api(tame, "carol@example.com")
    s = EventStream(tame, {"Authorization": "Bearer " + carol.token})
    try:
        assert s.status() == 200
        carol_id = [a["id"] for a in tame.get("/api/v1/agents")["agents"]
                    if a["email"] == "carol@example.com"][0]
        assert tame.api("PATCH", "/api/v1/agents/%d" % carol_id,
                        {"disabled": True})[0] == 200
        wait_for(lambda: s.closed, 10, what="the stream ended")
    finally:
        s.close()


def test_one_agent_cannot_take_every_live_stream(tame):
    _, bob = agent_api(tame, "bob@example.com")
    mine = [EventStream(tame, {"Authorization": "Bearer " + bob.token})
            for _ in range(16)]
    try:
        assert [s.status() for s in mine] == [200] * 16
        extra = EventStream(tame, {"Authorization": "Bearer " + bob.token})
        try:
            assert extra.status() == 429
            assert b"too_many_streams" in extra.data or wait_for(
                lambda: b"too_many_streams" in extra.data, 5)
        finally:
            extra.close()
        admin = EventStream(tame, {"Authorization": "Bearer " + tame.token})
        try:
            assert admin.status() == 200
        finally:
            admin.close()
    finally:
        for s in mine:
            s.close()


# ---------------------------------------------------------------- tags

def test_tags_in_use_with_counts(tame):
    a = new_ticket(tame, "Tag A")["id"]
    b = new_ticket(tame, "Tag B")["id"]
    c = new_ticket(tame, "Tag C")["id"]
    for tid, tags in ((a, ["billing", "vip"]), (b, ["billing"]),
                      (c, ["billing", "bug"])):
        st, _, _ = tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                            {"tags": tags})
        assert st == 200
    tame.api("PATCH", "/api/v1/tickets/%d" % c, {"status": "solved"})
    ans = tame.get("/api/v1/tags")
    assert ans["tags"] == [{"tag": "billing", "count": 3, "open": 2},
                           {"tag": "bug", "count": 1, "open": 0},
                           {"tag": "vip", "count": 1, "open": 1}]
    st, h, payload = tame.api("GET", "/api/v1/tags?format=csv")
    assert st == 200
    assert csv_rows(payload)[0] == {"tag": "billing", "count": "3",
                                    "open": "2"}
