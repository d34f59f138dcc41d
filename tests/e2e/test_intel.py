"""Queue intelligence against a running tamed: trends, tone, outlier flags,
similar cases and the mass reply, over SMTP and the HTTP API.

Each test sends real mail with smtplib and reads what the intelligence
thread made of it through the API; the thread works after the commit, so
every check waits for it (wait_for) instead of sleeping a fixed time.
"""

import csv
import email.utils
import http.client
import io
import json
import mailbox
import os
import random
import re
import time

import pytest

from conftest import (MAILBOX, ROOT, SLOW, Api, assert_error, make_message,
                      new_msgid, settle, strip_angle, wait_for)

CARD_MAILS = [
    ("Ann Archer <ann@example.org>", "My card has not arrived",
     "Hello, I ordered a new debit card two weeks ago and the card has "
     "still not arrived. Can you check where my card is?"),
    ("Bob Baker <bob@example.net>", "Card not arrived yet",
     "Hi, my new card has not arrived yet. It was ordered ten days ago. "
     "When will the card arrive?"),
    ("Cleo Cruz <cleo@example.com>", "Where is my card?",
     "My card still has not arrived and I need it for a trip. "
     "The card was ordered last week."),
    ("Dev Dutta <dev@example.org>", "new card never arrived",
     "I am still waiting for my new card, it never arrived. "
     "Please send the card again."),
]

PASSWORD_MAILS = [
    ("Eve Early <eve@example.org>", "Password reset email missing",
     "I asked to reset my password but the password reset email never "
     "comes. How do I reset the password?"),
    ("Finn Fox <finn@example.net>", "Cannot reset password",
     "The reset password link does not work, I cannot reset my password "
     "and I am locked out."),
    ("Gus Gray <gus@example.com>", "reset my password",
     "Please help me reset my password, the password reset email does "
     "not arrive in my inbox."),
]


# ---------------------------------------------------------------- helpers

def send_all(tame, mails):
    """Sends (sender, subject, text) mails; answers the Message-IDs."""
    ids = []
    for sender, subject, text in mails:
        msg = make_message(sender=sender, subject=subject, text=text + "\n")
        tame.send_mail(msg)
        ids.append(msg["Message-ID"])
    return ids


def ticket_of(tame, subject):
    return tame.wait_ticket(subject)


def wait_trend(tame, tid, timeout=15):
    """The ticket, once the intelligence has given it a trend."""
    return wait_for(lambda: (lambda t: t if t.get("trend") else None)(
        tame.ticket(tid)), timeout, what="a trend on ticket %d" % tid)


def trend_ids(tame, subjects):
    out = {}
    for s in subjects:
        t = ticket_of(tame, s)
        out[s] = wait_trend(tame, t["id"])["trend"]["id"]
    return out


def trends(tame, min_open=3):
    return tame.get("/api/v1/trends?min_open=%d" % min_open)["trends"]


def trend_tickets(tame, trend_id, status="any"):
    body = tame.get("/api/v1/tickets?status=%s&trend=%d&limit=500" % (
        status, trend_id))
    return sorted(t["id"] for t in body["tickets"])


def setup_groups(tame):
    """Four card mails and three password mails; answers their tickets'
    ids and the two trend ids, once the grouping has settled."""
    send_all(tame, CARD_MAILS + PASSWORD_MAILS)
    card = [ticket_of(tame, s)["id"] for _, s, _ in CARD_MAILS]
    pw = [ticket_of(tame, s)["id"] for _, s, _ in PASSWORD_MAILS]

    def grouped():
        tr = [wait_trend(tame, t)["trend"]["id"] for t in card + pw]
        c, p = set(tr[:len(card)]), set(tr[len(card):])
        if len(c) == 1 and len(p) == 1 and c != p:
            return c.pop(), p.pop()
        return None
    ct, pt = wait_for(grouped, 15, what="card and password trends")
    return card, pw, ct, pt


# ---------------------------------------------------------------- trends

def test_same_problem_one_trend_readable_label(tame):
    send_all(tame, CARD_MAILS)
    send_all(tame, [("Hal Hill <hal@example.org>", "Invoice address wrong",
                     "The billing address on my last invoice is wrong, "
                     "please correct the company name.")])
    card = [ticket_of(tame, s)["id"] for _, s, _ in CARD_MAILS]
    other = ticket_of(tame, "Invoice address wrong")["id"]

    def one_trend():
        ids = {wait_trend(tame, t)["trend"]["id"] for t in card}
        return ids.pop() if len(ids) == 1 else None
    tr = wait_for(one_trend, 15, what="the card mails in one trend")

    listed = {t["id"]: t for t in trends(tame)}
    assert tr in listed, listed
    t = listed[tr]
    assert t["open_count"] == 4
    assert "card" in " ".join(t["label"]["words"]), t["label"]
    assert "card" in t["label"]["text"]
    assert t["label"]["subject"] in [s for _, s, _ in CARD_MAILS]
    assert t["growth"]["last_hour"] == 4 and t["growth"]["last_day"] == 4
    # four about one new problem within minutes: rising
    assert t["growth"]["rising"] is True, t["growth"]
    assert t["first_seen"] <= t["last_seen"]
    assert {s["id"] for s in t["samples"]} == set(card)
    assert all(s["customer"]["email"] for s in t["samples"])

    # the unrelated mail is elsewhere and not listed with >= 3
    o = wait_trend(tame, other)
    assert o["trend"]["id"] != tr
    assert all(x["id"] != o["trend"]["id"] for x in trends(tame))

    # each ticket carries the trend's label; the list filters by trend
    assert tame.ticket(card[0])["trend"]["label"] == t["label"]["text"]
    assert trend_tickets(tame, tr) == sorted(card)
    one = tame.get("/api/v1/trends/%d" % tr)
    assert one["trend"]["id"] == tr and one["total"] == 4
    assert sorted(x["id"] for x in one["tickets"]) == sorted(card)

    # solved tickets leave the trend's open count
    st, _, _ = tame.api("PATCH", "/api/v1/tickets/%d" % card[0],
                        {"status": "solved"})
    assert st == 200
    wait_for(lambda: tame.get("/api/v1/trends/%d" % tr)["trend"][
        "open_count"] == 3, 10, what="open_count 3 after a solve")

    st, _, body = tame.api("GET", "/api/v1/trends?format=csv")
    assert st == 200 and b"open_count" in body
    # numbers as a spreadsheet shows them: the shortest form that reads
    # back as the JSON's number (0.04, never 0.040000000000000001; 1,
    # not 1.0)
    listed = {t["id"]: t for t in tame.get("/api/v1/trends")["trends"]}
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    cells = []
    for r in rows:
        for col in ("usual_per_hour", "ratio"):
            want = listed[int(r["id"])]["growth"][col]
            shortest = repr(float(want)).removesuffix(".0")
            assert r["growth." + col] == shortest, (r, want)
            cells.append(r["growth." + col])
    assert cells and not any(c.endswith(".0") for c in cells), cells


def trend_after_start(tame, tid):
    """GET /trends/ID; None while tamed rebuilds its index after a start
    (503 busy: the trend is not missing, only not ready)."""
    st, _, body = tame.api("GET", "/api/v1/trends/%d" % tid)
    if st == 503:
        assert body["error"]["code"] == "busy", body
        return None
    assert st == 200, body
    return body


def test_rename_merge_move_out_survive_restart(tame):
    card, pw, ct, pt = setup_groups(tame)

    # a name is one line: a control character is refused
    st, _, body = tame.api("PATCH", "/api/v1/trends/%d" % ct,
                           {"label": "Cards\nlost"})
    assert "control characters" in assert_error(st, body, 400)["message"]
    # a blank name is no name, and the field is needed
    st, _, body = tame.api("PATCH", "/api/v1/trends/%d" % ct,
                           {"label": "   "})
    assert "white space" in assert_error(st, body, 400)["message"]
    st, _, body = tame.api("PATCH", "/api/v1/trends/%d" % ct, {})
    assert assert_error(st, body, 400)["code"] == "missing_field"
    st, _, body = tame.api("PATCH", "/api/v1/trends/%d" % ct,
                           {"label": "Cards lost in the post"})
    assert st == 200, body
    assert body["trend"]["label"]["text"] == "Cards lost in the post"
    assert body["trend"]["label"]["named"] is True
    assert tame.ticket(card[1])["trend"]["label"] == "Cards lost in the post"

    st, _, body = tame.api("POST", "/api/v1/trends/%d/merge" % pt,
                           {"into": ct})
    assert st == 200, body
    assert body["trend"]["id"] == ct
    assert body["trend"]["open_count"] == 7
    assert trend_tickets(tame, ct) == sorted(card + pw)
    # the merged trend's id lists the trend it went into
    assert trend_tickets(tame, pt) == sorted(card + pw)

    st, _, body = tame.api("POST", "/api/v1/tickets/%d/trend/remove" % pw[0])
    assert st == 200, body
    solo = body["trend"]["id"]
    assert solo not in (ct, pt)
    # again: it is on its own already, no second trend is made
    st, _, again = tame.api("POST", "/api/v1/tickets/%d/trend/remove"
                            % pw[0])
    assert st == 200 and again == body, again
    assert tame.ticket(pw[0])["trend"]["id"] == solo
    assert trend_tickets(tame, ct) == sorted(card + pw[1:])

    tame.restart()

    wait_for(lambda: (trend_after_start(tame, ct) or {"trend": {}})[
        "trend"].get("open_count") == 6, 20,
        what="the merged trend after restart")
    t = tame.get("/api/v1/trends/%d" % ct)["trend"]
    assert t["label"]["text"] == "Cards lost in the post"
    assert sorted(x["id"] for x in tame.get("/api/v1/trends/%d" % ct)[
        "tickets"]) == sorted(card + pw[1:])
    # the merged id leads to where it went
    assert tame.get("/api/v1/trends/%d" % pt)["trend"]["id"] == ct
    assert trend_tickets(tame, pt) == sorted(card + pw[1:])
    assert tame.ticket(pw[0])["trend"]["id"] == solo
    assert trend_tickets(tame, ct) == sorted(card + pw[1:])

    # a new mail about the problem still joins the named trend; the
    # moved-out ticket stays out
    send_all(tame, [("Ivy Irons <ivy@example.org>", "card did not arrive",
                     "My new debit card has not arrived, it was ordered two "
                     "weeks ago. Where is the card?")])
    new = ticket_of(tame, "card did not arrive")["id"]
    assert wait_trend(tame, new)["trend"]["id"] == ct
    settle(1.5)
    assert tame.ticket(pw[0])["trend"]["id"] == solo


def test_to_answer_rising_first_and_every_trend(tame):
    card, pw, ct, pt = setup_groups(tame)
    # three card customers were answered and wait (pending): one is left
    # to answer, as the list and the trend say
    for tid in card[:3]:
        st, _, body = tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                               {"status": "pending"})
        assert st == 200, body
    wait_for(lambda: tame.get("/api/v1/trends/%d" % ct)["trend"][
        "to_answer"] == 1, 10, what="1 card ticket to answer")
    one = tame.get("/api/v1/trends/%d" % ct)["trend"]
    assert one["open_count"] == 4
    listed = {t["id"]: t for t in trends(tame)}
    assert listed[ct]["to_answer"] == 1 and listed[pt]["to_answer"] == 3
    # the customer wrote again: to answer again
    st, _, _ = tame.api("PATCH", "/api/v1/tickets/%d" % card[0],
                        {"status": "open"})
    wait_for(lambda: tame.get("/api/v1/trends/%d" % ct)["trend"][
        "to_answer"] == 2, 10, what="2 card tickets to answer")

    # both trends are new and rising: the one with more to answer leads,
    # though the other is larger; the total counts the one left out
    body = tame.get("/api/v1/trends?sort=rising&limit=1")
    assert [t["id"] for t in body["trends"]] == [pt], body
    assert body["total"] == 2
    assert [t["id"] for t in tame.get("/api/v1/trends?sort=open&limit=1")[
        "trends"]] == [ct]
    st, _, body = tame.api("GET", "/api/v1/trends?sort=size")
    assert_error(st, body, 400)

    # every trend in one answer, without the tickets of each
    body = tame.get("/api/v1/trends?samples=0&limit=5000&min_open=1")
    mine = {t["id"]: t for t in body["trends"]}
    assert body["total"] == len(body["trends"]) and ct in mine
    assert mine[ct]["samples"] == [] and mine[ct]["to_answer"] == 2
    assert mine[ct]["label"]["subject"] is None
    st, _, body = tame.api("GET", "/api/v1/trends?limit=5000")
    assert_error(st, body, 400)
    st, _, body = tame.api("GET", "/api/v1/trends?format=csv")
    assert st == 200 and b"to_answer" in body.splitlines()[0]

    # the count is rebuilt at a start
    tame.restart()
    wait_for(lambda: (trend_after_start(tame, ct) or {"trend": {}})[
        "trend"].get("to_answer") == 2, 20, what="to_answer after restart")


def split_cards(tame):
    """setup_groups, then the last two card tickets split off the card
    trend; answers its answer too and the new trend's id."""
    card, pw, ct, pt = setup_groups(tame)
    st, _, body = tame.api("POST", "/api/v1/trends/%d/split" % ct,
                           {"ticket_ids": card[2:]})
    assert st == 201, body
    return card, pw, ct, pt, body, body["trend"]["id"]


def test_similar_trends(tame):
    card, pw, ct, pt, _, nt = split_cards(tame)
    # the two halves of one problem are alike; the password trend is not
    body = tame.get("/api/v1/trends/%d/similar" % ct)
    assert body["trend_id"] == ct
    sim = body["similar"]
    assert sim and sim[0]["id"] == nt, sim
    assert 0 < sim[0]["score"] <= 1 and sim[0]["open_count"] == 2
    assert sim[0]["samples"] == []
    assert all(x["id"] != ct for x in sim)
    assert all(a["score"] >= b["score"] for a, b in zip(sim, sim[1:]))
    assert len(tame.get("/api/v1/trends/%d/similar?limit=1" % ct)[
        "similar"]) == 1
    # a merged id answers for the trend it went into
    st, _, _ = tame.api("POST", "/api/v1/trends/%d/merge" % pt,
                        {"into": nt})
    assert st == 200
    assert tame.get("/api/v1/trends/%d/similar" % pt)["trend_id"] == nt
    st, _, body = tame.api("GET", "/api/v1/trends/999999/similar")
    assert_error(st, body, 404)


def test_split_survives_restart(tame):
    card, pw, ct, pt, body, nt = split_cards(tame)
    assert nt not in (ct, pt)
    assert sorted(x["id"] for x in body["tickets"]) == sorted(card[2:])
    assert trend_tickets(tame, ct) == sorted(card[:2])

    st, _, body = tame.api("POST", "/api/v1/trends/%d/split" % ct,
                           {"ticket_ids": pw})
    assert_error(st, body, 400)

    tame.restart()
    wait_for(lambda: trend_after_start(tame, nt) and
             trend_tickets(tame, nt) == sorted(card[2:]) and
             tame.get("/api/v1/trends/%d" % nt)["total"] == 2, 20,
             what="the split trend after restart")
    assert trend_tickets(tame, ct) == sorted(card[:2])


# Customer questions of a day (banking77 texts) and some odd mail: placing
# them again at a restart merges groups in another order than they
# formed, which once left a trend under a new id that no ticket named.
RESTART_MAILS = [
    ("Ann Archer", "How can I track my card's delivery?"),
    ("Bob Baker", "I haven't received my card and am worried it is lost."),
    ("Cara Cole", "I have not received my card and it's been a week, what "
     "do I do?"),
    ("Dev Dutta", "Can you track my card for me?"),
    ("Eve Evans", "My new card has not been delivered to my home yet. What "
     "is going on?"),
    ("Finn Ford", "I was issued a new card a week ago but still haven't "
     "received it. How long will it be until I receive it?"),
    ("Gia Gold", "My card was stolen"),
    ("Hal Hunt", "Who can I speak with regarding a lost card?"),
    ("Ivy Irwin", "Is there any way for you to find my card?"),
    ("Jon Jones", "I can't find my card! Can you help?"),
    ("Kim King", "What should I do if my card is stolen?"),
    ("Lee Lane", "Hello. I bought an item a while ago, and have since "
     "requested a refund.  However, upon checking my online statements, it "
     "seems that I haven't been issued a refund yet.  How can this be "
     "remedied?"),
    ("Mia Moss", "when will I get my refund?"),
    ("Ned Nash", "I am missing a refund amount on my account."),
    ("Ola Otto", "I contacted the seller for a direct refund last week but "
     "he still hasn't give me my money. What should I do?"),
    ("Pat Penn", "Hello. Please, would you tell me if you have or have not "
     "received funds for a refund that I recently requested for a big "
     "purchase? I've contacted the merchant, but I can't tell that they "
     "have taken any action on it."),
    ("Ann Archer", "If I need to cash foreign transfers, how does that "
     "work?"),
    ("Bob Baker", "I tried entering my pin several times incorrectly. Why "
     "isn't my pin working?"),
    ("Cara Cole", "Can I tell if my top off didn't work?  It doesn't seem "
     "to have."),
]
ODD_MAILS = [
    ("Abe Usive", "You idiots", "You are a bunch of useless idiots. Your "
     "support agent is a moron. Fix my card."),
    ("Sam Swear", "Damn card", "This damn card does not work again, what "
     "the hell is going on with this shit."),
    ("Uma Urgent", "URGENT: account locked", "URGENT! My account is locked "
     "and I need this fixed ASAP, I cannot pay rent today!!!"),
    ("Emma Empty", "Empty body", ""),
    ("Quo Ted", "Re: earlier", "> You idiots, this is URGENT ASAP!!!\n"
     "> I hate you\n> useless morons"),
    ("Mix Ed", "\u6df7\u5408 Mixed \u0645\u0631\u062d\u0628\u0627",
     "Bonjour, je suis tr\u00e8s en col\u00e8re! \u8fd9\u662f\u7d27\u6025"
     "\u7684!!! \u0645\u0631\u062d\u0628\u0627 \U0001F621 URGENT ASAP"),
    ("Dieter D", "Karte", "Ich bin extrem w\u00fctend, meine Karte "
     "funktioniert nicht. Sofort beheben, Sie Idioten!"),
    ("Ulla Two", "Need help ASAP", "Please fix this ASAP, my payment "
     "failed."),
    ("Ulla Three", "URGENT", "URGENT!!! I need this fixed ASAP, I am losing "
     "money right now!!!"),
    ("Html Only", "html only angry", "You are useless idiots. This is "
     "URGENT, fix it ASAP!!!"),
]


def trends_agree(tame):
    """Every listed trend: its own list, the ?trend= filter and each of
    its tickets name the same trend. Answers what disagrees."""
    bad = []
    for t in tame.get("/api/v1/trends?min_open=1&limit=200")["trends"]:
        own = sorted(x["id"] for x in tame.get("/api/v1/trends/%d"
                                               % t["id"])["tickets"])
        listed = trend_tickets(tame, t["id"], "new,open,pending")
        said = {tame.ticket(x)["trend"]["id"] for x in own}
        if own != listed or said != {t["id"]} or \
                t["open_count"] != len(own):
            bad.append((t["id"], own, listed, said))
    return bad


def test_trend_ids_agree_after_restart(tame):
    for i, (name, text) in enumerate(RESTART_MAILS):
        first = name.split()[0]
        tame.send_mail(sender="%s <%s%d@example.org>" % (name, first.lower(),
                                                         i),
                       subject=text[:60],
                       text=text + "\n\nThanks,\n" + first + "\n")
    rnd = random.Random(1)
    words = ("the account card payment transfer balance please help issue "
             "money bank").split()
    for n in (401, 400):
        tame.send_mail(sender="Long Writer <long%d@example.org>" % n,
                       subject="Long %d words" % n,
                       text=" ".join(rnd.choice(words) for _ in range(n)))
    for i, (name, subject, text) in enumerate(ODD_MAILS):
        if i == 7:
            wait_trend(tame, ticket_of(tame, "Karte")["id"])
            settle(2)
        tame.send_mail(sender="%s <odd%d@example.org>" % (name, i),
                       subject=subject, text=text + "\n")
    last = ticket_of(tame, "html only angry")["id"]
    wait_trend(tame, last)
    settle(2)
    before = {t["id"]: t["open_count"] for t in tame.get(
        "/api/v1/trends?min_open=1&limit=200")["trends"]}
    assert len(before) >= 5 and trends_agree(tame) == []
    tame.restart()
    wait_for(lambda: trend_after_start(tame, max(before)), 20,
             what="the trends after restart")
    settle(2)
    assert trends_agree(tame) == []
    after = {t["id"]: t["open_count"] for t in tame.get(
        "/api/v1/trends?min_open=1&limit=200")["trends"]}
    # the same trends under the same ids
    assert sum(after.values()) == sum(before.values())
    assert set(after) <= set(before), (before, after)


def test_trend_errors(tame):
    card, pw, ct, pt = setup_groups(tame)
    for method, path, body, code in [
            ("GET", "/api/v1/trends/999999", None, 404),
            ("PATCH", "/api/v1/trends/%d" % ct, {"label": 7}, 400),
            ("PATCH", "/api/v1/trends/%d" % ct, {"name": "x"}, 400),
            ("PATCH", "/api/v1/trends/%d" % ct, {"label": "x" * 300}, 400),
            ("POST", "/api/v1/trends/%d/merge" % ct, {"into": ct}, 400),
            ("POST", "/api/v1/trends/%d/merge" % ct, {"into": "a"}, 400),
            ("POST", "/api/v1/trends/%d/merge" % ct, {"into": 999999}, 404),
            ("POST", "/api/v1/trends/%d/split" % ct, {"ticket_ids": []},
             400),
            ("POST", "/api/v1/trends/%d/split" % ct, {"ticket_ids": [0]},
             400),
            ("POST", "/api/v1/tickets/999999/trend/remove", None, 404),
            ("GET", "/api/v1/tickets?flag=nonsense", None, 400),
            ("GET", "/api/v1/tickets?trend=abc", None, 400),
            # a name that shows nothing is no name
            ("PATCH", "/api/v1/trends/%d" % ct, {"label": "\u200b"}, 400),
            ("PATCH", "/api/v1/trends/%d" % ct, {"label": "\u00a0\u3000"},
             400),
            ("POST", "/api/v1/trends/%d/reply" % ct,
             {"text": "\u200b\u2003\n", "preview": True}, 400),
            ("POST", "/api/v1/tickets/%d/replies" % card[0],
             {"text": "\ufeff"}, 400),
            ("POST", "/api/v1/tickets/%d/trend/remove" % card[0], {"x": 1},
             400)]:
        st, _, ans = tame.api(method, path, body)
        assert_error(st, ans, code)
    # nothing of that changed the trend
    assert trend_tickets(tame, ct) == sorted(card)
    assert tame.get("/api/v1/trends/%d" % ct)["trend"]["label"][
        "named"] is False
    # a name can be taken back
    st, _, body = tame.api("PATCH", "/api/v1/trends/%d" % ct,
                           {"label": None})
    assert st == 200 and body["trend"]["label"]["named"] is False


# ---------------------------------------------------------------- mass reply

def test_mass_reply_personal_in_own_thread_and_idempotent(tame, sink):
    card, pw, ct, pt = setup_groups(tame)
    text = ("Hi {{customer.first_name}},\n\nsorry: the cards of last week "
            "were held up at the printer. Yours is on its way (ticket "
            "{{ticket.id}}).\n\n{{agent.name}}")
    path = "/api/v1/trends/%d/reply" % ct

    # preview: recipients and their texts, nothing sent
    st, _, body = tame.api("POST", path, {"text": text, "preview": True,
                                          "exclude": [card[3]]})
    assert st == 200, body
    assert body["preview"] is True and body["count"] == 3
    assert body["excluded"] == [card[3]]
    names = {r["ticket_id"]: r for r in body["recipients"]}
    assert set(names) == set(card[:3])
    assert names[card[0]]["text"].startswith("Hi Ann,")
    assert ("ticket %d" % card[1]) in names[card[1]]["text"]
    settle(1.0)
    assert sink.messages == []

    key = {"Idempotency-Key": "trend-%d-first" % ct}
    req = {"text": text, "exclude": [card[3]], "status": "solved"}
    st, h, first = tame.api("POST", path, req, headers=key)
    assert st == 200, first
    assert first["count"] == 3 and first["failed"] == []
    sink.wait_count(3, timeout=30)

    by_rcpt = {m["rcpts"][0]: m for m in sink.messages}
    assert set(by_rcpt) == {"ann@example.org", "bob@example.net",
                            "cleo@example.com"}
    for (sender, subject, _), mid, tid in zip(
            CARD_MAILS[:3], [None] * 3, card[:3]):
        addr = email.utils.parseaddr(sender)[1]
        m = by_rcpt[addr]["msg"]
        first_name = sender.split()[0]
        body_text = m.get_body(("plain",)).get_content()
        assert body_text.startswith("Hi %s," % first_name), body_text
        assert "ticket %d" % tid in body_text
        assert m["Subject"].endswith("[#%d]" % tid)
        assert subject in m["Subject"]
        t = tame.ticket(tid)
        cust_mid = t["messages"][0]["message_id"]
        assert strip_angle(m["In-Reply-To"]) == cust_mid
        assert t["status"] == "solved"
        assert t["messages"][-1]["direction"] == "out"
    assert tame.ticket(card[3])["status"] == "new"

    # the same request again: the same answer, nothing sent again
    st, h, again = tame.api("POST", path, req, headers=key)
    assert st == 200 and again == first
    assert h.get("Idempotent-Replayed") == "true"
    settle(1.5)
    assert len(sink.messages) == 3

    # the key with another request is refused
    st, _, body = tame.api("POST", path, {"text": "other"}, headers=key)
    assert_error(st, body, 422)

    # a reply needs a text, or a saved reply
    st, _, body = tame.api("POST", path, {"preview": True})
    assert_error(st, body, 400)
    st, _, saved = tame.api("POST", "/api/v1/saved-replies", {
        "title": "Card delay", "body": "Dear {{customer.name}}: on its way."})
    assert st == 201, saved
    st, _, body = tame.api("POST", path, {
        "saved_reply_id": saved["saved_reply"]["id"], "preview": True})
    assert st == 200, body
    texts = {r["ticket_id"]: r["text"] for r in body["recipients"]}
    assert texts == {card[3]: "Dear Dev Dutta: on its way."}
    st, _, body = tame.api("POST", path, {"saved_reply_id": 999999,
                                          "preview": True})
    assert_error(st, body, 404)


def test_mass_reply_goes_only_to_the_tickets_previewed(tame, sink):
    card, pw, ct, pt = setup_groups(tame)
    path = "/api/v1/trends/%d/reply" % ct
    st, _, body = tame.api("POST", path, {"text": "Hi {{customer.first_name}}",
                                          "preview": True})
    assert st == 200 and body["count"] == 4, body
    shown = [r["ticket_id"] for r in body["recipients"]]

    # meanwhile a fifth customer writes about it, a colleague solves one
    # of the four, and the password trend is merged in
    send_all(tame, [("Ivy Irons <ivy@example.org>", "card did not arrive",
                     "My new debit card has not arrived, it was ordered two "
                     "weeks ago. Where is the card?")])
    new = ticket_of(tame, "card did not arrive")["id"]
    assert wait_trend(tame, new)["trend"]["id"] == ct
    st, _, body = tame.api("PATCH", "/api/v1/tickets/%d" % card[0],
                           {"status": "solved"})
    assert st == 200, body
    st, _, body = tame.api("POST", "/api/v1/trends/%d/merge" % pt,
                           {"into": ct})
    assert st == 200, body

    st, _, ans = tame.api("POST", path, {"text": "Hi {{customer.first_name}}",
                                         "ticket_ids": shown,
                                         "status": "solved"})
    assert st == 200, ans
    assert sorted(x["ticket_id"] for x in ans["sent"]) == sorted(card[1:])
    assert ans["failed"] == [{"ticket_id": card[0], "error":
                              "no longer an open ticket of this trend"}]
    assert sorted(ans["excluded"]) == sorted(pw + [new])
    sink.wait_count(3, timeout=30)
    settle(1.0)
    assert sorted(m["rcpts"][0] for m in sink.messages) == [
        "bob@example.net", "cleo@example.com", "dev@example.org"]

    for bad in ([], [0], "1", [card[1], "x"]):
        st, _, body = tame.api("POST", path, {"text": "x",
                                              "ticket_ids": bad})
        assert_error(st, body, 400)


def test_mass_reply_refused_whole_when_one_text_cannot_go(tame, sink):
    """Every recipient's text is checked before the first is sent: one
    that would be over 1 MiB once its placeholders are filled in refuses
    the whole mass reply (413, naming the ticket), nothing is sent and
    the Idempotency-Key is not left claimed. Before, the others were
    sent, the answer was 500 and the key stayed "in progress"."""
    card, pw, ct, pt = setup_groups(tame)
    sender, _, text = CARD_MAILS[0]
    long_subject = "My card has not arrived " + "still " * 150
    send_all(tame, [("Lou Long <lou@example.org>", long_subject, text)])
    lou = ticket_of(tame, long_subject.strip())["id"]
    wait_for(lambda: wait_trend(tame, lou)["trend"]["id"] == ct, 15,
             what="the long subject in the card trend")
    path = "/api/v1/trends/%d/reply" % ct
    key = {"Idempotency-Key": "too-long-once"}
    req = {"text": "{{ticket.subject}}\n" * 1300}
    for headers, body in ((key, req), (key, req),
                          (None, dict(req, preview=True))):
        st, _, ans = tame.api("POST", path, body, headers=headers)
        assert assert_error(st, ans, 413)["code"] == "too_large"
        assert "ticket #%d" % lou in ans["error"]["message"]
    # a text that is only white space is no reply either
    st, _, ans = tame.api("POST", path, {"text": " \n\t "})
    assert assert_error(st, ans, 400)["code"] == "invalid_field"
    settle(1.0)
    assert sink.messages == []
    assert [tame.ticket(t)["message_count"] for t in card] == [1] * 4
    # the same key, now with Lou left out: nothing was claimed
    st, _, ans = tame.api("POST", path, dict(req, exclude=[lou]),
                          headers=key)
    assert st == 200 and ans["count"] == 4 and ans["failed"] == [], ans
    sink.wait_count(4, timeout=30)

    # the render preview and a bulk reply hold the same limit and say so
    st, _, saved = tame.api("POST", "/api/v1/saved-replies", {
        "title": "Subject, many times", "body": req["text"]})
    assert st == 201, saved
    sid = saved["saved_reply"]["id"]
    st, _, ans = tame.api("POST", "/api/v1/saved-replies/%d/render" % sid,
                          {"ticket_id": lou})
    assert assert_error(st, ans, 413)["code"] == "too_large"
    st, _, ans = tame.api("POST", "/api/v1/saved-replies/%d/render" % sid,
                          {"ticket_id": pw[0]})
    assert st == 200 and len(ans["body"]) > 20000, ans
    st, _, ans = tame.api("POST", "/api/v1/tickets/bulk", {
        "ticket_ids": [lou], "action": "reply", "saved_reply_id": sid})
    assert st == 200 and ans["failed"] == 1, ans
    err = ans["results"][0]["error"]
    assert err["code"] == "too_large" and "#%d" % lou in err["message"]


def test_mass_reply_twice_by_mistake_mails_nobody_twice(tame, sink):
    """The probe's wave: a mass reply with two left out, then the same
    reply again. The preview of the second flags who was answered (by
    whom, when, and that it is this very text); the send, even straight
    from the API under a new key, skips every ticket whose last word
    from us is this very text, and answers only the two left out. Once
    the customer writes again, the text may go again. Before, everyone
    got it twice with no word."""
    card, pw, ct, pt = setup_groups(tame)
    path = "/api/v1/trends/%d/reply" % ct
    text = "Hi {{customer.first_name}}, the card printer is fixed."
    st, _, first = tame.api("POST", path, {"text": text, "preview": True})
    assert st == 200, first
    for r in first["recipients"]:
        assert not {"answered", "already_sent", "answered_elsewhere",
                    "same_customer_as"} & set(r), r

    st, _, ans = tame.api("POST", path, {"text": text, "exclude": card[2:]},
                          headers={"Idempotency-Key": "wave-1"})
    assert st == 200 and ans["count"] == 2, ans
    assert ans["already_sent"] == []
    sink.wait_count(2, timeout=30)

    st, _, pv = tame.api("POST", path, {"text": text, "preview": True})
    assert st == 200, pv
    rs = {r["ticket_id"]: r for r in pv["recipients"]}
    for t in card[:2]:
        a = rs[t]["answered"]
        assert a["ticket_id"] == t and a["by"] == {
            "id": tame.admin_id, "name": "Ada Admin"}, a
        assert re.match(r"\d{4}-\d\d-\d\dT", a["at"])
        assert rs[t]["already_sent"] == a["message_id"]
    for t in card[2:]:
        assert "answered" not in rs[t] and "already_sent" not in rs[t]
    # another text: answered is said, but it is no copy
    st, _, pv2 = tame.api("POST", path, {"text": "Other news.",
                                         "preview": True})
    r0 = [r for r in pv2["recipients"] if r["ticket_id"] == card[0]][0]
    assert "answered" in r0 and "already_sent" not in r0

    # the same again, under a new key, nothing left out: only the two
    st, _, again = tame.api("POST", path, {"text": text},
                            headers={"Idempotency-Key": "wave-2"})
    assert st == 200, again
    assert sorted(x["ticket_id"] for x in again["sent"]) == card[2:]
    assert sorted(x["ticket_id"] for x in again["already_sent"]) == card[:2]
    sink.wait_count(4, timeout=30)
    # and without a key, and as a bulk reply: nobody is mailed again
    st, _, third = tame.api("POST", path, {"text": text})
    assert st == 200 and third["count"] == 0, third
    assert len(third["already_sent"]) == 4
    st, _, bulk = tame.api("POST", "/api/v1/tickets/bulk", {
        "ticket_ids": card, "action": "reply", "text": text})
    assert st == 200 and bulk["succeeded"] == 4, bulk
    assert all(r["already_sent"] and r["message_id"] for r in
               bulk["results"]), bulk
    settle(1.0)
    assert len(sink.messages) == 4
    assert [tame.ticket(t)["message_count"] for t in card] == [2] * 4

    # the customer writes again: the same text is a new answer now
    ours = tame.ticket(card[0])["messages"][-1]["message_id"]
    tame.send_mail(make_message(sender=CARD_MAILS[0][0],
                                subject="Re: " + CARD_MAILS[0][1],
                                text="Still no card.\n",
                                headers={"In-Reply-To": "<%s>" % ours}))
    wait_for(lambda: tame.ticket(card[0])["message_count"] == 3)
    st, _, fourth = tame.api("POST", "/api/v1/tickets/bulk", {
        "ticket_ids": card[:2], "action": "reply", "text": text})
    assert st == 200, fourth
    res = {r["ticket_id"]: r for r in fourth["results"]}
    assert res[card[0]]["message_id"] and "already_sent" not in res[card[0]]
    assert res[card[1]]["already_sent"]
    sink.wait_count(5, timeout=30)
    settle(1.0)
    assert len(sink.messages) == 5
    # another reply from us after it: the text is no longer our last
    # word, and may go again
    tame.reply(card[1], "One more thing: check your spam folder.")
    sink.wait_count(6, timeout=30)
    st, _, fifth = tame.api("POST", "/api/v1/tickets/bulk", {
        "ticket_ids": card[1:2], "action": "reply", "text": text})
    assert st == 200, fifth
    assert "already_sent" not in fifth["results"][0], fifth
    sink.wait_count(7, timeout=30)


def test_same_text_goes_again_after_the_recent_window(tame, sink):
    """The same text is skipped only within TAME_MASS_RECENT_MS (a
    shift): a weekly "is this still an issue?" to a silent customer
    goes. The test shortens the window to three seconds."""
    tame.stop()
    tame.start(env={"TAME_MASS_RECENT_MS": "3000"})
    tame.send_mail(make_message(sender="quiet@example.org",
                                subject="Printer jams"))
    tid = tame.wait_ticket("Printer jams")["id"]
    req = {"ticket_ids": [tid], "action": "reply",
           "text": "Is this still an issue?"}
    st, _, ans = tame.api("POST", "/api/v1/tickets/bulk", req)
    assert st == 200 and "already_sent" not in ans["results"][0], ans
    st, _, ans = tame.api("POST", "/api/v1/tickets/bulk", req)
    assert st == 200 and ans["results"][0]["already_sent"], ans
    sink.wait_count(1, timeout=30)
    settle(3.5)
    st, _, ans = tame.api("POST", "/api/v1/tickets/bulk", req)
    assert st == 200 and "already_sent" not in ans["results"][0], ans
    sink.wait_count(2, timeout=30)


def test_mass_reply_preview_flags_the_customer_answered_elsewhere(tame):
    """A customer answered on another ticket of theirs in the last hours
    (a follow-up written as a new mail), or twice in the same mass reply,
    is flagged in the preview, naming the ticket."""
    card, pw, ct, pt = setup_groups(tame)
    # Ann also wrote about her password; an agent answered it
    send_all(tame, [("Ann Archer <ann@example.org>", "Locked out",
                     "I cannot sign in to the web portal at all.")])
    other = ticket_of(tame, "Locked out")["id"]
    tame.reply(other, "Try the link again, please.")
    # and wrote about her card a second time, as a new mail
    send_all(tame, [("Ann Archer <ann@example.org>", "card still missing",
                     "My new debit card has still not arrived, it was "
                     "ordered two weeks ago. Where is the card?")])
    again = ticket_of(tame, "card still missing")["id"]
    assert wait_trend(tame, again)["trend"]["id"] == ct
    path = "/api/v1/trends/%d/reply" % ct
    st, _, pv = tame.api("POST", path, {"text": "Hi", "preview": True})
    assert st == 200, pv
    rs = {r["ticket_id"]: r for r in pv["recipients"]}
    for t in (card[0], again):
        e = rs[t]["answered_elsewhere"]
        assert e["ticket_id"] == other and e["by"]["id"] == tame.admin_id
        assert "answered" not in rs[t]
    assert rs[again]["same_customer_as"] == card[0]
    assert "same_customer_as" not in rs[card[0]]
    assert not {"answered_elsewhere", "same_customer_as"} & set(rs[card[1]])
    # left out, the first no longer makes the second a double
    st, _, pv = tame.api("POST", path, {"text": "Hi", "preview": True,
                                        "exclude": [card[0]]})
    rs = {r["ticket_id"]: r for r in pv["recipients"]}
    assert "same_customer_as" not in rs[again]


def answer_and_solve(other, card):
    """A colleague (other) answers Ann's card ticket and solves Bob's."""
    st, _, ans = other.call("POST", "/api/v1/tickets/%d/replies" % card[0],
                            {"text": "Your card is on its way, Ann."})
    assert st == 201, ans
    st, _, ans = other.call("PATCH", "/api/v1/tickets/%d" % card[1],
                            {"status": "solved"})
    assert st == 200, ans


def test_mass_reply_leaves_out_those_answered_or_solved_meanwhile(
        tame, sink):
    """While the "Reply to all" dialog is open a colleague answers one
    customer, solves another's ticket and merges a third into the
    fourth: the send (since_event_id of the preview) mails none of the
    three, names each with why, and the others get theirs once."""
    card, pw, ct, pt = setup_groups(tame)
    grace, tok = tame.add_agent("grace@example.com")
    other = Api(tame.http_port, tok)
    path = "/api/v1/trends/%d/reply" % ct
    st, _, look = tame.api("POST", path, {"text": "Hi", "preview": True})
    assert st == 200 and look["count"] == 4, look
    assert look["since_event_id"] > 0
    shown = [r["ticket_id"] for r in look["recipients"]]

    answer_and_solve(other, card)
    st, _, ans = other.call("POST", "/api/v1/tickets/%d/merge" % card[2],
                            {"into": card[3]})
    assert st == 200, ans
    sink.wait_count(1, timeout=30)

    req = {"text": "Hi {{customer.first_name}}, the cards are out.",
           "ticket_ids": shown, "since_event_id": look["since_event_id"]}
    key = {"Idempotency-Key": "trend-%d-meanwhile" % ct}
    st, _, ans = tame.api("POST", path, req, headers=key)
    assert st == 200, ans
    assert [x["ticket_id"] for x in ans["sent"]] == [card[3]], ans
    assert ans["failed"] == [] and ans["count"] == 1
    left = {x["ticket_id"]: x for x in ans["skipped"]}
    assert left[card[0]]["reason"] == "answered_meanwhile"
    assert left[card[0]]["by"] == {"id": grace, "name": "Agent grace"}
    assert left[card[1]]["reason"] == "solved_meanwhile"
    assert left[card[2]]["reason"] == "merged_meanwhile"
    assert left[card[2]]["into"] == card[3]
    assert len(left) == 3

    sink.wait_count(2, timeout=30)
    settle(1.0)
    rcpts = sorted(m["rcpts"][0] for m in sink.messages)
    assert rcpts == ["ann@example.org", "dev@example.org"], rcpts
    ann = [m["msg"] for m in sink.messages if m["rcpts"] == [
        "ann@example.org"]]
    assert ann[0].get_body(("plain",)).get_content().startswith(
        "Your card is on its way")

    # retried: the kept answer, nobody mailed again
    st, h, again = tame.api("POST", path, req, headers=key)
    assert st == 200 and again == ans
    assert h.get("Idempotent-Replayed") == "true"
    settle(1.0)
    assert len(sink.messages) == 2

    for bad in (-1, "1", 1.5):
        st, _, body = tame.api("POST", path, dict(req, since_event_id=bad))
        assert_error(st, body, 400)
    # null is no point, as for the bulk reply: a preview as ever
    st, _, body = tame.api("POST", path, dict(req, since_event_id=None,
                                               preview=True))
    assert st == 200 and "skipped" not in body, body


def test_mass_reply_preview_names_those_answered_or_solved_since(
        tame, sink):
    """The "Reply to all" dialog asks again while it is open: a preview
    naming the point of the first (and the tickets it showed) answers
    which of them a colleague answered or solved after it, with who,
    beside the recipients as ever; the solved one, no longer open, is
    named too; nothing is sent."""
    card, pw, ct, pt = setup_groups(tame)
    grace, tok = tame.add_agent("grace@example.com")
    other = Api(tame.http_port, tok)
    path = "/api/v1/trends/%d/reply" % ct
    st, _, look = tame.api("POST", path, {"text": "Hi", "preview": True})
    assert st == 200 and look["count"] == 4, look
    assert "skipped" not in look
    shown = [r["ticket_id"] for r in look["recipients"]]

    answer_and_solve(other, card)
    sink.wait_count(1, timeout=30)

    st, _, again = tame.api("POST", path, {
        "text": "Hi", "preview": True, "ticket_ids": shown,
        "since_event_id": look["since_event_id"]})
    assert st == 200, again
    left = {x["ticket_id"]: x for x in again["skipped"]}
    assert sorted(left) == sorted(card[:2]), again
    assert left[card[0]]["reason"] == "answered_meanwhile"
    assert left[card[0]]["by"] == {"id": grace, "name": "Agent grace"}
    assert left[card[1]]["reason"] == "solved_meanwhile"
    assert left[card[1]]["by"]["id"] == grace
    assert again["since_event_id"] > look["since_event_id"]
    # the recipients are listed as ever: the answered one, still open, too
    assert card[0] in [r["ticket_id"] for r in again["recipients"]]
    assert card[1] not in [r["ticket_id"] for r in again["recipients"]]

    st, _, later = tame.api("POST", path, {
        "text": "Hi", "preview": True, "ticket_ids": shown,
        "since_event_id": again["since_event_id"]})
    assert st == 200 and later["skipped"] == [], later
    settle(0.5)
    assert len(sink.messages) == 1


def test_mass_reply_assigns_unassigned_tickets_to_the_sender(tame, sink):
    """After a mass reply each unassigned ticket is the sender's, so the
    customer's answer is in their Mine and notifies them; a ticket a
    colleague has stays theirs. Before, they stayed unassigned and the
    answers sank in Unassigned."""
    card, pw, ct, pt = setup_groups(tame)
    grace, _ = tame.add_agent("grace@example.com")
    st, _, _ = tame.api("PATCH", "/api/v1/tickets/%d" % card[3],
                        {"assignee_id": grace})
    assert st == 200
    st, _, ans = tame.api("POST", "/api/v1/trends/%d/reply" % ct,
                          {"text": "Hi {{customer.first_name}}, on its way."})
    assert st == 200 and ans["count"] == 4, ans
    st, _, bulk = tame.api("POST", "/api/v1/tickets/bulk", {
        "ticket_ids": pw[:1], "action": "reply", "text": "Reset it now."})
    assert st == 200 and bulk["succeeded"] == 1, bulk
    for t in card[:3] + pw[:1]:
        tk = tame.ticket(t)
        assert tk["assignee"] and tk["assignee"]["id"] == tame.admin_id, tk
        assert any(e["kind"] == "ticket.updated" and
                   e["data"].get("assignee_id") == tame.admin_id
                   for e in tk["events"]), tk["events"]
    assert tame.ticket(card[3])["assignee"]["id"] == grace
    assert tame.ticket(pw[1])["assignee"] is None
    mine = [t["id"] for t in tame.get(
        "/api/v1/tickets?status=any&assignee=me&limit=100")["tickets"]]
    assert sorted(mine) == sorted(card[:3] + pw[:1])

    # the customer answers: the sender hears of it
    sink.wait_count(5, timeout=30)
    ours = tame.ticket(card[1])["messages"][-1]["message_id"]
    before = tame.get("/api/v1/notifications")["notifications"]
    tame.send_mail(make_message(sender=CARD_MAILS[1][0],
                                subject="Re: " + CARD_MAILS[1][1],
                                text="Thanks, it came today.\n",
                                headers={"In-Reply-To": "<%s>" % ours}))
    wait_for(lambda: tame.ticket(card[1])["message_count"] == 3)
    notes = wait_for(lambda: (lambda n: n if len(n) > len(before) else None)(
        tame.get("/api/v1/notifications")["notifications"]),
        what="a notification")
    assert notes[0]["kind"] == "message.received"
    assert notes[0]["ticket"]["id"] == card[1]


# ---------------------------------------------------------------- tone, flags

GERMAN_CARD_MAILS = [
    ("Jens Jung <jens@example.de>", "Karte gesperrt",
     "Hallo, meine Karte ist seit gestern gesperrt und ich kann nicht "
     "bezahlen. Was ist da los? Vielen Dank"),
    ("Karin Kurz <karin@example.de>", "Meine Karte ist gesperrt",
     "Guten Tag, die Karte ist gesperrt, wenn ich im Laden bezahlen will. "
     "Das ist eine Frechheit, bitte entsperren Sie die Karte."),
    ("Lars Lang <lars@example.de>", "Karte gesperrt?",
     "Hallo, warum ist meine Karte gesperrt? Ich kann mich nicht "
     "erinnern, dass ich etwas falsch gemacht habe."),
    ("Mia Maier <mia@example.de>", "Gesperrte Karte",
     "Die Karte wurde gesperrt und ich kann seit heute nicht mehr "
     "bezahlen. Bitte die Karte entsperren."),
]
# German function words and greetings that made labels and similar-case
# words before ('eine, frechheit, das ist')
GERMAN_FUNCTION = {"die", "der", "das", "ist", "nicht", "ich", "mich",
                   "kann", "wenn", "eine", "meine", "mein", "und",
                   "hallo", "vielen", "dank", "bitte", "da", "was", "sie"}


def test_german_mail_tone_neutral_and_grouped_without_function_words(tame):
    """German 'die' is no English 'die': a German thank-you is not
    negative, a German complaint not frustrated by its articles, and
    German mails about one problem group under a label of content
    words."""
    tame.send_mail(sender="Uwe Ulm <uwe@example.de>",
                   subject="Bestellung angekommen",
                   text="Vielen Dank f\u00fcr die schnelle Hilfe, die "
                        "Bestellung ist angekommen!\n")
    tame.send_mail(sender="Vera Voss <vera@example.de>",
                   subject="App geht nicht",
                   text="Die App geht nicht. Die Bestellung ist weg. Die "
                        "Karte auch. Was ist da los???\n")
    send_all(tame, GERMAN_CARD_MAILS)
    thanks = ticket_of(tame, "Bestellung angekommen")["id"]
    app = ticket_of(tame, "App geht nicht")["id"]

    t = wait_for(lambda: (lambda x: x if x.get("tone") else None)(
        tame.ticket(thanks)), 10, what="tone on the German thank-you")
    assert t["tone"]["sentiment"] >= 0, t["tone"]
    assert t["tone"]["frustration"] < 0.1, t["tone"]
    assert all(e["text"].lower() != "die" for e in t["tone"]["evidence"])
    a = wait_for(lambda: (lambda x: x if x.get("tone") else None)(
        tame.ticket(app)), 10, what="tone on the German complaint")
    assert a["tone"]["sentiment"] >= 0, a["tone"]
    assert a["tone"]["frustration"] < 0.5 and a["tone"]["anger"] < 0.5, \
        a["tone"]
    assert all(e["dimension"] != "sentiment" for e in a["tone"]["evidence"])

    card = [ticket_of(tame, s)["id"] for _, s, _ in GERMAN_CARD_MAILS]

    def one_trend():
        ids = {wait_trend(tame, t)["trend"]["id"] for t in card}
        return ids.pop() if len(ids) == 1 else None
    tr = wait_for(one_trend, 15, what="the German card mails in one trend")
    listed = {x["id"]: x for x in trends(tame)}
    assert tr in listed, listed
    label = listed[tr]["label"]
    words = " ".join(label["words"]).split()
    assert "karte" in words or "gesperrt" in words, label
    assert not GERMAN_FUNCTION & set(words), label
    assert not GERMAN_FUNCTION & set(re.split(r"[^\w]+",
                                              label["text"].lower())), label
    # similar cases are looked up by the words of the problem
    sim = tame.get("/api/v1/tickets/%d/similar" % card[0])
    assert sim["words"] and not GERMAN_FUNCTION & set(sim["words"]), sim


def test_tone_of_angry_and_abusive_mail(tame):
    tame.send_mail(sender="Max Mad <max@example.org>",
                   subject="STILL NOT WORKING",
                   text="This is the THIRD time I write!!! The export is "
                        "still not working and nobody answers. Fix it "
                        "today or I cancel.\n")
    tame.send_mail(sender="Rex Rude <rex@example.org>", subject="useless",
                   text="You idiots broke my account again. Useless "
                        "morons.\n")
    tame.send_mail(sender="Pat Polite <pat@example.org>",
                   subject="Thanks a lot",
                   text="Thank you so much for the quick help, it works "
                        "perfectly now :)\n")
    # a closing "Thanks," is politeness, not cheer
    tame.send_mail(sender="Ann Asks <ann@example.org>",
                   subject="Where is my card",
                   text="My new card has not arrived yet. When will it "
                        "come?\n\nThanks,\nAnn Asks\n")
    angry = ticket_of(tame, "STILL NOT WORKING")["id"]
    rude = ticket_of(tame, "useless")["id"]
    calm = ticket_of(tame, "Thanks a lot")["id"]

    t = wait_for(lambda: (lambda x: x if x.get("tone") else None)(
        tame.ticket(angry)), 10, what="tone on the angry ticket")
    tone = t["tone"]
    assert tone["sentiment"] < 0
    assert tone["frustration"] > 0.3 or tone["anger"] > 0.3, tone
    ev = [e["text"].lower() for e in tone["evidence"]]
    assert any("still not working" in e or "!!!" in e or "third" in e
               for e in ev), ev
    assert tone["abusive"] is False
    msg = t["messages"][0]
    assert msg["tone"] == tone

    r = wait_for(lambda: (lambda x: x if x.get("flags") else None)(
        tame.ticket(rude)), 10, what="the abusive flag")
    assert r["tone"]["abusive"] is True
    flag = [f for f in r["flags"] if f["kind"] == "abusive"]
    assert flag and "idiots" in flag[0]["reason"].lower(), r["flags"]
    listed = tame.get("/api/v1/tickets?flag=abusive")["tickets"]
    assert [x["id"] for x in listed] == [rude]

    c = wait_for(lambda: (lambda x: x if x.get("tone") else None)(
        tame.ticket(calm)), 10, what="tone on the calm ticket")
    assert c["tone"]["sentiment"] > 0 and c["tone"]["abusive"] is False
    assert c["flags"] == []
    assert c["tone"]["cheer"] > 0.5, c["tone"]
    qid = ticket_of(tame, "Where is my card")["id"]
    q = wait_for(lambda: (lambda x: x if x.get("tone") else None)(
        tame.ticket(qid)), 10, what="tone of a question")
    assert q["tone"]["cheer"] < 0.1 and q["tone"]["sentiment"] < 0.1, \
        q["tone"]
    # replies and notes carry no tone
    tame.reply(calm, "Glad it works!")
    assert tame.ticket(calm)["messages"][-1]["tone"] is None


def test_flags_long_thread_repeat_and_long_message(tame):
    sender = "Lou Long <lou@example.org>"
    first = tame.send_mail(sender=sender, subject="Sync keeps failing",
                           text="The sync fails every night.\n")
    tid = ticket_of(tame, "Sync keeps failing")["id"]
    # three customer messages in a row, without an answer
    for i in range(2):
        tame.send_mail(sender=sender, subject="Re: Sync keeps failing [#%d]"
                       % tid, text="Any news? (%d)\n" % i,
                       headers={"In-Reply-To": first["Message-ID"]})
    t = wait_for(lambda: (lambda x: x if any(
        f["kind"] == "repeat_customer" for f in x["flags"]) else None)(
        tame.ticket(tid)), 10, what="repeat_customer")
    reason = [f for f in t["flags"] if f["kind"] == "repeat_customer"][0]
    assert "3 times in a row" in reason["reason"]
    assert not any(f["kind"] == "many_messages" for f in t["flags"])

    # back and forth up to 12 messages
    n = 3
    while n < 12:
        tame.reply(tid, "Could you send the log? (%d)" % n)
        n += 1
        if n < 12:
            tame.send_mail(sender=sender, subject="Re: Sync keeps failing "
                           "[#%d]" % tid, text="Here it is (%d).\n" % n,
                           headers={"In-Reply-To": first["Message-ID"]})
            n += 1
    wait_for(lambda: tame.ticket(tid)["message_count"] >= 12, 10)
    t = tame.ticket(tid)
    many = [f for f in t["flags"] if f["kind"] == "many_messages"]
    assert many and "12 messages" in many[0]["reason"], t["flags"]
    # our answers ended the run of customer messages
    wait_for(lambda: not any(f["kind"] == "repeat_customer"
                             for f in tame.ticket(tid)["flags"]), 10,
             what="repeat_customer cleared by our replies")
    listed = [x["id"] for x in tame.get(
        "/api/v1/tickets?status=any&flag=many_messages")["tickets"]]
    assert listed == [tid]

    # a very long message
    words = " ".join("word%d lorem ipsum" % i for i in range(300))
    tame.send_mail(sender="Kim Long <kim@example.org>",
                   subject="Long story", text=words + "\n")
    lt = ticket_of(tame, "Long story")["id"]
    t = wait_for(lambda: (lambda x: x if any(
        f["kind"] == "long_message" for f in x["flags"]) else None)(
        tame.ticket(lt)), 10, what="long_message")
    assert "words" in [f for f in t["flags"]
                       if f["kind"] == "long_message"][0]["reason"]
    listed = [x["id"] for x in tame.get(
        "/api/v1/tickets?status=any&flag=long_message,abusive")["tickets"]]
    assert listed == [lt]


# ---------------------------------------------------------------- similar

def test_similar_cases_find_the_solved_one(tame):
    tame.send_mail(sender="Ola Old <ola@example.org>",
                   subject="Charged twice for my subscription",
                   text="My credit card was charged twice for the yearly "
                        "subscription. Please refund the double charge.\n")
    tame.send_mail(sender="Uma Other <uma@example.org>",
                   subject="Change my shipping address",
                   text="Please change the shipping address of my order to "
                        "my office.\n")
    old = ticket_of(tame, "Charged twice for my subscription")["id"]
    other = ticket_of(tame, "Change my shipping address")["id"]
    tame.reply(old, "We refunded the second charge; it shows in 3 days.",
               status="solved")
    tame.reply(other, "Done, the address is changed.", status="solved")

    tame.send_mail(sender="Nia New <nia@example.org>",
                   subject="Double charge on my card",
                   text="I see a double charge for the subscription on my "
                        "credit card, can I get a refund?\n")
    tame.send_mail(sender="Zed Zero <zed@example.org>",
                   subject="Dark mode",
                   text="Does the mobile app have a dark mode?\n")
    new = ticket_of(tame, "Double charge on my card")["id"]
    odd = ticket_of(tame, "Dark mode")["id"]

    t0 = time.monotonic()
    body = tame.get("/api/v1/tickets/%d/similar" % new)
    assert time.monotonic() - t0 < 2
    assert body["similar"], body
    best = body["similar"][0]
    assert best["ticket_id"] == old
    assert best["score"] >= 0.35 and best["match"] in ("strong", "possible")
    assert "refunded the second charge" in best["solved_reply"]["text"]
    assert "charge" in best["shared_words"]
    assert all(s["ticket_id"] != new for s in body["similar"])
    assert body["note"] is None

    body = tame.get("/api/v1/tickets/%d/similar" % odd)
    assert not body["similar"] or body["similar"][0]["match"] == "weak"
    assert body["note"]

    st, _, ans = tame.api("GET", "/api/v1/tickets/999999/similar")
    assert_error(st, ans, 404)
    st, _, ans = tame.api("GET", "/api/v1/tickets/%d/similar?limit=0" % new)
    assert_error(st, ans, 400)


# ---------------------------------------------------------------- bad input

def test_bad_input_gives_sensible_results(tame):
    cases = {}
    tame.send_raw(("From: a@example.org\r\nTo: %s\r\nSubject: empty\r\n"
                   "Message-ID: %s\r\n\r\n" % (MAILBOX, new_msgid())
                   ).encode())
    cases["empty"] = None
    tame.send_mail(sender="q@example.org", subject="only quoted",
                   text="On Mon, 1 Jan 2026, Support wrote:\n> old text\n"
                        "> more old text\n")
    tame.send_mail(make_message(sender="att@example.org",
                                subject="only attachment", text="",
                                attachments=[("log.bin",
                                              "application/octet-stream",
                                              b"\x00\x01" * 1000)]))
    big = ("lorem ipsum dolor sit amet " * 40000)[:1024 * 1024]
    tame.send_mail(sender="big@example.org", subject="one megabyte",
                   text=big + "\n")
    tame.send_mail(sender="emo@example.org", subject="🔥🔥🔥 💳❓",
                   text="😡😡😡 💳 ❌❌ 🙏 ™ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 mixed ЖЖЖ 中文\n")
    tame.send_mail(sender="de@example.org",
                   subject="Meine Karte ist nicht angekommen",
                   text="Hallo, meine neue Karte ist nach zwei Wochen immer "
                        "noch nicht angekommen. Können Sie das prüfen?\n")
    tame.send_mail(sender="ja@example.org", subject="カードが届きません",
                   text="二週間前に注文したカードがまだ届いていません。\n")
    subjects = ["empty", "only quoted", "only attachment", "one megabyte",
                "🔥🔥🔥 💳❓", "Meine Karte ist nicht angekommen",
                "カードが届きません"]
    ids = {s: ticket_of(tame, s)["id"] for s in subjects}
    for s, tid in ids.items():
        t = wait_for(lambda: (lambda x: x if x.get("tone") else None)(
            tame.ticket(tid)), 15, what="tone of %r" % s)
        tone = t["tone"]
        assert -1 <= tone["sentiment"] <= 1
        assert tone["abusive"] is False
        if s in ("empty", "only quoted", "only attachment", "カードが届きません"):
            assert tone["sentiment"] == 0, (s, tone)
        st, _, body = tame.api("GET", "/api/v1/tickets/%d/similar" % tid)
        assert st == 200, (s, body)
        assert isinstance(t["flags"], list)
    big_t = tame.ticket(ids["one megabyte"])
    assert any(f["kind"] == "long_message" for f in big_t["flags"])
    # nothing to group by: no trend rather than a wrong one
    assert tame.ticket(ids["empty"])["trend"] is None or tame.ticket(
        ids["empty"])["trend"]["label"] == "empty"
    assert tame.get("/api/v1/trends?min_open=1")["trends"] is not None
    assert tame.alive()


# ---------------------------------------------------------------- urgency and register

def wait_tone(tame, tid, n=1, timeout=15):
    """The ticket once its latest n customer messages carry a tone."""
    def ready():
        t = tame.ticket(tid)
        ins = [m for m in t["messages"] if m["direction"] == "in"]
        return t if len(ins) >= n and all(
            m.get("tone") for m in ins[-n:]) else None
    return wait_for(ready, timeout, what="tone on ticket %d" % tid)


def raise_events(ticket):
    out = []
    for e in ticket.get("events", []):
        if e["kind"] == "ticket.priority_raised":
            d = e["data"]
            out.append(json.loads(d) if isinstance(d, str) else d)
    return out


def follow_up(tame, first, text):
    """A customer's answer in the thread of mail first."""
    return tame.send_mail(make_message(
        sender=str(first["From"]), subject="Re: " + str(first["Subject"]),
        text=text, headers={"In-Reply-To": first["Message-ID"],
                            "References": first["Message-ID"]}))


def test_urgency_setting_raises_priority_only_when_on(tame):
    st, _, body = tame.api("GET", "/api/v1/settings")
    assert st == 200, body
    assert body["settings"] == {"urgency_priority": False,
                                "urgency_high_at": 0.6,
                                "urgency_urgent_at": 0.85}
    # off (the default): an urgent mail leaves the priority alone
    tame.send_mail(sender="Olga Off <olga@example.org>", subject="shop down",
                   text="URGENT: the shop is down, we need this fixed ASAP, "
                        "we go live tomorrow!\n")
    off = wait_tone(tame, ticket_of(tame, "shop down")["id"])
    assert off["tone"]["urgency"] >= 0.85
    assert off["priority"] == "normal"
    assert raise_events(off) == []

    # only admins change it, and only to sensible values
    _, agent_tok = tame.add_agent("urgent-agent@example.com")
    st, _, body = tame.api("PATCH", "/api/v1/settings",
                           {"urgency_priority": True}, token=agent_tok)
    assert_error(st, body, 403)
    for bad in ({"urgency_priority": "yes"}, {"urgency_high_at": 1.5},
                {"urgency_high_at": 0}, {"colour": "red"},
                {"urgency_high_at": 0.9, "urgency_urgent_at": 0.7}):
        st, _, body = tame.api("PATCH", "/api/v1/settings", bad)
        assert assert_error(st, body, 400)["code"] == (
            "unknown_field" if "colour" in bad else "invalid_field"), body
    # a threshold that three decimals would keep as 0 names the range
    st, _, body = tame.api("PATCH", "/api/v1/settings",
                           {"urgency_high_at": 0.0004})
    assert "from 0.001 to 1" in assert_error(st, body, 400)["message"]
    assert tame.get("/api/v1/settings")["settings"]["urgency_priority"] \
        is False
    st, _, body = tame.api("PATCH", "/api/v1/settings",
                           {"urgency_priority": True})
    assert st == 200, body
    assert body["settings"]["urgency_priority"] is True

    # on: two strong cues make it urgent, one makes it high
    first = tame.send_mail(sender="Una Urgent <una@example.org>",
                           subject="checkout broken",
                           text="URGENT: the checkout is down, we need this "
                                "fixed ASAP, we go live tomorrow!\n")
    hal = tame.send_mail(sender="Hal High <hal@example.org>",
                   subject="export please",
                   text="Please fix the export asap.\n")
    tame.send_mail(sender="Cal Calm <cal@example.org>",
                   subject="a question",
                   text="When you have a moment, how do I change my "
                        "invoice address?\n")
    urgent_id = ticket_of(tame, "checkout broken")["id"]
    high_id = ticket_of(tame, "export please")["id"]
    calm_id = ticket_of(tame, "a question")["id"]
    u = wait_for(lambda: (lambda t: t if t["priority"] == "urgent" else None)(
        tame.ticket(urgent_id)), 15, what="urgent priority")
    ev = raise_events(u)
    assert len(ev) == 1, u["events"]
    assert ev[0]["priority"] == "urgent" and ev[0]["from"] == "normal"
    assert ev[0]["reason"].startswith("urgent tone: ")
    assert "ASAP" in ev[0]["reason"], ev[0]
    raised = [e for e in u["events"] if e["kind"] == "ticket.priority_raised"]
    assert raised[0]["actor_id"] is None
    h = wait_for(lambda: (lambda t: t if t["priority"] == "high" else None)(
        tame.ticket(high_id)), 15, what="high priority")
    assert "asap" in raise_events(h)[0]["reason"]
    c = wait_tone(tame, calm_id)
    assert c["priority"] == "normal" and raise_events(c) == []

    # never lowers: a milder urgent follow-up leaves "urgent" as it is
    follow_up(tame, first, "Still waiting, please fix this asap.\n")
    u = wait_tone(tame, urgent_id, n=2)
    assert u["priority"] == "urgent"
    assert len(raise_events(u)) == 1

    # an agent's choice made before an urgent message does not stop it
    st, _, body = tame.api("PATCH", "/api/v1/tickets/%d" % high_id,
                           {"priority": "low"})
    assert st == 200, body
    settle(0.3)
    assert tame.ticket(high_id)["priority"] == "low"
    follow_up(tame, hal, "Sorry to push: we need the export fixed ASAP, "
                         "the deadline is tomorrow.\n")
    h = wait_for(lambda: (lambda t: t if t["priority"] in ("high", "urgent")
                          else None)(tame.ticket(high_id)), 15,
                 what="raised again after the agent's earlier choice")
    assert raise_events(h)[-1]["from"] == "low"

    # off again: nothing more moves
    st, _, body = tame.api("PATCH", "/api/v1/settings",
                           {"urgency_priority": False})
    assert st == 200 and body["settings"]["urgency_priority"] is False
    tame.send_mail(sender="Olaf Off <olaf@example.org>",
                   subject="shop down again",
                   text="URGENT!! we need this fixed ASAP, deadline today\n")
    o = wait_tone(tame, ticket_of(tame, "shop down again")["id"])
    assert o["priority"] == "normal" and raise_events(o) == []


def test_register_of_customer_messages(tame):
    tame.send_mail(sender="Fiona Formal <fiona@example.org>",
                   subject="Copy of invoice",
                   text="Dear Sir or Madam,\n\nI am writing to request a "
                        "copy of my invoice for March.\n\nKind regards,\n"
                        "Fiona Formal\n")
    tame.send_mail(sender="Rick Relaxed <rick@example.org>",
                   subject="login thing",
                   text="hey guys, can't log in again lol, any idea? thx :)\n")
    formal = wait_tone(tame, ticket_of(tame, "Copy of invoice")["id"])
    relaxed = wait_tone(tame, ticket_of(tame, "login thing")["id"])
    ft, rt = formal["tone"], relaxed["tone"]
    assert ft["register"] == "formal", ft
    assert "Dear" in ft["register_evidence"], ft
    assert "Kind regards" in ft["register_evidence"], ft
    assert rt["register"] == "relaxed", rt
    assert "hey" in rt["register_evidence"], rt
    assert "thx" in rt["register_evidence"], rt
    # the message carries the same as the ticket
    assert formal["messages"][0]["tone"]["register_evidence"] == \
        ft["register_evidence"]

    # scores print with a few decimals, not 17 digits
    conn = http.client.HTTPConnection("127.0.0.1", tame.http_port,
                                      timeout=30)
    try:
        conn.request("GET", "/api/v1/tickets/%d" % relaxed["id"],
                     headers={"Authorization": "Bearer " + tame.token})
        raw = conn.getresponse().read().decode()
    finally:
        conn.close()
    assert '"sentiment":' in raw
    assert not re.search(r"\d\.\d{6,}", raw), raw[:400]


def test_mass_reply_resumed_after_a_stop_names_its_own_sends_as_sent(
        tame, sink):
    """tamed stopped after a trend reply went out but before it answered:
    the retry under the same Idempotency-Key, once the claim is stale,
    mails nobody again and names each ticket the first attempt answered
    as sent by it ("resumed"), not as answered meanwhile by someone (with
    since_event_id) nor as failed (without). Before, the tickets it had
    solved had left the trend's open set and came back as
    answered_meanwhile by the sender themselves, or as failed."""
    card, pw, ct, pt = setup_groups(tame)
    path = "/api/v1/trends/%d/reply" % ct
    st, _, look = tame.api("POST", path, {"text": "Hi", "preview": True})
    assert st == 200 and look["count"] == 4, look
    shown = [r["ticket_id"] for r in look["recipients"]]
    for n, since in enumerate((look["since_event_id"], None)):
        req = {"text": "Hi {{customer.first_name}}, take %d." % n,
               "ticket_ids": shown, "since_event_id": since,
               "status": "solved"}
        key = {"Idempotency-Key": "trend-%d-resumed-%d" % (ct, n)}
        for tid in shown if n else ():     # open again for the next take
            st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                                  {"status": "open"})
            assert st == 200, ans
        wait_for(lambda: all(tame.ticket(t)["status"] in ("new", "open")
                             and tame.ticket(t)["trend"]["id"] == ct
                             for t in shown), 15,
                 what="the trend's tickets open again")
        st, _, first = tame.api("POST", path, req, headers=key)
        assert st == 200 and first["count"] == 4, first
        sink.wait_count(4 * (n + 1), timeout=30)
        tame.restart_mid_request()
        st, _, again = tame.api("POST", path, req, headers=key)
        assert st == 200, again
        settle(1.0)
        assert len(sink.messages) == 4 * (n + 1)
        assert again["failed"] == [] and again["skipped"] == [], again
        assert sorted(x["ticket_id"] for x in again["sent"]) == sorted(
            shown), again
        assert all(x.get("resumed") for x in again["sent"]), again


def test_ticket_keeps_an_angry_tone_through_a_plain_follow_up(tame):
    """A ticket's tone is its latest customer message's; a plain "any
    news?" after an angry mail leaves the angry one beside it
    (tone_earlier, with its message and words), and a thankful mail
    after it clears that. The build before showed the angry mail's tone
    as the ticket's own, so "tone" was no longer the latest message's
    (and the composer's register hint read the older mail)."""
    first = make_message(
        sender="Max Mad <max@example.org>", subject="Export broken",
        text="This is the THIRD time I write!!! The export is still not "
             "working and nobody answers. This is unacceptable.\n")
    tame.send_mail(first)
    tid = ticket_of(tame, "Export broken")["id"]
    t = wait_tone(tame, tid)
    angry = t["tone"]
    heat = lambda t: max(t["anger"], t["frustration"])
    assert heat(angry) >= 0.5, angry
    assert t["tone_earlier"] is None
    follow_up(tame, first, "Any news on this? Could you have a look at "
                           "the export please.")
    t = wait_tone(tame, tid, 2)
    plain = t["messages"][-1]["tone"]
    assert heat(plain) < 0.5 and plain["cheer"] < 0.5, plain
    assert t["tone"] == plain, t["tone"]
    assert t["tone_earlier"] == dict(angry,
                                     message_id=t["messages"][0]["id"])
    listed = [x for x in tame.tickets() if x["id"] == tid][0]
    assert listed["tone"] == plain
    assert listed["tone_earlier"] == t["tone_earlier"]
    follow_up(tame, first, "Thank you so much, the export works "
                           "perfectly now :)")
    t = wait_tone(tame, tid, 3)
    assert t["tone"] == t["messages"][-1]["tone"], t["tone"]
    assert t["tone"]["cheer"] >= 0.5
    assert t["tone_earlier"] is None


def test_trend_growth_counts_a_reopened_ticket_once(tame):
    """A ticket solved and reopened again and again is one arrival, not
    one each time: the trend's last hour, last day and usual rate stay
    what four tickets make, and read the same after a restart. Before,
    ten reopenings made the trend of four tickets "13 in the last hour",
    rising."""
    card, pw, ct, pt = setup_groups(tame)

    def growth():
        t = [x for x in trends(tame, 1) if x["id"] == ct]
        return t[0] if t else None

    first = wait_for(lambda: (lambda g: g if g and g["open_count"] == 4
                              else None)(growth()), 15,
                     what="the card trend")
    assert first["growth"]["last_hour"] == 4, first
    # an hour-old trend: its day so far is its usual
    assert abs(first["growth"]["ratio"] - 1.0) < 0.01, first
    for _ in range(5):
        for status, n in (("solved", 3), ("open", 4)):
            st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % card[0],
                                  {"status": status})
            assert st == 200, ans
            wait_for(lambda: (lambda g: g and g["open_count"] == n)(
                growth()), 15, what="open count %d" % n)
    g = growth()["growth"]
    assert g["last_hour"] == 4 and g["last_day"] == 4, g
    assert g["usual_per_hour"] == first["growth"]["usual_per_hour"], g
    tame.restart()
    again = wait_for(lambda: (lambda x: x if x and x["open_count"] == 4
                              else None)(growth()), 20,
                     what="the card trend after a restart")
    assert again["growth"]["last_hour"] == 4, again
    assert again["growth"]["usual_per_hour"] == g["usual_per_hour"], again



# ---------------------------------------------------------------- memory

def made_up_words(rng, n):
    """n words nobody writes again: syllables drawn at random."""
    cons, vow = "bcdfgklmnprstvz", "aeiou"
    return ["".join(rng.choice(cons) + rng.choice(vow)
                    for _ in range(rng.randint(3, 5))) for _ in range(n)]


def rss_anon_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/%d/status" % pid)


def import_and_solve(tame, rng, n, tmp):
    """n mails of made-up words through `tame import`; once the
    intelligence has placed them all (the newest has a trend), solved."""
    path = tmp / "batch.mbox"
    if path.exists():
        path.unlink()
    box = mailbox.mbox(str(path))
    for _ in range(n):
        w = made_up_words(rng, 40)
        box.add(make_message(
            sender="Client %s <%s@example.org>" % (w[0], w[0]),
            subject="Trouble with the %s %s %s" % tuple(w[1:4]),
            text="Hello, my %s stopped working. %s\n" % (
                w[4], " ".join(w[5:]))))
    box.close()
    tame.cli("import", "mbox", path)
    ids = [t["id"] for t in tame.tickets(status="new")]
    assert len(ids) == n, len(ids)
    wait_trend(tame, max(ids), timeout=60 * SLOW)
    for k in range(0, n, 500):
        st, _, ans = tame.api("POST", "/api/v1/tickets/bulk", {
            "ticket_ids": ids[k:k + 500], "action": "status",
            "status": "solved"})
        assert st == 200 and ans["failed"] == 0, ans


def test_words_of_solved_tickets_do_not_pile_up(tame, tmp_path):
    # A desk runs for months without a restart: the intelligence must not
    # keep every word of every ticket it ever read. Made-up words, each
    # written once, are the worst case: 8,000 such mails took tamed from
    # 16 to 57 MB when it did; now it stays near 23 MB. The first batch
    # warms the store's caches up.
    rng = random.Random(77)
    import_and_solve(tame, rng, 1000, tmp_path)
    before = most = rss_anon_kb(tame.proc.pid)
    for _ in range(8 if SLOW == 1 else 1):
        import_and_solve(tame, rng, 1000, tmp_path)
        most = max(most, rss_anon_kb(tame.proc.pid))
    print("RssAnon %d kB after the first 1,000 mails, at most %d kB after "
          "the next" % (before, most))
    # ASan keeps what is freed aside for a while: no figure to judge
    if SLOW == 1:
        assert most - before < 20 * 1024, (before, most)

    # and what is open is grouped as ever
    send_all(tame, CARD_MAILS)
    card = [ticket_of(tame, s)["id"] for _, s, _ in CARD_MAILS]

    def one_trend():
        ids = {wait_trend(tame, t)["trend"]["id"] for t in card}
        return ids.pop() if len(ids) == 1 else None
    tr = wait_for(one_trend, 15 * SLOW, what="the card mails in one trend")
    t = [x for x in trends(tame) if x["id"] == tr]
    assert t and "card" in t[0]["label"]["text"], t


def test_merge_gives_the_target_its_latest_customer_tone(tame):
    """Merging moves messages: the target's tone becomes the latest
    customer message's of the two tickets, and the closed source has
    none left. Before, both tickets kept the tones they had."""
    def ann(subject, text):
        tame.send_mail(make_message(sender="Ann <ann@example.org>",
                                    subject=subject, text=text))
        return wait_tone(tame, ticket_of(tame, subject)["id"])

    a = ann("Invoice address", "Could you change the address on my "
            "invoice to our new office, please?\n")["id"]
    b_t = ann("Invoice STILL wrong", "This is unacceptable!!! The invoice "
              "is STILL wrong and nobody answers me.\n")
    b, heated = b_t["id"], b_t["tone"]
    assert max(heated["anger"], heated["frustration"]) >= 0.5, heated
    st, _, ans = tame.api("POST", "/api/v1/tickets/%d/merge" % b,
                          {"into": a})
    assert st == 200, ans
    t = tame.ticket(a)
    assert t["tone"] == heated, t["tone"]
    assert t["tone"] == t["messages"][-1]["tone"]
    src = tame.ticket(b)
    assert src["tone"] is None and src["tone_earlier"] is None


# ---------------------------------------------------------------- restarts

DATA = os.environ.get("DATA", str(ROOT / ".." / "shared" / "data"))
BANKING77 = os.path.join(DATA, "banking77", "train.csv")


def banking77_mails(n_per, cats, rest):
    """n_per customer questions of each category in cats and one of each
    of rest other categories (banking77 texts, first come first)."""
    rows = {}
    with open(BANKING77, newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["category"], []).append(r["text"].strip())
    others = [c for c in sorted(rows) if c not in cats][:rest]
    out = [t for c in cats for t in rows[c][:n_per]]
    out += [rows[c][0] for c in others]
    random.Random(5).shuffle(out)
    return out


def trend_snapshot(tame):
    """{trend id: (label, sorted open ticket ids)} of every trend, as the
    store has them (the ?trend= filter) and the index lists them."""
    snap = {}
    for t in tame.get("/api/v1/trends?min_open=1&limit=2000&samples=0")[
            "trends"]:
        snap[t["id"]] = (t["label"]["text"],
                         trend_tickets(tame, t["id"], "new,open,pending"))
    return snap


@pytest.mark.skipif(not os.path.exists(BANKING77),
                    reason="no banking77 texts in DATA")
def test_trends_kept_over_restart_and_kill9(tame):
    """A restart gives back the trends the store holds: every open ticket
    keeps its trend id, and each trend its label, or nearly. Before, the
    index placed the tickets again at every start and regrouped them:
    tickets went to other trends and labels changed over the same
    tickets."""
    texts = banking77_mails(30, ["card_arrival", "exchange_rate",
                                 "pin_blocked", "cancel_transfer",
                                 "top_up_failed", "lost_or_stolen_card",
                                 "request_refund", "passcode_forgotten"], 60)

    def settled(n):
        a = trend_snapshot(tame)
        if sum(len(v[1]) for v in a.values()) != n:
            return None
        settle(1.5)
        return a if trend_snapshot(tame) == a else None

    # a day's mail in three waves, a third of each solved after it: the
    # trends formed with tickets that are no longer open
    seen, n_open = set(), 0
    for w in range(3):
        with tame.smtp() as s:
            for i in range(w, len(texts), 3):
                msg = make_message(
                    sender="Customer %d <c%d@example.org>" % (i, i),
                    subject=" ".join(texts[i].split()[:8]),
                    text=texts[i] + "\n\nThanks\n")
                s.send_message(msg, to_addrs=[MAILBOX])
                n_open += 1
        snap = wait_for(lambda: settled(n_open), 60, interval=0.5,
                        what="wave %d in trends" % w)
        new = sorted(set(x for v in snap.values() for x in v[1]) - seen)
        seen.update(new)
        for tid in new[::3]:
            st, _, body = tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                                   {"status": "solved"})
            assert st == 200, body
            n_open -= 1
    before = wait_for(lambda: settled(n_open), 60, interval=0.5,
                      what="every open ticket in a trend, written")
    big = [t for t, v in before.items() if len(v[1]) >= 10]
    assert len(big) >= 5, before

    for how in ("SIGTERM", "kill -9"):
        if how == "SIGTERM":
            tame.restart()
        else:
            tame.kill9()
            tame.start()
        wait_for(lambda: trend_after_start(tame, max(before)), 30,
                 what="the trends after %s" % how)
        after = trend_snapshot(tame)
        # every open ticket in the trend it had, under the same id
        moved = {t: (before[t][1], after.get(t, (0, None))[1])
                 for t in set(before) | set(after)
                 if before.get(t, (0, None))[1] !=
                 after.get(t, (0, None))[1]}
        assert moved == {}, (how, moved)
        # the label from the words of the same tickets: each weighed by
        # how rare it is among the tickets the index has read, solved
        # ones since the start too, which a restart has not read, so a
        # word may give way to the next one; most labels stay as they
        # were, none changes to another problem's
        relabelled = {t: (before[t][0], after[t][0]) for t in before
                      if before[t][0] != after[t][0]}
        for was, now in relabelled.values():
            words = lambda label: set(label.replace(",", " ").split())
            assert words(was) & words(now), (how, relabelled)
        assert len(relabelled) <= len(before) // 3, (how, relabelled)
