"""Saved filters kept per agent on the server (issue 3): saved, listed,
changed in place, deleted; another agent never sees them; bad
parameters refused; the filter's parameters are the ticket list's own,
so a saved filter lists the tickets it names; and they outlive a restart
of tamed - through the HTTP API of a running tamed, with tickets opened
by mail over SMTP."""

from urllib.parse import urlencode

from conftest import Api, assert_error, make_message


def agent_api(tame, email):
    _, tok = tame.add_agent(email)
    return Api(tame.http_port, tok)


def new_ticket(tame, subject, **patch):
    tame.send_mail(make_message(subject=subject,
                                text="About %s.\n" % subject))
    tid = tame.wait_ticket(subject)["id"]
    if patch:
        st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % tid, patch)
        assert st == 200, ans
    return tid


def save(api, body):
    """Saves through api (an Api, or the Tame of the admin)."""
    call = api.call if isinstance(api, Api) else api.api
    st, _, ans = call("POST", "/api/v1/filters", body)
    assert st in (200, 201), (st, ans)
    return st, ans["filter"]


def test_save_list_change_delete(tame):
    assert tame.get("/api/v1/filters") == {"filters": []}
    st, f = save(tame, {"name": "Urgent billing", "status": ["open", "new"],
                        "assignee": "me", "tag": "billing",
                        "priority": ["urgent"], "q": "invoice"})
    assert st == 201
    assert f["name"] == "Urgent billing"
    assert f["status"] == ["open", "new"]
    assert (f["assignee"], f["tag"], f["priority"], f["q"]) == (
        "me", "billing", ["urgent"], "invoice")
    assert isinstance(f["id"], int) and f["created_at"] and f["updated_at"]
    # the parameters left out are empty, not missing
    _, g = save(tame, {"name": "Everything"})
    assert (g["status"], g["assignee"], g["tag"], g["priority"], g["q"]) \
        == ([], "", "", [], "")
    # changed in place: same id, same place in the list
    st, f2 = save(tame, {"id": f["id"], "name": "Urgent invoices",
                         "status": ["open"], "priority": ["urgent", "high"]})
    assert st == 200 and f2["id"] == f["id"]
    assert f2["name"] == "Urgent invoices" and f2["tag"] == ""
    listed = tame.get("/api/v1/filters")["filters"]
    assert [x["id"] for x in listed] == [f["id"], g["id"]]
    assert listed[0]["priority"] == ["urgent", "high"]
    # CSV like every list
    st, hdr, body = tame.api("GET", "/api/v1/filters?format=csv")
    assert st == 200 and hdr["Content-Type"].startswith("text/csv")
    assert b"Urgent invoices" in body
    st, _, _ = tame.api("DELETE", "/api/v1/filters/%d" % f["id"])
    assert st == 204
    assert [x["id"] for x in tame.get("/api/v1/filters")["filters"]] == \
        [g["id"]]
    st, _, ans = tame.api("DELETE", "/api/v1/filters/%d" % f["id"])
    assert_error(st, ans, 404)


def test_filters_are_per_agent(tame):
    grace = agent_api(tame, "grace@example.com")
    _, mine = save(tame, {"name": "Admin's view"})
    _, hers = save(grace, {"name": "Grace's view", "assignee": "none"})
    assert [x["name"] for x in tame.get("/api/v1/filters")["filters"]] == \
        ["Admin's view"]
    st, _, ans = grace.call("GET", "/api/v1/filters")
    assert st == 200 and [x["id"] for x in ans["filters"]] == [hers["id"]]
    # someone else's filter is not found, neither to change nor to delete
    st, _, ans = grace.call("POST", "/api/v1/filters",
                            {"id": mine["id"], "name": "Taken over"})
    assert_error(st, ans, 404)
    st, _, ans = grace.call("DELETE", "/api/v1/filters/%d" % mine["id"])
    assert_error(st, ans, 404)
    assert tame.get("/api/v1/filters")["filters"][0]["name"] == \
        "Admin's view"
    st, _, ans = tame.api("GET", "/api/v1/filters", token=None)
    assert_error(st, ans, 401)


def test_bad_filters_refused(tame):
    for body, field in [
            ({}, "name"),
            ({"name": "   "}, "name"),
            ({"name": "x", "status": ["open", "bogus"]}, "status"),
            ({"name": "x", "status": ["open", "open"]}, "status"),
            ({"name": "x", "priority": ["critical"]}, "priority"),
            ({"name": "x", "priority": "urgent"}, "priority"),
            ({"name": "x", "assignee": "somebody"}, "assignee"),
            ({"name": "x", "q": "a" * 600}, "q"),
            ({"name": "x" * 101}, "name"),
            ({"name": "x", "colour": "red"}, "colour"),
            ({"name": "x", "mailbox": "support"}, "mailbox"),
            ({"name": "x", "sort": "sideways"}, "sort"),
            ({"name": "x", "id": 0}, "id")]:
        st, _, ans = tame.api("POST", "/api/v1/filters", body)
        err = assert_error(st, ans, 400)
        assert field in err["message"], (body, err)
    st, _, ans = tame.api("POST", "/api/v1/filters", raw=b"{not json")
    assert_error(st, ans, 400)
    assert tame.get("/api/v1/filters") == {"filters": []}


def test_saved_filter_lists_its_tickets(tame):
    a = new_ticket(tame, "Invoice wrong", tags=["billing"],
                   priority="urgent")
    new_ticket(tame, "Invoice late", tags=["billing"])
    new_ticket(tame, "Login broken", priority="urgent")
    _, f = save(tame, {"name": "Urgent billing", "tag": "billing",
                       "priority": ["urgent"]})
    # as the web app asks: every parameter that is not empty
    params = {"status": ",".join(f["status"]) or "any", "tag": f["tag"],
              "priority": ",".join(f["priority"]),
              "assignee": f["assignee"], "q": f["q"]}
    st, _, ans = tame.api("GET", "/api/v1/tickets?" + urlencode(
        {k: v for k, v in params.items() if v}))
    assert st == 200, ans
    assert [t["id"] for t in ans["tickets"]] == [a]


def test_filter_keeps_a_mailbox_and_a_sort(tame):
    """A filter saved from a mailbox's view keeps the mailbox and the
    order, so it lists what the view listed (before, every mailbox,
    oldest first)."""
    mb2 = tame.cli("mailbox", "add", "--address", "billing@example.com",
                   "--name", "Billing").out.strip()
    tame.send_mail(make_message(to="billing@example.com",
                                subject="Billing one"),
                   rcpts=["billing@example.com"])
    tame.wait_ticket("Billing one")
    new_ticket(tame, "Support one")
    _, f = save(tame, {"name": "Billing newest", "mailbox": mb2,
                       "sort": "newest"})
    assert (f["mailbox"], f["sort"]) == (mb2, "newest")
    _, g = save(tame, {"name": "Plain"})
    assert (g["mailbox"], g["sort"]) == ("", "")
    st, _, ans = tame.api("GET", "/api/v1/tickets?" + urlencode(
        {"status": "any", "mailbox": f["mailbox"], "sort": f["sort"]}))
    assert [t["subject"] for t in ans["tickets"]] == ["Billing one"]


def test_filters_outlive_a_restart(tame):
    _, f = save(tame, {"name": "Kept", "status": ["pending"]})
    tame.restart()
    assert tame.get("/api/v1/filters")["filters"] == [f]
