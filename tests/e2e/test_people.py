"""A team's people change: admins who disable or demote each other, an
agent who leaves with tickets in hand, and the `tame user` commands that
get a locked-out desk back - through the HTTP API and the CLI, with mail
in by SMTP."""

import http.client
import json
import threading

from conftest import (ADMIN_EMAIL, ADMIN_PASSWORD, MAILBOX, SLOW, Api,
                      EventStream, assert_error, make_message, settle,
                      wait_for)


# ---------------------------------------------------------------- helpers

def login(tame, email, password):
    """Answers (status, session cookie header value or None)."""
    st, h, body = tame.api("POST", "/api/v1/session",
                           {"email": email, "password": password},
                           token=None)
    for sc in h.get_all("Set-Cookie") or []:
        name, _, rest = sc.partition("=")
        if name.strip() == "tame_session" and st == 201:
            return st, "tame_session=" + rest.split(";")[0]
    return st, None


def agent_id(tame, email):
    return [a["id"] for a in tame.get("/api/v1/agents")["agents"]
            if a["email"] == email][0]


def new_ticket(tame, subject, sender="Carol Customer <carol@example.org>"):
    tame.send_mail(make_message(sender=sender, subject=subject,
                                text="Hello, something is wrong.\n"))
    return tame.wait_ticket(subject)["id"]


def patch(tame, tid, **body):
    st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % tid, body)
    assert st == 200, ans


def enabled_admins(viewer):
    st, _, ans = viewer.call("GET", "/api/v1/agents")
    assert st == 200, ans
    return sorted(a["email"] for a in ans["agents"]
                  if a["role"] == "admin" and not a["disabled"])


# ---------------------------------------------------------------- admins

def at_once(port, calls):
    """Sends each (token, method, path, body) of calls on a connection
    of its own, opened beforehand, all released at the same moment;
    answers their statuses in order."""
    gate = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, tok, method, path, body):
        conn = http.client.HTTPConnection("127.0.0.1", port,
                                          timeout=30 * SLOW)
        try:
            conn.connect()
            gate.wait()
            conn.request(method, path, body=json.dumps(body),
                         headers={"Authorization": "Bearer " + tok,
                                  "Content-Type": "application/json"})
            resp = conn.getresponse()
            ans = resp.read()
            out[i] = (resp.status, json.loads(ans) if ans else None)
        finally:
            conn.close()

    ths = [threading.Thread(target=run, args=(i,) + c)
           for i, c in enumerate(calls)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    return out


def test_admins_who_lock_each_other_out_at_once_leave_one(tame):
    """Two admins who disable (or demote) each other at the same moment:
    one of them wins, the other is refused (409, or 401/403 when the
    first change came before the request was read), and an enabled
    admin always remains. Before, both answered 200 and the desk had
    no admin left (the rule was checked against the caller only)."""
    a_id = tame.admin_id
    b_id, b_tok = tame.add_agent("bea@example.com", role="admin")
    _, c_tok = tame.add_agent("carl@example.com")
    viewer = Api(tame.http_port, c_tok)
    tok = {a_id: tame.token, b_id: b_tok}
    for field, off, on in (("role", "agent", "admin"),
                           ("disabled", True, False)):
        for rnd in range(60):
            got = at_once(tame.http_port, [
                (tame.token, "PATCH", "/api/v1/agents/%d" % b_id,
                 {field: off}),
                (b_tok, "PATCH", "/api/v1/agents/%d" % a_id, {field: off})])
            left = enabled_admins(viewer)
            assert left, "%s round %d: no enabled admin left %r" % (
                field, rnd, got)
            assert sorted(st for st, _ in got)[0] == 200, got
            assert [st for st, _ in got].count(200) == 1, got
            for st, ans in got:
                if st == 409:
                    assert "no enabled admin" in ans["error"]["message"], ans
                else:
                    assert st in (200, 401, 403), (st, ans)
            # the one left gives the other back what they had
            keep = a_id if left == [ADMIN_EMAIL] else b_id
            other = b_id if keep == a_id else a_id
            st, _, ans = Api(tame.http_port, tok[keep]).call(
                "PATCH", "/api/v1/agents/%d" % other, {field: on})
            assert st == 200, ans
    # alone, the last admin is still refused
    assert tame.api("PATCH", "/api/v1/agents/%d" % b_id,
                    {"role": "agent"})[0] == 200
    st, _, ans = Api(tame.http_port, b_tok).call(
        "PATCH", "/api/v1/agents/%d" % a_id, {"disabled": True})
    assert_error(st, ans, 403)


# ---------------------------------------------------------------- a leaver

def test_disabled_agents_open_tickets_go_back_to_unassigned(tame):
    """Disabling an agent sends their new, open and pending tickets back
    to Unassigned in the same change, each with a history event naming
    whom the admin disabled, and tells the live views; solved and
    closed ones keep their assignee. The answer says how many went
    back, a customer's answer then lands in Unassigned, and enabling
    the agent again gives nothing back. Before, the tickets stayed with
    the disabled agent, out of Unassigned and out of anyone's Mine."""
    dan, _ = tame.add_agent("dan@example.com")
    eve, _ = tame.add_agent("eve@example.com")
    t_new = new_ticket(tame, "Leaver new")
    t_open = new_ticket(tame, "Leaver open")
    t_pend = new_ticket(tame, "Leaver pending",
                        sender="Pat Pending <pat@example.org>")
    t_solved = new_ticket(tame, "Leaver solved")
    t_eve = new_ticket(tame, "Eve keeps this")
    patch(tame, t_new, assignee_id=dan)
    patch(tame, t_open, assignee_id=dan, status="open")
    patch(tame, t_pend, assignee_id=dan, status="pending")
    patch(tame, t_solved, assignee_id=dan, status="solved")
    patch(tame, t_eve, assignee_id=eve, status="open")
    s = EventStream(tame, {"Authorization": "Bearer " + tame.token})
    try:
        wait_for(lambda: b"retry:" in s.data, what="the stream's start")
        settle(1.5)
        seen = s.data
        st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % dan,
                              {"disabled": True})
        assert st == 200, ans
        assert ans["disabled"] is True and ans["unassigned_tickets"] == 3
        for t in (t_new, t_open, t_pend):
            wait_for(lambda: (b'"ticket_id":%d' % t) in
                     s.data[len(seen):], 10, what="ticket.updated of #%d" % t)
    finally:
        s.close()
    back = {t["id"] for t in tame.get(
        "/api/v1/tickets?assignee=none&limit=100")["tickets"]}
    assert {t_new, t_open, t_pend} <= back, back
    assert tame.ticket(t_solved)["assignee"]["id"] == dan
    assert tame.ticket(t_eve)["assignee"]["id"] == eve
    for t in (t_new, t_open, t_pend):
        tk = tame.ticket(t)
        assert tk["assignee"] is None
        ev = tk["events"][-1]
        assert ev["kind"] == "ticket.updated", ev
        assert ev["actor_id"] == tame.admin_id
        assert ev["data"] == {"assignee_id": None,
                              "disabled_agent_id": dan}, ev
    assert tame.ticket(t_open)["status"] == "open"
    # the customer answers the pending one: it opens, in Unassigned
    first = tame.ticket(t_pend)["messages"][0]["message_id"]
    tame.send_mail(make_message(sender="Pat Pending <pat@example.org>",
                                subject="Re: Leaver pending",
                                text="Any news?\n",
                                headers={"In-Reply-To": "<%s>" % first}))
    wait_for(lambda: tame.ticket(t_pend)["message_count"] == 2, 10,
             what="the answer")
    assert tame.ticket(t_pend)["status"] == "open"
    assert t_pend in {t["id"] for t in tame.get(
        "/api/v1/tickets?assignee=none&limit=100")["tickets"]}
    # enabling again gives nothing back; a plain change answers no count
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % dan,
                          {"disabled": False})
    assert st == 200 and "unassigned_tickets" not in ans, ans
    assert tame.get("/api/v1/tickets?assignee=%d&limit=100"
                    % dan)["tickets"] == []
    # a disabled agent holding nothing: 0
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % eve,
                          {"disabled": True})
    assert st == 200 and ans["unassigned_tickets"] == 1, ans
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % eve,
                          {"disabled": True})
    assert st == 200 and ans["unassigned_tickets"] == 0, ans


# ---------------------------------------------------------------- the CLI

def test_tame_user_enable_disable_and_role(tame):
    """`tame user disable` does what the Agents page does: the agent's
    sessions end (tamed reads them at each request), their open tickets
    go back to Unassigned with an event without an actor. `user enable`
    and `user role` get a desk whose admins are locked out back; none of
    them disables or demotes the last enabled admin. Before, the CLI had
    no way to enable or promote an agent."""
    dan, _ = tame.add_agent("dan@example.com", password="dan password 1")
    t = new_ticket(tame, "Dan's one")
    patch(tame, t, assignee_id=dan, status="open")
    st, cookie = login(tame, "dan@example.com", "dan password 1")
    assert st == 201 and cookie
    hdr = {"Cookie": cookie}
    assert tame.api("GET", "/api/v1/session", token=None,
                    headers=hdr)[0] == 200
    r = tame.cli("user", "disable", "--email", "dan@example.com")
    assert "1 open ticket went back to Unassigned" in r.err, r
    st, _, ans = tame.api("GET", "/api/v1/session", token=None, headers=hdr)
    assert_error(st, ans, 401)
    assert login(tame, "dan@example.com", "dan password 1")[0] == 403
    tk = tame.ticket(t)
    assert tk["assignee"] is None
    assert tk["events"][-1]["actor_id"] is None
    assert tk["events"][-1]["data"] == {"assignee_id": None,
                                        "disabled_agent_id": dan}
    r = tame.cli("user", "enable", "--email", "DAN@example.com")
    assert "can sign in again" in r.err, r
    assert login(tame, "dan@example.com", "dan password 1")[0] == 201
    assert tame.ticket(t)["assignee"] is None
    # the only admin stays one, and enabled
    r = tame.cli("user", "disable", "--email", ADMIN_EMAIL, check=False)
    assert r.returncode == 65 and "last enabled admin" in r.err, r
    r = tame.cli("user", "role", "--email", ADMIN_EMAIL, "agent",
                 check=False)
    assert r.returncode == 65 and "last enabled admin" in r.err, r
    assert login(tame, ADMIN_EMAIL, ADMIN_PASSWORD)[0] == 201
    # a second admin, then the first may go
    r = tame.cli("user", "role", "--email", "dan@example.com", "admin")
    assert "is now admin" in r.err, r
    tame.cli("user", "disable", "--email", ADMIN_EMAIL)
    assert login(tame, ADMIN_EMAIL, ADMIN_PASSWORD)[0] == 403
    r = tame.cli("user", "role", "--email", "dan@example.com", "agent",
                 check=False)
    assert r.returncode == 65, r
    tame.cli("user", "enable", "--email", ADMIN_EMAIL)
    assert tame.get("/api/v1/agents/%d" % dan)["role"] == "admin"
    # refusals: unknown agent, bad role, missing parts
    r = tame.cli("user", "enable", "--email", "nobody@example.com",
                 check=False)
    assert r.returncode == 67 and "no agent" in r.err, r
    r = tame.cli("user", "role", "--email", "dan@example.com", "boss",
                 check=False)
    assert r.returncode == 64 and "admin or agent" in r.err, r
    for args in (("user", "role", "--email", "dan@example.com"),
                 ("user", "disable"),
                 ("user", "enable", "--email", "dan@example.com", "x")):
        r = tame.cli(*args, check=False)
        assert r.returncode == 64, (args, r)


def test_an_agent_enabled_again_keeps_names_apart(tame):
    """A leaver's name is free while they are disabled; enabling them
    again when a colleague has taken it is refused, by the API and the
    CLI, so that no two enabled agents share a name (a note signed so is
    one person's). Before, the second Dan Dorsey came back beside the
    first."""
    def add(email, name):
        st, _, ans = tame.api("POST", "/api/v1/agents",
                              {"email": email, "name": name,
                               "role": "agent",
                               "password": "agent-password-1"})
        assert st == 201, ans
        return ans["id"]

    old = add("dan@example.com", "Dan Dorsey")
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % old,
                          {"disabled": True})
    assert st == 200, ans
    new = add("dan.dorsey@example.com", "dan dorsey")
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % old,
                          {"disabled": False})
    assert assert_error(st, ans, 409)["code"] == "conflict"
    assert "dan dorsey" in ans["error"]["message"], ans
    r = tame.cli("user", "enable", "--email", "dan@example.com", check=False)
    assert r.returncode == 65 and "dan dorsey" in r.err, r
    assert "last enabled admin" not in r.err, r
    assert tame.get("/api/v1/agents/%d" % old)["disabled"] is True
    # renamed, the leaver comes back
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % old,
                          {"name": "Dan Dorsey Sr."})
    assert st == 200, ans
    r = tame.cli("user", "enable", "--email", "dan@example.com")
    assert "can sign in again" in r.err, r
    names = {a["id"]: (a["name"], a["disabled"])
             for a in tame.get("/api/v1/agents")["agents"]}
    assert names[old] == ("Dan Dorsey Sr.", False)
    assert names[new] == ("dan dorsey", False)


def test_a_leavers_solved_ticket_reopened_by_mail_goes_to_unassigned(tame):
    """A disable leaves a leaver's solved tickets with them (history);
    when the customer writes again, the ticket opens in Unassigned, not
    on the leaver, who can no longer see it (before, it reopened on
    them and nobody else was told)."""
    dan, _ = tame.add_agent("dan@example.com")
    mid = "<solved-dan@example.org>"
    tame.send_mail(make_message(subject="Dan's solved one",
                                message_id=mid))
    t = tame.wait_ticket("Dan's solved one")["id"]
    patch(tame, t, assignee_id=dan, status="solved")
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % dan,
                          {"disabled": True})
    assert st == 200 and ans["unassigned_tickets"] == 0, ans
    assert tame.ticket(t)["assignee"]["id"] == dan
    tame.send_mail(make_message(subject="Re: Dan's solved one",
                                text="It broke again.\n",
                                headers={"In-Reply-To": mid}))
    wait_for(lambda: tame.ticket(t)["status"] == "open",
             what="the ticket reopened")
    tk = tame.ticket(t)
    assert tk["assignee"] is None
    ev = [e for e in tk["events"] if e["kind"] == "ticket.updated"][-1]
    assert ev["data"] == {"assignee_id": None, "disabled_agent_id": dan}
    assert ev["actor_id"] is None
    none = tame.get("/api/v1/tickets?assignee=none")["tickets"]
    assert t in [x["id"] for x in none]


def test_an_admin_changes_an_agents_address(tame):
    """An agent whose address changes (a new name, a new company domain)
    keeps their account: an admin sets the new address, the agent signs
    in with it and keeps their tickets and sessions; the old address is
    free. The rules of a new agent's address hold; an agent cannot
    change their own. Before, the address could not be changed at
    all."""
    dan, dan_token = tame.add_agent("dan@example.com",
                                    password="dan password 1")
    t = new_ticket(tame, "Dan's")
    patch(tame, t, assignee_id=dan)
    st, cookie = login(tame, "dan@example.com", "dan password 1")
    assert st == 201
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % dan,
                          {"email": "Dan.Dorsey@NewCo.example"})
    assert st == 200 and ans["email"] == "dan.dorsey@newco.example", ans
    assert login(tame, "dan@example.com", "dan password 1")[0] == 401
    assert login(tame, "dan.dorsey@newco.example", "dan password 1")[0] == 201
    assert tame.api("GET", "/api/v1/session", token=None,
                    headers={"Cookie": cookie})[0] == 200
    assert tame.ticket(t)["assignee"]["id"] == dan
    # the old address is free for someone else
    st, _, ans = tame.api("POST", "/api/v1/agents",
                          {"email": "dan@example.com", "name": "Eve Evans",
                           "role": "agent", "password": "eve password 1"})
    assert st == 201 and ans["id"] != dan, ans
    for bad, status in (("dan@example.com", 409),
                        (ADMIN_EMAIL.upper(), 409),
                        ("dan@newco.example.", 400),
                        (MAILBOX, 400),
                        ("not an address", 400)):
        st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % dan,
                              {"email": bad})
        assert_error(st, ans, status)
    # one's own address in other letters is no change
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % dan,
                          {"email": "DAN.DORSEY@newco.example"})
    assert st == 200 and ans["email"] == "dan.dorsey@newco.example", ans
    # an agent cannot change their own
    st, _, ans = Api(tame.http_port, dan_token).call(
        "PATCH", "/api/v1/agents/me", {"email": "me@elsewhere.example"})
    assert_error(st, ans, 403)
    assert tame.get("/api/v1/agents/%d" % dan)["email"] == (
        "dan.dorsey@newco.example")


def test_tame_init_on_a_desk_without_an_enabled_admin_says_the_way_back(
        tame_data):
    """tame init makes the first admin (admin@localhost) when the desk
    has no enabled admin; when that one is there but disabled too (a
    store from before the last-admin rule) it now says how to get one
    back, where it said nothing."""
    import sqlite3

    def disable_all():
        db = sqlite3.connect(tame_data.data / "tame.db")
        db.execute("UPDATE agents SET disabled = 1")
        db.commit()
        db.close()

    assert tame_data.cli("init").out == ""     # Ada is an admin
    disable_all()
    r = tame_data.cli("init")
    assert "admin: admin@localhost" in r.out and "password" in r.out, r
    disable_all()
    r = tame_data.cli("init")
    assert r.returncode == 0 and "password" not in r.out, r
    assert "no enabled admin" in r.err and "tame user enable" in r.err, r
    tame_data.cli("user", "enable", "--email", "admin@localhost")
    r = tame_data.cli("init")
    assert r.err == "" and r.out == "", r


def test_enabling_an_enabled_agent_is_no_change(tame):
    """A client that sends an agent's whole state ("disabled": false for
    an agent enabled already) is not refused over a name two agents
    shared from before names were checked."""
    import sqlite3
    st, _, ans = tame.api("POST", "/api/v1/agents",
                          {"email": "kim@example.com", "name": "Kim Park",
                           "role": "agent", "password": "kim password 1"})
    assert st == 201, ans
    kim = ans["id"]
    tame.stop()
    db = sqlite3.connect(tame.data / "tame.db")
    db.execute("INSERT INTO agents(email, name, role, created_at)"
               " VALUES ('kim.p@example.com', 'Kim Park', 0, 0)")
    db.commit()
    db.close()
    tame.start()
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % kim,
                          {"disabled": False, "role": "agent"})
    assert st == 200 and ans["disabled"] is False, ans
