"""A team's people: what an agent may be called and which address they
may have (through the API and `tame user add`), a password reset that
lets a locked-out agent in again, and a disabled agent's presence."""

import unicodedata

from conftest import ADMIN_EMAIL, MAILBOX, Api, assert_error, make_message


def agent_api(tame, email, password="agent-password-1"):
    """A second agent (named "Agent LOCAL" by add_agent): (id, Api)."""
    aid, tok = tame.add_agent(email, password=password)
    return aid, Api(tame.http_port, tok)


def agent_of(ans):
    """An agent as an answer holds it: bare, or as {"agent": {...}}."""
    return ans.get("agent", ans) if isinstance(ans, dict) else ans


def name_of(tame, aid):
    return agent_of(tame.get("/api/v1/agents/%d" % aid))["name"]


def create(tame, email, name, password="agent-password-1"):
    return tame.api("POST", "/api/v1/agents",
                    {"email": email, "name": name, "password": password})


def login_status(tame, email, password):
    return tame.api("POST", "/api/v1/session",
                    {"email": email, "password": password}, token=None)[0]


# ---------------------------------------------------------------- names

def test_names_lose_bidi_controls_and_invisible_characters(tame):
    """"<RLO>nimdA" showed as "Admin" in the Agents table; a name of a
    zero-width space showed nothing; "  Pat Padded  " kept its spaces
    and a decomposed é stayed two characters."""
    aid, agent = agent_api(tame, "gao@example.com")
    for sent, kept in (("\u202enimdA", "nimdA"),
                       ("  Pat   Padded\u00a0 ", "Pat Padded"),
                       ("Be\u0301rtrand\u200b", "B\u00e9rtrand"),
                       ("\u2066Gao\u2069 \u9ad8\u4f1f", "Gao \u9ad8\u4f1f"),
                       ("Pari\u200cvash", "Pari\u200cvash")):
        st, _, ans = agent.call("PATCH", "/api/v1/agents/me",
                                {"name": sent})
        assert st == 200, (sent, ans)
        assert agent_of(ans)["name"] == kept, sent
        assert name_of(tame, aid) == kept
        assert unicodedata.is_normalized("NFC", name_of(tame, aid))
    for blank in ("\u200b", "\u202e\u200b\ufeff", "\u3164", " \u200d "):
        st, _, ans = agent.call("PATCH", "/api/v1/agents/me",
                                {"name": blank})
        assert "must not be empty" in assert_error(st, ans, 400)["message"]
        st, _, ans = create(tame, "x%d@example.com" % len(blank), blank)
        assert "must not be empty" in assert_error(st, ans, 400)["message"]
    assert name_of(tame, aid) == "Pari\u200cvash"
    # an admin creating an agent: the same cleaning
    st, _, ans = create(tame, "pat@example.com", "  \u202ePat  Padded ")
    assert st == 201, ans
    assert agent_of(ans)["name"] == "Pat Padded"


def test_a_colleagues_name_is_refused(tame):
    """Gao renamed themself "Ada Admin", and their notes carried it for
    good; now a name another enabled agent has (in any case, and with
    bidi controls or spaces around it) is refused with 409."""
    gid, gao = agent_api(tame, "gao@example.com")
    eid, eve = agent_api(tame, "eve@example.com")
    for taken in ("Ada Admin", "ada admin", "\u202eAda  ADMIN ",
                  "Agent eve", "\uff21da Admin"):
        st, _, ans = gao.call("PATCH", "/api/v1/agents/me",
                              {"name": taken})
        err = assert_error(st, ans, 409)
        assert err["code"] == "conflict"
        assert "initial" in err["message"], err
    assert name_of(tame, gid) == "Agent gao"
    # an admin may not give it either: PATCH /agents/ID, POST /agents
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % gid,
                          {"name": "Agent Eve"})
    assert_error(st, ans, 409)
    st, _, ans = create(tame, "ada2@example.com", "ADA ADMIN")
    assert_error(st, ans, 409)
    assert "ada2@example.com" not in [
        a["email"] for a in tame.get("/api/v1/agents")["agents"]]
    # one's own name, sent again or in other letters, is fine
    st, _, ans = eve.call("PATCH", "/api/v1/agents/me", {"name": "Agent eve"})
    assert st == 200, ans
    st, _, ans = eve.call("PATCH", "/api/v1/agents/me", {"name": "Agent Eve"})
    assert st == 200 and agent_of(ans)["name"] == "Agent Eve", ans
    # with an initial, two Adas are two names
    st, _, ans = gao.call("PATCH", "/api/v1/agents/me",
                          {"name": "Ada B. Admin"})
    assert st == 200, ans
    # a disabled agent's name is free for a new colleague
    st, _, ans = tame.api("PATCH", "/api/v1/agents/%d" % eid,
                          {"disabled": True})
    assert st == 200, ans
    st, _, ans = create(tame, "eve2@example.com", "Agent Eve")
    assert st == 201, ans


def test_cli_user_add_cleans_and_checks_the_name(tame):
    r = tame.cli("user", "add", "--email", "bert@example.com", "--name",
                 "ada ADMIN", "--password-stdin", stdin=b"bert-password\n",
                 check=False)
    assert r.returncode != 0 and "initial" in r.err, r
    r = tame.cli("user", "add", "--email", "bert@example.com", "--name",
                 "\u200b", "--password-stdin", stdin=b"bert-password\n",
                 check=False)
    assert r.returncode != 0 and "empty" in r.err, r
    r = tame.cli("user", "add", "--email", "bert@example.com", "--name",
                 " \u202eBert  Brown ", "--password-stdin",
                 stdin=b"bert-password\n")
    aid = int(r.out.split()[-1])
    assert name_of(tame, aid) == "Bert Brown"


# ---------------------------------------------------------------- addresses

def test_an_agents_address_is_neither_dotted_nor_a_mailbox(tame):
    """eve@example.com. made a second account for eve@example.com; the
    desk's own mailbox could be an agent's address."""
    agent_api(tame, "eve@example.com")
    for addr in ("eve@example.com.", "EVE@Example.Com.", "eve@example..com",
                 "eve@.example.com"):
        st, _, ans = create(tame, addr, "Eve Two")
        err = assert_error(st, ans, 400)
        assert "not an email address" in err["message"], err
    st, _, ans = create(tame, "eve@example.com.", "Eve Two")
    assert "ends in a dot" in ans["error"]["message"]
    for addr in (MAILBOX, MAILBOX.upper()):
        st, _, ans = create(tame, addr, "Support Person")
        err = assert_error(st, ans, 400)
        assert "mailbox" in err["message"], err
    # the address taken is still said first, whatever the name
    st, _, ans = create(tame, ADMIN_EMAIL.upper(), "Ada Admin")
    assert "already exists" in assert_error(st, ans, 409)["message"]
    r = tame.cli("user", "add", "--email", "bert@example.com.", "--name",
                 "Bert", "--password-stdin", stdin=b"bert-password\n",
                 check=False)
    assert r.returncode != 0 and "ends in a dot" in r.err, r
    r = tame.cli("user", "add", "--email", MAILBOX, "--name", "Bert",
                 "--password-stdin", stdin=b"bert-password\n", check=False)
    assert r.returncode != 0 and "mailbox" in r.err, r
    emails = [a["email"] for a in tame.get("/api/v1/agents")["agents"]]
    assert sorted(emails) == sorted([ADMIN_EMAIL, "eve@example.com"])


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
