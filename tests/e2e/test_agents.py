"""A team's people: a password reset that lets a locked-out agent in
again, and a disabled agent's presence."""

from conftest import ADMIN_EMAIL, Api, make_message


def agent_api(tame, email, password="agent-password-1"):
    """A second agent (named "Agent LOCAL" by add_agent): (id, Api)."""
    aid, tok = tame.add_agent(email, password=password)
    return aid, Api(tame.http_port, tok)


def login_status(tame, email, password):
    return tame.api("POST", "/api/v1/session",
                    {"email": email, "password": password}, token=None)[0]


# ---------------------------------------------------------------- resets

def lock_out(tame, email):
    codes = [login_status(tame, email, "not the password")
             for _ in range(6)]
    assert codes == [401] * 5 + [429], codes


def test_a_reset_password_lets_a_locked_out_agent_in(tame):
    """Eve tried five wrong passwords, the admin gave her a new one, and
    it answered 429 for up to a minute: a new password (by an admin, or
    by `tame user password`, another process) starts the account's
    count again, and the wrong guesses at the old one no longer hold
    back the address they came from."""
    eid, _ = agent_api(tame, "eve@example.com")
    lock_out(tame, "eve@example.com")
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % eid,
                          {"password": "eve-brand-new"})
    assert st == 200, ans
    assert login_status(tame, "eve@example.com", "eve-brand-new") == 201
    # by the CLI, which tamed learns from the store
    lock_out(tame, "eve@example.com")
    tame.cli("user", "password", "--email", "eve@example.com",
             "--password-stdin", stdin=b"eve-newer-still\n")
    assert login_status(tame, "eve@example.com", "eve-newer-still") == 201
    # without a reset the lock holds, for the account and the address
    lock_out(tame, "eve@example.com")
    assert login_status(tame, "eve@example.com", "eve-newer-still") == 429
    assert login_status(tame, ADMIN_EMAIL, "wrong again") == 429


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
