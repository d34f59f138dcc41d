"""Mail written by machines: another help desk's autoresponder, a Google
Group in front of the mailbox, out-of-office replies, bounces and a
customer who writes hundreds of times. Each test sends real mail with
smtplib, watches what tamed sends at the SMTP sink and reads the tickets
and notifications through the API, as a support team would see them."""

import uuid

from conftest import MAILBOX, make_message, settle, strip_angle, wait_for


def set_ack(tame, template="Ticket {{ticket.id}} received"):
    st, _, body = tame.api("PATCH", "/api/v1/mailboxes/%d" %
                           tame.mailbox_id(),
                           {"ack_enabled": True, "ack_template": template})
    assert st == 200, body


def open_ticket(tame, subject, sender="carol@example.org"):
    msg = make_message(sender=sender, subject=subject)
    tame.send_mail(msg)
    return tame.wait_ticket(subject)["id"], msg


def agent(tame, addr):
    """A new agent: (id, its own API client)."""
    aid, tok = tame.add_agent(addr)
    return aid, lambda path: tame.api("GET", path, token=tok)[2]


def kinds(notes_of, tid):
    return [n["kind"] for n in notes_of("/api/v1/notifications")[
        "notifications"] if n["ticket"]["id"] == tid]


# ------------------------------------------------------- acknowledgements

def test_autoresponder_with_a_new_tag_each_time_stops_at_once(tame, sink):
    """OtherCorp's help desk answers every mail from help+t<N>@ with a
    new tag, no automatic headers, no In-Reply-To, and our subject
    quoted in its own. Before, each of its answers was a new ticket
    with an acknowledgement of its own, for ever (31 in 9 s); now the
    second round gets none, and the loop ends."""
    set_ack(tame)
    tame.send_mail(make_message(sender="OtherCorp <help+t0@othercorp.example>",
                                subject="Your order"))
    sink.wait_count(1)
    answered = 0
    for n in range(1, 8):
        if len(sink.messages) < n:
            settle(1.5)
            if len(sink.messages) < n:
                break
        ack = sink.messages[n - 1]["msg"]
        tame.send_mail(make_message(
            sender="OtherCorp <help+t%d@othercorp.example>" % n,
            subject="[OtherCorp] Request #%d received: %s" % (
                n, ack["Subject"])))
        answered += 1
        wait_for(lambda: len(tame.tickets()) == n + 1,
                 what="ticket %d" % (n + 1))
    settle(1.5)
    assert len(sink.messages) == 1, [str(x["msg"]["Subject"])
                                     for x in sink.messages]
    assert answered == 1
    assert len(tame.tickets()) == 2
    # Exchange and others answer nothing that says so
    m = sink.messages[0]["msg"]
    assert m["X-Auto-Response-Suppress"] == "All"
    assert m["Auto-Submitted"] == "auto-replied"


def test_one_ack_per_address_whatever_its_tag(tame, sink):
    """The limit of one acknowledgement an hour holds for an address
    with its +tag taken off; a team on one big domain each still gets
    theirs."""
    set_ack(tame)
    tame.send_mail(make_message(sender="ann+orders@example.org",
                                subject="Tagged one"))
    sink.wait_count(1)
    tame.send_mail(make_message(sender="ANN+billing@example.org",
                                subject="Tagged two"))
    tame.wait_ticket("Tagged two")
    for who in ("bea", "cy", "di", "ed", "flo", "gus"):
        tame.send_mail(make_message(sender="%s@gmail.example" % who,
                                    subject="From %s" % who))
    sink.wait_count(7)
    settle(1.0)
    got = sorted(x["rcpts"][0] for x in sink.messages)
    assert got == sorted(["ann+orders@example.org"] + [
        "%s@gmail.example" % w for w in ("bea", "cy", "di", "ed", "flo",
                                         "gus")]), got


def test_no_ack_to_mail_an_upstream_filter_called_spam(tame, sink):
    set_ack(tame)
    tame.send_mail(make_message(sender="win@prize.example",
                                subject="You won", headers={
                                    "X-Spam-Flag": "YES"}))
    tame.send_mail(make_message(sender="cheap@pills.example",
                                subject="Cheap pills", headers={
                                    "X-Spam-Status": "Yes, score=12.3 "
                                    "required=5.0 tests=BAYES_99"}))
    tame.wait_ticket("You won")
    tame.wait_ticket("Cheap pills")
    tame.send_mail(make_message(sender="real@example.org",
                                subject="Real question", headers={
                                    "X-Spam-Flag": "NO",
                                    "X-Spam-Status": "No, score=0.1"}))
    sink.wait_count(1)
    settle(1.0)
    assert [x["rcpts"] for x in sink.messages] == [["real@example.org"]]


# ------------------------------------------------------- a Google Group

def group_mail(subject, rewrite=True, **extra):
    """Dana's mail as a Google Group at support@ passes it on."""
    h = {"List-ID": "<support.example.com>", "Precedence": "list",
         "List-Unsubscribe": "<mailto:googlegroups-manage+1+unsubscribe"
                             "@googlegroups.com>",
         "Mailing-list": "list support@example.com; contact "
                         "support+owners@example.com"}
    if rewrite:
        h["Reply-To"] = "Dana Kim <dana.k@bigcorp.example>"
        h["X-Original-Sender"] = "dana.k@bigcorp.example"
        sender = "'Dana Kim' via Support <%s>" % MAILBOX
    else:
        sender = "Dana Kim <dana.k@bigcorp.example>"
    h.update(extra)
    return make_message(sender=sender, subject=subject,
                        text="The export button does nothing.\n",
                        headers=h)


def test_mail_through_our_google_group_is_the_persons(tame, sink):
    """Before, the group's mail made the mailbox itself the customer
    and the agent's answer went to support@, never to Dana."""
    set_ack(tame)
    tame.send_mail(group_mail("Export broken"))
    t = tame.wait_ticket("Export broken")
    assert t["customer"]["email"] == "dana.k@bigcorp.example"
    assert t["customer"]["name"] == "Dana Kim"
    ack = sink.wait_count(1)[0]
    assert ack["rcpts"] == ["dana.k@bigcorp.example"]
    msg = tame.ticket(t["id"])["messages"][0]
    assert not msg["auto_submitted"]
    assert msg["from"]["email"] == "dana.k@bigcorp.example"
    tame.reply(t["id"], "Fixed, please try again.")
    sent = sink.wait_count(2)[1]
    assert sent["rcpts"] == ["dana.k@bigcorp.example"]
    # Dana's answer through the group, naming only the subject token,
    # joins her ticket: she is on it, not the mailbox
    tame.send_mail(group_mail("Re: Export broken [#%d]" % t["id"]))
    wait_for(lambda: tame.ticket(t["id"])["message_count"] == 3,
             what="Dana's answer on her ticket")


def test_group_reply_to_does_not_make_a_stranger_the_customer(tame, sink):
    """Through our group, the author is who the group recorded
    (X-Original-Sender), not the Reply-To the poster wrote: a stranger
    naming Dana in Reply-To wrote into Dana's ticket as Dana."""
    tame.send_mail(group_mail("Invoice address"))
    dana = tame.wait_ticket("Invoice address")
    assert dana["customer"]["email"] == "dana.k@bigcorp.example"
    tame.send_mail(make_message(
        sender="'Mallory' via Support <%s>" % MAILBOX,
        subject="Re: Invoice address [#%d]" % dana["id"],
        text="Please send all invoices to my new address.\n",
        headers={"List-ID": "<support.example.com>", "Precedence": "list",
                 "Reply-To": "Dana Kim <dana.k@bigcorp.example>",
                 "X-Original-Sender": "mallory@evil.example"}))
    other = wait_for(lambda: [t for t in tame.tickets()
                              if t["id"] != dana["id"]],
                     what="the stranger's mail on a ticket of its own")
    assert len(other) == 1
    msg = tame.ticket(other[0]["id"])["messages"][0]
    assert msg["from"]["email"] == "mallory@evil.example"
    assert tame.ticket(dana["id"])["message_count"] == 1


def test_group_without_rewrite_and_without_reply_to(tame, sink):
    """A group that leaves From alone (List-ID ours, Precedence: list)
    or names the author only in X-Original-Sender: a person's mail
    either way, acknowledged and answered."""
    set_ack(tame)
    tame.send_mail(group_mail("Straight through", rewrite=False))
    t = tame.wait_ticket("Straight through")
    assert t["customer"]["email"] == "dana.k@bigcorp.example"
    sink.wait_count(1)
    tame.send_mail(make_message(
        sender="'Eli Ong' via Support <%s>" % MAILBOX,
        subject="Only the original sender",
        headers={"List-ID": "<support.example.com>", "Precedence": "list",
                 "X-Original-Sender": "eli@ong.example"}))
    t = tame.wait_ticket("Only the original sender")
    assert t["customer"]["email"] == "eli@ong.example"
    assert t["customer"]["name"] == "Eli Ong"
    sink.wait_count(2)
    assert sorted(x["rcpts"][0] for x in sink.messages) == [
        "dana.k@bigcorp.example", "eli@ong.example"]
    # someone else's list stays list mail: no acknowledgement
    tame.send_mail(make_message(sender="lou@cust.example",
                                subject="Other list",
                                headers={"List-ID": "<users.lists.example>",
                                         "Precedence": "list"}))
    tame.wait_ticket("Other list")
    settle(1.0)
    assert len(sink.messages) == 2


def test_reply_to_automatic_mail_refers_to_it(tame, sink):
    """A ticket whose only mail is automatic (a monitor's alert): the
    answer still names it in In-Reply-To and References, so the
    thread holds together in the recipient's mail program."""
    alert = make_message(sender="monitor@ops.example",
                         subject="Disk almost full",
                         headers={"Auto-Submitted": "auto-generated"})
    tame.send_mail(alert)
    tid = tame.wait_ticket("Disk almost full")["id"]
    tame.reply(tid, "We are on it.")
    m = sink.wait_count(1)[0]["msg"]
    assert strip_angle(alert["Message-ID"]) in (m["In-Reply-To"] or "")
    assert strip_angle(alert["Message-ID"]) in (m["References"] or "")


# ------------------------------------------------------- out of office

OOO = [
    ("Automatic reply: Re: %s", {"Auto-Submitted": "auto-generated",
                                 "X-Auto-Response-Suppress": "All"}),
    ("Re: %s", {"Precedence": "bulk",	# vacation(1)
                "Auto-Submitted": "auto-replied"}),
    ("Out of office: %s", {"Auto-Submitted": "auto-generated"}),
    ("Automatic reply: Re: %s", {}),
    ("Out of Office: Re: %s", {}),
    ("Abwesenheitsnotiz: Re: %s", {}),
    ("Auto: Re: %s", {}),
    ("Autosvar: Re: %s", {}),
    ("R\u00e9ponse automatique\u00a0: Re: %s", {}),
    ("Respuesta autom\u00e1tica: Re: %s", {}),
    ("Risposta automatica: Re: %s", {}),
    ("Automatisch antwoord: Re: %s", {}),
    ("AUTOMATIC REPLY: Re: %s", {}),
    ("R\u00c9PONSE AUTOMATIQUE : Re: %s", {}),
]


def test_out_of_office_replies_leave_solved_tickets_solved(tame, sink):
    """Out-of-office answers to our reply, marked or only by their
    subject in the common languages, join the ticket, leave it solved
    and tell the assignee nothing; the customer's own answer still
    reopens it and tells them."""
    bob_id, bob = agent(tame, "bob@example.com")
    tids = []
    for i, (subj, headers) in enumerate(OOO):
        tid, _ = open_ticket(tame, "Holiday %d" % i,
                             sender="c%d@example.org" % i)
        assert tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                        {"assignee_id": bob_id})[0] == 200
        tame.reply(tid, "Done.", status="solved")
        tids.append(tid)
    sink.wait_count(len(OOO))
    ours = {x["rcpts"][0]: x["msg"] for x in sink.messages}
    for i, (subj, headers) in enumerate(OOO):
        mine = ours["c%d@example.org" % i]
        h = dict(headers)
        h["In-Reply-To"] = mine["Message-ID"]
        tame.send_mail(make_message(sender="c%d@example.org" % i,
                                    subject=subj % mine["Subject"],
                                    text="I am away until Monday.\n",
                                    headers=h))
    for i, tid in enumerate(tids):
        wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
                 what="the out-of-office reply on ticket %d" % tid)
    wrong = [(OOO[i][0], tame.ticket(tid)["status"])
             for i, tid in enumerate(tids)
             if tame.ticket(tid)["status"] != "solved"]
    assert wrong == []
    told = [(OOO[i][0], kinds(bob, tid)) for i, tid in enumerate(tids)
            if "message.received" in kinds(bob, tid)]
    assert told == []
    # a person's subject that only looks like one is a person's mail
    tame.send_mail(make_message(sender="c0@example.org",
                                subject="Auto: insurance claim"))
    t = tame.wait_ticket("Auto: insurance claim")
    assert not tame.ticket(t["id"])["messages"][0]["auto_submitted"]
    # the customer's own answer reopens and tells the assignee
    mine = ours["c0@example.org"]
    tame.send_mail(make_message(sender="c0@example.org",
                                subject="Re: " + mine["Subject"],
                                text="Back now: it broke again.\n",
                                headers={"In-Reply-To": mine["Message-ID"]}))
    wait_for(lambda: tame.ticket(tids[0])["status"] == "open",
             what="the ticket reopened by its customer")
    wait_for(lambda: "message.received" in kinds(bob, tids[0]),
             what="the assignee told of the customer's answer")


def test_program_mail_that_answers_nothing_by_itself_counts(tame, sink):
    """What a program sends for a person (a ticketing tool mailing a
    comment: Auto-Submitted: auto-generated; an old vacation(1) with
    only Precedence: bulk) reopens a solved ticket and tells the
    assignee, as the person's own mail would; a new mail whose subject
    only starts like an out-of-office reply is a person's."""
    bob_id, bob = agent(tame, "bob@example.com")
    marks = [{"Auto-Submitted": "auto-generated"}, {"Precedence": "bulk"}]
    tids = []
    for i in range(len(marks)):
        tid, _ = open_ticket(tame, "Tool comment %d" % i,
                             sender="t%d@example.org" % i)
        assert tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                        {"assignee_id": bob_id})[0] == 200
        tame.reply(tid, "Done.", status="solved")
        tids.append(tid)
    sink.wait_count(len(marks))
    ours = {x["rcpts"][0]: x["msg"] for x in sink.messages}
    for i, h in enumerate(marks):
        mine = ours["t%d@example.org" % i]
        h = dict(h)
        h["In-Reply-To"] = mine["Message-ID"]
        tame.send_mail(make_message(sender="t%d@example.org" % i,
                                    subject="Re: " + mine["Subject"],
                                    text="Comment: still broken.\n",
                                    headers=h))
    for i, tid in enumerate(tids):
        wait_for(lambda: tame.ticket(tid)["status"] == "open",
                 what="ticket %d reopened by %r" % (tid, marks[i]))
        wait_for(lambda: "message.received" in kinds(bob, tid),
                 what="the assignee told of %r" % marks[i])
    tame.send_mail(make_message(sender="dee@example.org",
                                subject="Out of office: calendar shows "
                                        "me away"))
    t = tame.wait_ticket("Out of office: calendar shows me away")
    assert not tame.ticket(t["id"])["messages"][0]["auto_submitted"]


# ------------------------------------------------------- bounces

def dsn(original_mid, rcpt):
    b = "=_b_%s" % uuid.uuid4().hex
    return ("From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
            "To: %(mb)s\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "Message-ID: <%(u)s@mx.example.org>\r\n"
            "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;"
            " boundary=\"%(b)s\"\r\n\r\n"
            "--%(b)s\r\nContent-Type: text/plain\r\n\r\n"
            "Could not deliver to %(r)s.\r\n"
            "--%(b)s\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.org\r\n\r\n"
            "Final-Recipient: rfc822; %(r)s\r\nAction: failed\r\n"
            "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 unknown\r\n"
            "\r\n--%(b)s\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            "From: %(mb)s\r\nTo: %(r)s\r\nMessage-ID: %(o)s\r\n\r\n"
            "--%(b)s--\r\n" % {"mb": MAILBOX, "u": uuid.uuid4().hex, "b": b,
                               "r": rcpt, "o": original_mid}).encode()


def test_a_bounce_tells_assignee_and_follower_it_bounced_once(tame, sink):
    """Before, the assignee heard "the customer wrote" of a bounce and
    a follower heard that and "bounced" both."""
    bob_id, bob = agent(tame, "bob@example.com")
    cy_id, cy = agent(tame, "cy@example.com")
    tid, _ = open_ticket(tame, "Will bounce", sender="gone@example.org")
    assert tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                    {"assignee_id": bob_id})[0] == 200
    for who in (bob_id, cy_id):
        assert tame.api("POST", "/api/v1/tickets/%d/followers" % tid,
                        {"agent_id": who})[0] in (200, 201)
    out = tame.reply(tid, "Here you are.", status="solved")
    ours = sink.wait_count(1)[0]["msg"]["Message-ID"]
    before = {"bob": kinds(bob, tid), "cy": kinds(cy, tid)}
    assert tame.send_raw(dsn(ours, "gone@example.org"), mail_from="") == {}
    wait_for(lambda: tame.message(tid, out["id"])["delivery"]["state"]
             == "failed", what="the reply marked failed")
    settle(0.5)
    for name, notes in (("bob", bob), ("cy", cy)):
        new = kinds(notes, tid)[:len(kinds(notes, tid)) -
                                len(before[name])]
        assert new == ["reply.bounced"], (name, new)


# ------------------------------------------------------- repeat customer

def test_repeat_customer_never_understates_the_count(tame):
    """A customer with more tickets this week than the flag counts is
    not said to have exactly that many."""
    with tame.smtp() as s:
        for i in range(25):
            m = make_message(sender="busy@example.org",
                             subject="Request number %d" % i)
            s.send_message(m, from_addr="busy@example.org",
                           to_addrs=[MAILBOX])
    t = tame.wait_ticket("Request number 24")

    def flag():
        f = [x for x in tame.ticket(t["id"])["flags"]
             if x["kind"] == "repeat_customer"]
        return f and f[0]["reason"]
    reason = wait_for(flag, 15, what="the repeat_customer flag")
    assert reason in ("25 tickets from this customer in 7 days",
                      "20 or more tickets from this customer in 7 days"), \
        reason
