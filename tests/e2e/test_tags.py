"""Tags across the desk and the list filters of the inbox (issue 3): the
tags admin (list, rename, merge, delete) with its history and its
rights, the server-side ?priority= filter of the ticket list, and the
avatar URLs of the agents' list - through the HTTP API of a running
tamed, with tickets opened by mail over SMTP."""

import sqlite3
from urllib.parse import quote

import pytest

from conftest import Api, assert_error, make_message

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00"
       b"\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc"
       b"\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00"
       b"IEND\xaeB`\x82")


# ---------------------------------------------------------------- helpers

def new_ticket(tame, subject, **patch):
    """A ticket opened by mail, then changed by PATCH (tags, priority,
    status); answers its id."""
    tame.send_mail(make_message(subject=subject,
                                text="About %s.\n" % subject))
    tid = tame.wait_ticket(subject)["id"]
    if patch:
        st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % tid, patch)
        assert st == 200, ans
    return tid


def tag_path(name):
    return "/api/v1/tags/" + quote(name, safe="")


def tags_of(tame):
    return {t["tag"]: (t["count"], t["open"])
            for t in tame.get("/api/v1/tags")["tags"]}


def events_of(tame, tid, kind):
    return [e for e in tame.ticket(tid)["events"] if e["kind"] == kind]


def desk_events(tame, kind):
    """The events without a ticket (the admin's summing-up ones), read
    from the store file the way an auditor with the file would."""
    db = sqlite3.connect("file:%s?mode=ro" % (tame.data / "tame.db"),
                         uri=True)
    try:
        return db.execute("SELECT actor_agent_id, data FROM events WHERE "
                          "ticket_id IS NULL AND kind = ? ORDER BY id",
                          (kind,)).fetchall()
    finally:
        db.close()


def agent_api(tame, email, role="agent"):
    aid, tok = tame.add_agent(email, role=role)
    return aid, Api(tame.http_port, tok)


def ids(tame, query):
    st, _, ans = tame.api("GET", "/api/v1/tickets?" + query)
    assert st == 200, ans
    return [t["id"] for t in ans["tickets"]]


# ---------------------------------------------------------------- tags

def test_rename_tag_on_every_ticket(tame):
    a = new_ticket(tame, "Invoice A", tags=["billing", "vip"])
    b = new_ticket(tame, "Invoice B", tags=["billing"])
    c = new_ticket(tame, "Other C", tags=["bug"])
    before = tame.ticket(a)["updated_at"]
    st, _, ans = tame.api("PATCH", tag_path("billing"), {"name": "invoices"})
    assert st == 200, ans
    assert ans == {"from": "billing", "tag": "invoices", "tickets": 2,
                   "merged": False}
    assert tame.ticket(a)["tags"] == ["invoices", "vip"]
    assert tame.ticket(b)["tags"] == ["invoices"]
    assert tame.ticket(c)["tags"] == ["bug"]
    assert tags_of(tame) == {"invoices": (2, 2), "vip": (1, 1),
                             "bug": (1, 1)}
    # the list filter follows the new name, the old one finds nothing
    assert sorted(ids(tame, "status=any&tag=invoices")) == [a, b]
    assert ids(tame, "status=any&tag=billing") == []
    # each changed ticket's history says who did what
    ev = events_of(tame, a, "tag.renamed")
    assert len(ev) == 1 and ev[0]["actor_id"] == tame.admin_id
    assert ev[0]["data"] == {"from": "billing", "to": "invoices",
                             "merged": False}
    assert events_of(tame, c, "tag.renamed") == []
    assert tame.ticket(a)["updated_at"] >= before
    (actor, data), = desk_events(tame, "tag.renamed")
    assert actor == tame.admin_id
    assert '"tickets":2' in data and '"from":"billing"' in data


def test_tags_that_look_the_same_are_one(tame):
    """White space around a tag and the Unicode form of its letters do
    not make another tag: " café", "cafe" + combining acute and "café "
    are all "café", however they come (PATCH, bulk, rename, filter)."""
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    a = new_ticket(tame, "Coffee A", tags=[" " + nfc, nfd, "x ", "x"])
    assert tame.ticket(a)["tags"] == sorted([nfc, "x"])
    b = new_ticket(tame, "Coffee B")
    st, _, ans = tame.api("POST", "/api/v1/tickets/bulk", {
        "ticket_ids": [b], "action": "tag", "tag": nfd + " "})
    assert st == 200 and ans["succeeded"] == 1, ans
    assert tame.ticket(b)["tags"] == [nfc]
    assert tags_of(tame)[nfc] == (2, 2)
    assert sorted(ids(tame, "tag=" + quote(nfd))) == sorted([a, b])
    st, _, ans = tame.api("PATCH", tag_path(nfc), {"name": " Kaffee "})
    assert st == 200, ans
    assert tame.ticket(a)["tags"] == ["Kaffee", "x"]
    st, _, ans = tame.api("PATCH", "/api/v1/tickets/%d" % a,
                          {"tags": ["  "]})
    assert_error(st, ans, 400)


def test_rename_into_existing_tag_merges(tame):
    both = new_ticket(tame, "Both", tags=["bug", "defect"])
    only_old = new_ticket(tame, "Old only", tags=["defect"])
    only_new = new_ticket(tame, "New only", tags=["bug"])
    st, _, ans = tame.api("PATCH", tag_path("defect"), {"name": "bug"})
    assert st == 200, ans
    assert ans["merged"] is True and ans["tickets"] == 2
    assert tame.ticket(both)["tags"] == ["bug"]
    assert tame.ticket(only_old)["tags"] == ["bug"]
    assert tame.ticket(only_new)["tags"] == ["bug"]
    assert tags_of(tame) == {"bug": (3, 3)}
    assert events_of(tame, both, "tag.renamed")[0]["data"]["merged"] is True
    assert events_of(tame, only_old, "tag.renamed")[0]["data"][
        "merged"] is False
    assert events_of(tame, only_new, "tag.renamed") == []


def test_delete_tag_from_every_ticket(tame):
    a = new_ticket(tame, "Spam A", tags=["spam", "vip"])
    b = new_ticket(tame, "Spam B", tags=["spam"], status="solved")
    st, _, ans = tame.api("DELETE", tag_path("spam"))
    assert st == 200, ans
    assert ans == {"tag": "spam", "tickets": 2}
    assert tame.ticket(a)["tags"] == ["vip"]
    assert tame.ticket(b)["tags"] == []
    assert tags_of(tame) == {"vip": (1, 1)}
    ev = events_of(tame, b, "tag.deleted")
    assert len(ev) == 1 and ev[0]["data"] == {"tag": "spam"}
    assert len(desk_events(tame, "tag.deleted")) == 1
    # gone: a second delete or a rename finds nothing
    st, _, ans = tame.api("DELETE", tag_path("spam"))
    assert_error(st, ans, 404)
    st, _, ans = tame.api("PATCH", tag_path("spam"), {"name": "x"})
    assert_error(st, ans, 404)
    assert len(desk_events(tame, "tag.deleted")) == 1


@pytest.mark.parametrize("name", ["needs reply", "café", "a/b", "50%"])
def test_tag_names_travel_percent_encoded(tame, name):
    t = new_ticket(tame, "Odd " + name, tags=[name])
    st, _, ans = tame.api("PATCH", tag_path(name), {"name": name + "!"})
    assert st == 200, ans
    assert tame.ticket(t)["tags"] == [name + "!"]
    st, _, ans = tame.api("DELETE", tag_path(name + "!"))
    assert st == 200 and ans["tickets"] == 1, ans
    assert tame.ticket(t)["tags"] == []


def test_tag_changes_refused(tame):
    t = new_ticket(tame, "Refusals", tags=["billing", "vip"])
    cases = [
        ("PATCH", tag_path("billing"), {"name": ""}, 400),
        ("PATCH", tag_path("billing"), {"name": "   "}, 400),
        ("PATCH", tag_path("billing"), {"name": "billing"}, 400),
        ("PATCH", tag_path("billing"), {"name": "a\nb"}, 400),
        ("PATCH", tag_path("billing"), {"name": "x" * 400}, 400),
        ("PATCH", tag_path("billing"), {"name": 7}, 400),
        # no path can name these: a browser takes them for path steps
        ("PATCH", tag_path("billing"), {"name": ".."}, 400),
        ("PATCH", tag_path("billing"), {"name": " . "}, 400),
        ("PATCH", "/api/v1/tickets/%d" % t, {"tags": ["vip", ".."]}, 400),
        ("PATCH", tag_path("billing"), {}, 400),
        ("PATCH", tag_path("nosuch"), {"name": "x"}, 404),
        ("PATCH", tag_path("x" * 400), {"name": "y"}, 400),
        ("PATCH", "/api/v1/tags/a%01b", {"name": "y"}, 400),
        ("DELETE", tag_path("nosuch"), None, 404),
        ("POST", tag_path("billing"), {"name": "x"}, 405),
    ]
    for method, path, body, status in cases:
        st, _, ans = tame.api(method, path, body)
        assert_error(st, ans, status)
    assert tame.ticket(t)["tags"] == ["billing", "vip"]


def test_only_admins_change_tags(tame):
    t = new_ticket(tame, "Rights", tags=["billing"])
    _, bob = agent_api(tame, "bob@example.com")
    # any agent sees the list
    st, _, ans = bob.call("GET", "/api/v1/tags")
    assert st == 200 and ans["tags"][0]["tag"] == "billing"
    for method, body in (("PATCH", {"name": "x"}), ("DELETE", None)):
        st, _, ans = bob.call(method, tag_path("billing"), body)
        assert_error(st, ans, 403)
        st, _, ans = tame.api(method, tag_path("billing"), body, token=None)
        assert_error(st, ans, 401)
    assert tame.ticket(t)["tags"] == ["billing"]
    # another admin may
    _, eve = agent_api(tame, "eve@example.com", role="admin")
    st, _, ans = eve.call("PATCH", tag_path("billing"), {"name": "money"})
    assert st == 200, ans
    assert events_of(tame, t, "tag.renamed")[0]["actor_id"] != tame.admin_id


# ---------------------------------------------------------------- priority

def test_priority_filter_on_the_server(tame):
    low = new_ticket(tame, "P low", priority="low")
    norm = new_ticket(tame, "P normal")
    high = new_ticket(tame, "P high", priority="high")
    urg = new_ticket(tame, "P urgent", priority="urgent")
    urg_solved = new_ticket(tame, "P urgent solved", priority="urgent",
                            status="solved", tags=["vip"])
    assert ids(tame, "priority=urgent,high") == [urg, high]
    assert ids(tame, "priority=high,urgent&status=any") == [
        urg_solved, urg, high]
    assert ids(tame, "priority=low") == [low]
    assert ids(tame, "priority=normal,normal") == [norm]
    assert len(ids(tame, "priority=any")) == 4
    # with the other filters, the sorts and search
    assert ids(tame, "priority=urgent&status=any&tag=vip") == [urg_solved]
    assert ids(tame, "priority=urgent,high,low&sort=priority") == [
        urg, high, low]
    assert ids(tame, "priority=high,low&sort=oldest") == [low, high]
    assert ids(tame, "priority=urgent&status=any&q=solved") == [urg_solved]
    assert ids(tame, "priority=low&q=urgent") == []
    assert ids(tame, "priority=urgent&assignee=none") == [urg]
    # pages of a filtered list follow each other
    st, _, page = tame.api("GET", "/api/v1/tickets?status=any&"
                           "priority=urgent,high&limit=2")
    assert [t["id"] for t in page["tickets"]] == [urg_solved, urg]
    st, _, page2 = tame.api("GET", "/api/v1/tickets?status=any&"
                            "priority=urgent,high&limit=2&cursor=" +
                            quote(page["next_cursor"]))
    assert [t["id"] for t in page2["tickets"]] == [high]
    # CSV follows the same filter
    st, _, body = tame.api("GET", "/api/v1/tickets?priority=urgent&"
                           "format=csv")
    assert st == 200 and body.count(b"\n") == 2


@pytest.mark.parametrize("value", ["", "URGENT", "bogus", "urgent,",
                                   ",high", "urgent,,high", "high;low",
                                   "urgent," * 20, "high%20"])
def test_priority_filter_bad_values(tame, value):
    st, _, ans = tame.api("GET", "/api/v1/tickets?priority=" + value)
    err = assert_error(st, ans, 400)
    assert err["code"] == "invalid_parameter"
    assert "priority" in err["message"]


# ---------------------------------------------------------------- avatars

def test_agents_list_carries_cacheable_avatar_urls(tame):
    bob_id, bob = agent_api(tame, "bob@example.com")
    agents = {a["id"]: a for a in tame.get("/api/v1/agents")["agents"]}
    assert agents[tame.admin_id]["avatar_url"] is None
    assert agents[bob_id]["avatar_url"] is None
    st, _, ans = bob.call("PUT", "/api/v1/agents/me/avatar", raw=PNG,
                          content_type="image/png")
    assert st == 204, ans
    agents = {a["id"]: a for a in bob.call("GET", "/api/v1/agents")[2][
        "agents"]}
    url = agents[bob_id]["avatar_url"]
    assert url.startswith("/api/v1/agents/%d/avatar?v=" % bob_id)
    assert agents[tame.admin_id]["avatar_url"] is None
    assert url == bob.call("GET", "/api/v1/agents/me")[2]["avatar_url"]
    # the versioned URL is kept for good; the plain one revalidates
    st, h, got = tame.api("GET", url)
    assert st == 200 and got == PNG
    assert "immutable" in h["Cache-Control"] and "max-age" in h[
        "Cache-Control"]
    st, h2, _ = tame.api("GET", "/api/v1/agents/%d/avatar" % bob_id)
    assert st == 200 and "no-cache" in h2["Cache-Control"]
    st, _, _ = tame.api("GET", url, headers={"If-None-Match": h["ETag"]})
    assert st == 304
    # a stale version is not kept
    st, h3, _ = tame.api("GET", "/api/v1/agents/%d/avatar?v=1" % bob_id)
    assert st == 200 and "no-cache" in h3["Cache-Control"]
    # a new picture is a new URL
    st, _, _ = bob.call("DELETE", "/api/v1/agents/me/avatar")
    assert st == 204
    agents = {a["id"]: a for a in tame.get("/api/v1/agents")["agents"]}
    assert agents[bob_id]["avatar_url"] is None
    # the CSV of agents keeps its columns
    st, _, body = tame.api("GET", "/api/v1/agents?format=csv")
    assert st == 200 and b"avatar" not in body.split(b"\n")[0]
