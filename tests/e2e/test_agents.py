"""A team's people: a disabled agent's presence."""

from conftest import Api, make_message


def agent_api(tame, email, password="agent-password-1"):
    """A second agent (named "Agent LOCAL" by add_agent): (id, Api)."""
    aid, tok = tame.add_agent(email, password=password)
    return aid, Api(tame.http_port, tok)


# ---------------------------------------------------------------- presence

def test_a_disabled_agent_is_not_typing(tame):
    """Hana, disabled, went on showing as typing for up to 15 s."""
    tame.send_mail(make_message(subject="Where is my parcel"))
    tid = tame.wait_ticket("Where is my parcel")["id"]
    hid, hana = agent_api(tame, "hana@example.com")
    path = "/api/v1/tickets/%d/presence" % tid
    st, _, ans = hana.call("POST", path, {"state": "typing"})
    assert st == 200, ans
    assert [(p["agent"]["id"], p["state"])
            for p in tame.get(path)["presence"]] == [(hid, "typing")]
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % hid,
                          {"disabled": True})
    assert st == 200, ans
    assert tame.get(path)["presence"] == []
    assert tame.get("/api/v1/presence")["presence"] == []
