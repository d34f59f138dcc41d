"""The agents' desk beyond the mail spine (issue 3): saved replies, spell
check, bulk actions and merges, followers and notifications, collision
detection, profiles, sessions and tags - through the HTTP API, with mail
in by SMTP and out to the SMTP sink."""

import csv
import io
import json
import time
import uuid

import pytest

from conftest import (ADMIN_EMAIL, ADMIN_PASSWORD, MAILBOX, Api,
                      assert_error, make_message, settle, strip_angle,
                      wait_for)


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
