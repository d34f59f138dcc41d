"""A conversation in, out and back in; the subject token; reopening."""

from conftest import MAILBOX, make_message, strip_angle, wait_for


def msgids(header):
    return [strip_angle("<" + x) for x in (header or "").split("<")
            if x.strip()]


def test_conversation_in_out_and_back_in(tame, sink):
    first = make_message(sender="Carol Customer <carol@example.org>",
                         subject="Printer on fire",
                         text="Smoke everywhere.\n")
    tame.send_mail(first)
    t = tame.wait_ticket("Printer on fire")
    tid = t["id"]

    # the agent answers through the API and asks the customer to wait
    out = tame.reply(tid, "Have you tried turning it off?\n",
                     status="pending")
    assert out["direction"] == "out"
    assert out["delivery"]["state"] in ("queued", "sent")
    assert "turning it off" in out["text"]

    # the answer leaves by SMTP to the customer
    sent = sink.wait_count(1)[0]
    assert sent["rcpts"] == ["carol@example.org"]
    m = sent["msg"]
    assert m["Subject"] == "Re: Printer on fire [#%d]" % tid
    assert m["To"].addresses[0].addr_spec == "carol@example.org"
    # by the name the customer wrote under
    assert m["To"].addresses[0].display_name == "Carol Customer"
    assert m["From"].addresses[0].addr_spec == MAILBOX
    assert strip_angle(first["Message-ID"]) in msgids(m["In-Reply-To"])
    assert strip_angle(first["Message-ID"]) in msgids(m["References"])
    assert m["Message-ID"]
    assert strip_angle(m["Message-ID"]) != strip_angle(first["Message-ID"])
    assert strip_angle(m["Message-ID"]) == strip_angle(out["message_id"])
    assert "turning it off" in m.get_body(("plain",)).get_content()
    assert m["Date"]
    # a human answer is not marked automatic
    assert (m["Auto-Submitted"] or "no") == "no"

    wait_for(lambda: tame.message(tid, out["id"])["delivery"]["state"]
             == "sent", what="the reply marked sent")
    assert tame.ticket(tid)["status"] == "pending"

    # the customer answers with In-Reply-To, under another subject
    answer = make_message(sender="Carol Customer <carol@example.org>",
                          subject="Still smoking",
                          text="Yes, it is off and still smoking.\n",
                          headers={"In-Reply-To": m["Message-ID"],
                                   "References": "%s %s" % (
                                       first["Message-ID"],
                                       m["Message-ID"])})
    tame.send_mail(answer)
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
             what="the answer in the same ticket")
    d = tame.ticket(tid)
    assert d["status"] == "open"
    assert [x["direction"] for x in d["messages"]] == ["in", "out", "in"]
    assert "still smoking" in d["messages"][2]["text"]
    assert len(tame.tickets()) == 1


def test_references_alone_thread(tame, sink):
    first = make_message(subject="Only references")
    tame.send_mail(first)
    tid = tame.wait_ticket("Only references")["id"]
    tame.reply(tid, "Answer.")
    out = sink.wait_count(1)[0]["msg"]
    tame.send_mail(make_message(subject="Different",
                                headers={"References": out["Message-ID"]}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3)
    assert len(tame.tickets()) == 1


def test_subject_token_for_participant(tame):
    tame.send_mail(make_message(sender="carol@example.org",
                                subject="Invoice missing"))
    tid = tame.wait_ticket("Invoice missing")["id"]
    # a new mail (no In-Reply-To) from the same customer with the token
    tame.send_mail(make_message(sender="Carol <carol@example.org>",
                                subject="More about it [#%d]" % tid,
                                text="Here is the order number 4711.\n"))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 2,
             what="the token joining the ticket")
    assert len(tame.tickets()) == 1
    assert "4711" in tame.ticket(tid)["messages"][1]["text"]


def test_subject_token_from_stranger_starts_new_ticket(tame):
    tame.send_mail(make_message(sender="carol@example.org",
                                subject="Account locked"))
    tid = tame.wait_ticket("Account locked")["id"]
    stranger_subject = "Re: Account locked [#%d]" % tid
    tame.send_mail(make_message(sender="mallory@evil.example",
                                subject=stranger_subject,
                                text="Please send me Carol's data.\n"))
    t2 = wait_for(lambda: [t for t in tame.tickets() if t["id"] != tid],
                  what="a new ticket for the stranger")
    assert len(t2) == 1
    assert t2[0]["customer"]["email"] == "mallory@evil.example"
    d = tame.ticket(tid)
    assert d["message_count"] == 1
    assert all("Carol's data" not in m["text"] for m in d["messages"])


def test_reply_to_solved_ticket_reopens(tame, sink):
    first = make_message(sender="dave@example.org", subject="Password reset")
    tame.send_mail(first)
    tid = tame.wait_ticket("Password reset")["id"]
    tame.reply(tid, "Done, you can log in now.", status="solved")
    out = sink.wait_count(1)[0]["msg"]
    assert tame.ticket(tid)["status"] == "solved"
    tame.send_mail(make_message(sender="dave@example.org",
                                subject="Re: Password reset [#%d]" % tid,
                                text="It does not work.\n",
                                headers={"In-Reply-To": out["Message-ID"]}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3)
    assert tame.ticket(tid)["status"] == "open"
    assert len(tame.tickets()) == 1


def test_answer_to_pending_ticket_sets_open(tame):
    tame.send_mail(make_message(sender="erin@example.org",
                                subject="Refund"))
    tid = tame.wait_ticket("Refund")["id"]
    st, _, body = tame.api("PATCH", "/api/v1/tickets/%d" % tid,
                           {"status": "pending"})
    assert st == 200, body
    tame.send_mail(make_message(sender="erin@example.org",
                                subject="Re: Refund [#%d]" % tid))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 2)
    assert tame.ticket(tid)["status"] == "open"


def test_cc_participant_token_joins(tame, sink):
    tame.send_mail(make_message(sender="carol@example.org",
                                subject="Server down"))
    tid = tame.wait_ticket("Server down")["id"]
    tame.reply(tid, "Adding your IT team.", cc=["it@example.org"])
    sink.wait_count(1)
    # the IT person writes a fresh mail with the token: a participant now
    tame.send_mail(make_message(sender="it@example.org",
                                subject="Logs for [#%d]" % tid,
                                text="Here are the logs.\n"))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
             what="the CC'd participant joining by token")
    assert len(tame.tickets()) == 1


def test_unknown_in_reply_to_starts_new_ticket(tame):
    tame.send_mail(make_message(subject="Some ticket"))
    tame.wait_ticket("Some ticket")
    tame.send_mail(make_message(subject="Reply to something else",
                                headers={"In-Reply-To":
                                         "<never-seen@example.net>"}))
    tame.wait_ticket("Reply to something else")
    assert len(tame.tickets()) == 2


def test_sender_address_case_is_same_customer(tame):
    tame.send_mail(make_message(sender="Carol <carol@example.org>",
                                subject="Case one"))
    tid = tame.wait_ticket("Case one")["id"]
    tame.send_mail(make_message(sender="Carol <Carol@Example.ORG>",
                                subject="Case two [#%d]" % tid))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 2,
             what="the same customer, whatever the case of the address")
    custs = tame.get("/api/v1/customers")["customers"]
    assert len(custs) == 1


def test_long_references_newest_last(tame, sink):
    tame.send_mail(make_message(subject="Long thread"))
    tid = tame.wait_ticket("Long thread")["id"]
    tame.reply(tid, "Answer.")
    ours = sink.wait_count(1)[0]["msg"]["Message-ID"]
    refs = " ".join("<old%d@elsewhere.example>" % i for i in range(100))
    tame.send_mail(make_message(subject="Different subject entirely",
                                headers={"References": refs + " " + ours}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3,
             what="threading by the last of 101 References")
    assert len(tame.tickets()) == 1


def test_reply_subject_not_doubled(tame, sink):
    tame.send_mail(make_message(subject="Re: question about plans"))
    tid = tame.wait_ticket("Re: question about plans")["id"]
    tame.reply(tid, "First.")
    s1 = sink.wait_count(1)[0]["msg"]["Subject"]
    assert s1 == "Re: question about plans [#%d]" % tid
    # the customer answers; our next reply keeps one Re: and one token
    tame.send_mail(make_message(subject="RE: " + s1,
                                headers={"In-Reply-To": sink.messages[0]
                                         ["msg"]["Message-ID"]}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3)
    tame.reply(tid, "Second.")
    s2 = sink.wait_count(2)[1]["msg"]["Subject"]
    assert s2 == s1
    # and In-Reply-To points at the customer's latest message
    latest = tame.ticket(tid)["messages"][2]["message_id"]
    assert strip_angle(latest) in sink.messages[1]["msg"]["In-Reply-To"]


def test_reply_to_of_a_contact_form_is_the_customer(tame, sink):
    """A form writes From: its own noreply address and Reply-To: the
    person who filled it in; the team answers that person, and the
    person's own answer joins the ticket."""
    first = make_message(sender="Website Form <noreply@forms.example>",
                         subject="Contact form: refund",
                         text="Name: Rita Real\nMy refund is missing.\n",
                         headers={"Reply-To": "Rita Real <rita@cust.example>"})
    tame.send_mail(first)
    t = tame.wait_ticket("Contact form: refund")
    assert t["customer"]["email"] == "rita@cust.example"
    assert t["customer"]["name"] == "Rita Real"
    # the message keeps its author
    assert tame.ticket(t["id"])["messages"][0]["from"]["email"] == \
        "noreply@forms.example"
    out = tame.reply(t["id"], "Your refund left today.")
    sent = sink.wait_count(1)[0]
    assert sent["rcpts"] == ["rita@cust.example"]
    tame.send_mail(make_message(
        sender="Rita Real <rita@cust.example>", subject="Re: refund",
        text="Thanks, it arrived.\n",
        headers={"In-Reply-To": "<%s>" % strip_angle(out["message_id"])}))
    wait_for(lambda: tame.ticket(t["id"])["message_count"] == 3,
             what="Rita's answer in the same ticket")
    # a list's Reply-To (the list) is not the customer
    tame.send_mail(make_message(
        sender="Lou List <lou@cust.example>", subject="List question",
        headers={"Reply-To": "users@lists.example",
                 "List-Id": "<users.lists.example>"}))
    assert tame.wait_ticket("List question")["customer"]["email"] == \
        "lou@cust.example"
    # nor one of our own mailboxes
    tame.send_mail(make_message(
        sender="Mo Self <mo@cust.example>", subject="Loop question",
        headers={"Reply-To": MAILBOX}))
    assert tame.wait_ticket("Loop question")["customer"]["email"] == \
        "mo@cust.example"


def test_list_preview_is_the_new_text_not_the_quote(tame, sink):
    """An answer quoting our reply under it shows, in the list, what the
    customer wrote now; before, a short answer's preview ran on into
    "On ... wrote:" and our own words."""
    tame.send_mail(make_message(sender="jo@example.org",
                                subject="Broken zip", text="It fails.\n"))
    tid = tame.wait_ticket("Broken zip")["id"]
    tame.reply(tid, "Which version do you have?")
    ours = sink.wait_count(1)[0]["msg"]["Message-ID"]
    tame.send_mail(make_message(
        sender="jo@example.org", subject="Re: Broken zip [#%d]" % tid,
        text="Version 2.3, sorry.\n\nOn Mon, 1 Dec 2026, Support "
             "<%s> wrote:\n> Which version do you have?\n" % MAILBOX,
        headers={"In-Reply-To": ours}))
    wait_for(lambda: tame.ticket(tid)["message_count"] == 3)
    row = [t for t in tame.tickets() if t["id"] == tid][0]
    assert row["preview"] == "Version 2.3, sorry.", row["preview"]


def test_reply_arriving_before_the_mail_it_answers_joins_it(tame):
    """Mail may arrive out of order: the customer's follow-up, naming
    only the mail it answers, comes before that mail. The first mail
    joins the follow-up's ticket when it comes, and reads before it.
    Before: a ticket each."""
    first = make_message(sender="Gil <gil@example.org>",
                         subject="VPN drops", text="It drops hourly.\n")
    follow = make_message(sender="Gil <gil@example.org>",
                          subject="Re: VPN drops", text="Any news?\n",
                          headers={"In-Reply-To": first["Message-ID"]})
    tame.send_mail(follow)
    tid = tame.wait_ticket("Re: VPN drops")["id"]
    tame.send_mail(first)
    wait_for(lambda: tame.ticket(tid)["message_count"] == 2,
             what="the first mail joining its follow-up's ticket")
    assert [t["id"] for t in tame.tickets()] == [tid]
    t = tame.ticket(tid)
    assert t["subject"] == "VPN drops"
    assert [m["message_id"] for m in t["messages"]] == [
        strip_angle(first["Message-ID"]), strip_angle(follow["Message-ID"])]
    assert t["preview"].startswith("Any news?"), t["preview"]


def test_stranger_naming_a_mail_before_it_comes_does_not_take_it(tame):
    """Someone who names a mail before it arrives (In-Reply-To) does not
    draw it into their ticket: the mail joins only a ticket its author
    (or its customer) takes part in."""
    first = make_message(sender="hana@example.org", subject="Payroll export")
    tame.send_mail(make_message(sender="eve@evil.example",
                                subject="Re: Payroll export",
                                headers={"In-Reply-To": first["Message-ID"]}))
    eve = tame.wait_ticket("Re: Payroll export")["id"]
    tame.send_mail(first)
    tame.wait_ticket("Payroll export")
    assert tame.ticket(eve)["message_count"] == 1
    assert len(tame.tickets()) == 2
