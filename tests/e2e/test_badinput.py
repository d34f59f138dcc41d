"""Broken mail from the outside world: each is taken (250), kept, and
shown as a ticket; the daemon stays healthy."""

import base64
import socket
import subprocess
import uuid

import pytest

from conftest import (MAILBOX, fill, make_message, tame_on_small_fs,
                      wait_for)


def crlf(*lines):
    """Joins header/body lines (str or bytes) with CRLF."""
    out = []
    for ln in lines:
        out.append(ln.encode("utf-8") if isinstance(ln, str) else ln)
    return b"\r\n".join(out) + b"\r\n"


def hdr(subject, extra=(), mid=True, ctype=None):
    h = ["From: Carol <carol@example.org>", "To: " + MAILBOX]
    if subject is not None:
        h.append(subject if isinstance(subject, bytes)
                 else "Subject: " + subject)
    if mid:
        h.append("Message-ID: <%s@example.org>" % uuid.uuid4().hex)
    h.append("Date: Mon, 1 Jan 2024 10:00:00 +0000")
    if ctype:
        h.append("MIME-Version: 1.0")
        h.append("Content-Type: " + ctype)
    return list(h) + list(extra)


def nested(depth):
    lines = hdr("Deep nesting", ctype='multipart/mixed; boundary="b0"')
    lines.append("")
    for i in range(1, depth):
        lines += ["--b%d" % (i - 1),
                  'Content-Type: multipart/mixed; boundary="b%d"' % i, ""]
    lines += ["--b%d" % (depth - 1), "Content-Type: text/plain", "",
              "deep inside"]
    for i in reversed(range(depth)):
        lines.append("--b%d--" % i)
    return crlf(*lines)


def many_attachments(n):
    lines = hdr("Many attachments", ctype='multipart/mixed; boundary="zz"')
    lines += ["", "--zz", "Content-Type: text/plain", "", "see files"]
    for i in range(n):
        lines += ["--zz", "Content-Type: application/octet-stream",
                  'Content-Disposition: attachment; filename="f%d.bin"' % i,
                  "Content-Transfer-Encoding: base64", "",
                  base64.b64encode(b"file %d" % i).decode()]
    lines.append("--zz--")
    return crlf(*lines)


# (name, raw message, expected subject or None, text fragment or None).
# The fragment is what the agent must be able to read: it is in the
# message's text, or else the ticket is flagged unparsed (the agent is
# then shown the raw message).
CASES = [
    ("nul_in_body",
     crlf(*hdr("NUL in body"), "", b"before\x00after", "more text"),
     "NUL in body", "more text"),
    ("nul_in_header",
     crlf(*hdr(b"Subject: NUL\x00 in header"), "", "body of nul header"),
     None, "body of nul header"),
    ("utf8_raw_header",
     crlf(*hdr(b"Subject: Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln"), "",
          "Hallo"),
     "Grüße aus Köln", "Hallo"),
    ("latin1_raw_header",
     crlf(*hdr(b"Subject: Caf\xe9 cr\xe8me"), "", "latin1 body"),
     None, "latin1 body"),
    ("header_line_100k",
     crlf(*hdr("Long header line", ["X-Long: " + "a" * 100000]), "",
          "after the long header"),
     "Long header line", "after the long header"),
    ("subject_100k",
     crlf(*hdr("S" * 100000), "", "long subject body"),
     None, "long subject body"),
    ("missing_message_id",
     crlf(*hdr("No Message-ID", mid=False), "", "no id here"),
     "No Message-ID", "no id here"),
    ("unknown_charset",
     crlf(*hdr("Unknown charset",
               ctype='text/plain; charset="x-no-such-charset-42"'),
          "", "Hello in an unknown charset"),
     "Unknown charset", "Hello in an unknown charset"),
    ("broken_boundary",
     crlf(*hdr("Broken boundary", ctype='multipart/mixed; boundary="AAA"'),
          "", "--BBB", "Content-Type: text/plain", "",
          "text under a wrong boundary", "--BBB"),
     "Broken boundary", "text under a wrong boundary"),
    ("unterminated_multipart",
     crlf(*hdr("Unterminated multipart",
               ctype='multipart/alternative; boundary="X"'),
          "", "--X", "Content-Type: text/plain", "",
          "first part never closed"),
     "Unterminated multipart", "first part never closed"),
    ("truncated_base64",
     crlf(*hdr("Truncated base64", ["Content-Transfer-Encoding: base64"],
               ctype="text/plain; charset=utf-8"),
          "", base64.b64encode(b"Hello, this text is cut off somewhere "
                               b"in the middle").decode()[:-7]),
     "Truncated base64", "Hello, this text is cut"),
    ("truncated_base64_attachment",
     crlf(*hdr("Truncated attachment", ctype='multipart/mixed; boundary="q"'),
          "", "--q", "Content-Type: text/plain", "", "see attachment",
          "--q", "Content-Type: application/pdf",
          'Content-Disposition: attachment; filename="cut.pdf"',
          "Content-Transfer-Encoding: base64", "",
          base64.b64encode(b"%PDF-1.4 " * 300).decode()[:333]),
     "Truncated attachment", "see attachment"),
    ("bad_encoded_word",
     crlf(*hdr("=?utf-8?B?not*base64*at*all?= =?x-bogus?Q?=FF=FE?="),
          "", "encoded word body"),
     None, "encoded word body"),
    ("bad_quoted_printable",
     crlf(*hdr("Bad QP", ["Content-Transfer-Encoding: quoted-printable"],
               ctype="text/plain; charset=utf-8"),
          "", "broken =ZZ escape and soft break =", "end of qp"),
     "Bad QP", "end of qp"),
    ("no_headers_at_all",
     crlf("just some words without any header", "and a second line"),
     None, "and a second line"),
    ("header_without_colon",
     crlf("From: carol@example.org", "this is not a header",
          "Subject: Colonless", "", "colonless body"),
     None, "colonless body"),
    ("only_headers_no_body",
     crlf(*hdr("Headers only")),
     "Headers only", None),
    ("deep_nesting",
     nested(300),
     "Deep nesting", "deep inside"),
    ("many_attachments",
     many_attachments(150),
     "Many attachments", "see files"),
    ("binary_junk",
     bytes(range(256)) * 40,
     None, "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
]


@pytest.mark.parametrize("raw,subject,fragment",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_mail_kept_as_ticket(tame, raw, subject, fragment):
    with tame.smtp(timeout=60) as s:
        s.ehlo()
        code, _ = s.mail("carol@example.org", ["BODY=8BITMIME"])
        assert code == 250
        assert s.rcpt(MAILBOX)[0] == 250
        code, resp = s.data(raw)
        assert code == 250, resp
    ts = wait_for(lambda: tame.tickets(), what="the ticket")
    assert len(ts) == 1, ts
    t = tame.ticket(ts[0]["id"])
    assert isinstance(t["unparsed"], bool)
    assert t["message_count"] == 1
    assert len(t["messages"]) == 1
    if subject is not None:
        assert t["subject"] == subject
    assert len(t["subject"]) <= 998 * 4
    if fragment is not None:
        text = t["messages"][0]["text"] or ""
        assert fragment in text or t["unparsed"] is True, (
            "%r is neither shown (text %r) nor the ticket flagged unparsed"
            % (fragment, text[:200]))
    # the daemon is still well
    assert tame.api("GET", "/api/v1/health", token=None)[0] == 200
    tame.send_mail(subject="Healthy after %s" % (subject or "junk"))
    tame.wait_ticket("Healthy after %s" % (subject or "junk"))


def test_two_mails_without_message_id_are_both_kept(tame):
    for i in range(2):
        raw = crlf(*hdr("No id %d" % i, mid=False), "", "body %d" % i)
        assert tame.send_raw(raw) == {}
    wait_for(lambda: len(tame.tickets()) == 2, what="both tickets")
    # the very same bytes twice without an id: an MTA retry; kept at
    # least once
    raw = crlf(*hdr("No id again", mid=False), "", "same")
    tame.send_raw(raw)
    tame.send_raw(raw)
    wait_for(lambda: tame.tickets_with_subject("No id again"))


def test_rfc2047_names_and_subjects_decoded(tame):
    raw = crlf("From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@example.org>",
               "To: " + MAILBOX,
               "Subject: =?utf-8?B?w5xiZXJ3ZWlzdW5n?= =?utf-8?Q?_f=C3=A4llig?=",
               "Message-ID: <rfc2047@example.org>",
               "MIME-Version: 1.0",
               "Content-Type: text/plain; charset=iso-8859-1",
               "Content-Transfer-Encoding: quoted-printable",
               "", "Gr=FC=DFe")
    tame.send_raw(raw, mail_from="jm@example.org")
    t = tame.wait_ticket("Überweisung fällig")
    assert t["customer"]["name"] == "Jürgen Müller"
    assert "Grüße" in tame.ticket(t["id"])["messages"][0]["text"]


def test_rfc2047_words_cut_with_padding_read_whole(tame):
    """A mailer that cuts an encoded subject, name or file name at
    character boundaries pads each piece; all of it is read, not the
    text up to the first padding."""
    raw = crlf("From: =?UTF-8?B?0JjQstCw0L0=?= =?UTF-8?B?INCf0LXRgtGA0L7Qsg==?="
               " <ivan@example.org>",
               "To: " + MAILBOX,
               "Subject: =?UTF-8?B?0J/RgNC+0LHQu9C10LzQsCDRgSA=?=",
               " =?UTF-8?B?0LfQsNC60LDQt9C+0Lw=?=",
               "Message-ID: <rfc2047-pad@example.org>",
               "MIME-Version: 1.0",
               "Content-Type: multipart/mixed; boundary=b",
               "", "--b",
               "Content-Type: text/plain; charset=utf-8",
               "", "Hello", "--b",
               "Content-Type: application/pdf",
               'Content-Disposition: attachment; filename="=?UTF-8?B?0KHRhw==?='
               ' =?UTF-8?B?0ZHRgi5wZGY=?="',
               "Content-Transfer-Encoding: base64",
               "", "JVBERi0=", "--b--")
    tame.send_raw(raw, mail_from="ivan@example.org")
    t = tame.wait_ticket("Проблема с заказом")
    assert t["customer"]["name"] == "Иван Петров"
    atts = tame.ticket(t["id"])["messages"][0]["attachments"]
    assert [a["filename"] for a in atts] == ["Счёт.pdf"]


@pytest.mark.parametrize("tag,name,want", [
    ("bob", "Bob \u202eevil\u202c Smith", "Bob evil Smith"),
    ("alice", "\u202eAlice", "Alice"),
    ("david", "\u2067\u05d3\u05d5\u05d3 Cohen\u2069 \u202d3rd\u200f",
     "\u05d3\u05d5\u05d3 Cohen 3rd"),
    ("none", "\u202e\u202c", None),
])
def test_bidi_controls_left_out_of_names(tame, tag, name, want):
    """A right-to-left override in a display name turned "\u202eAlice"
    into "ecilA" (and "\u202emoc.knab@ecnanif" into an address):
    explicit bidi controls are left out of names, as of file names.
    A name of nothing else is no name. The letters keep their own
    direction."""
    addr = "rlo-%s@example.org" % tag
    subject = "Override in the name of %s" % tag
    tame.send_mail(sender='"%s" <%s>' % (name, addr), subject=subject)
    t = tame.wait_ticket(subject)
    sender = tame.ticket(t["id"])["messages"][0]["from"]
    assert sender["email"] == addr
    assert (sender.get("name") or None) == want
    assert (t["customer"].get("name") or None) == want


def test_bidi_controls_marked_in_addresses(tame):
    """"From: <RLO>moc.elpmaxe@oec" showed everywhere as
    ceo@example.com: an address keeps its characters (the mail its
    author) and each bidi control becomes U+FFFD, in From, To and Cc,
    and in an envelope sender that stands in for a missing From. Left
    out, "ceo@exam<LRM>ple.com" would become the real ceo@example.com
    and write into the CEO's ticket."""
    raw = "\r\n".join([
        "From: <\u202emoc.elpmaxe@oec>",
        "To: " + MAILBOX + ", <\u2066desk@example.org\u2069>",
        "Cc: \u202dann@example.org\u202c, <\u200fbob@example.org>",
        "Subject: Bidi in the addresses",
        "Message-ID: <bidi-addr@example.net>",
        "Content-Type: text/plain; charset=utf-8",
        "", "Please pay the invoice today.", ""]).encode()
    tame.send_raw(raw, mail_from="x@example.net")
    t = tame.wait_ticket("Bidi in the addresses")
    m = tame.ticket(t["id"])["messages"][0]
    assert m["from"]["email"] == "\ufffdmoc.elpmaxe@oec"
    assert t["customer"]["email"] == "\ufffdmoc.elpmaxe@oec"
    assert m["to"] == [MAILBOX, "\ufffddesk@example.org\ufffd"]
    assert m["cc"] == ["\ufffdann@example.org\ufffd",
                       "\ufffdbob@example.org"]
    with tame.smtp() as s:
        s.command_encoding = "utf-8"
        s.sendmail("\u202emoc.elpmaxe@oce", [MAILBOX],
                   b"Subject: Bidi in the envelope\r\n\r\nNo From.\r\n")
    t = tame.wait_ticket("Bidi in the envelope")
    assert t["customer"]["email"] == "\ufffdmoc.elpmaxe@oce"
    # a mark in the middle: not the CEO, whose ticket it names
    tame.send_mail(make_message(sender="CEO <ceo@example.com>",
                                subject="Bank details"))
    ceo = tame.wait_ticket("Bank details")
    raw = "\r\n".join([
        "From: CEO <ceo@exam\u200eple.com>",
        "To: " + MAILBOX,
        "Subject: Re: Bank details [#%d]" % ceo["id"],
        "Message-ID: <bidi-ceo@example.net>",
        "Content-Type: text/plain; charset=utf-8",
        "", "Please change my bank details.", ""]).encode()
    tame.send_raw(raw, mail_from="x@example.net")
    forged = wait_for(lambda: [t for t in tame.tickets() if t["customer"][
        "email"] == "ceo@exam\ufffdple.com"], what="the forged mail's ticket")
    assert [t["id"] for t in forged] != [ceo["id"]]
    assert tame.ticket(ceo["id"])["message_count"] == 1


def test_smtp_garbage_commands(tame):
    s = socket.create_connection(("127.0.0.1", tame.smtp_port), timeout=10)
    f = s.makefile("rb")
    try:
        assert f.readline().startswith(b"220")
        for line in (b"EHLO " + b"x" * 5000, b"\x00\x01\x02\xff",
                     b"MAIL FROM:<" + b"a" * 1000 + b"@example.org>",
                     b"MAIL FROM:carol@example.org",
                     b"RCPT TO:<support@example.com>",
                     b"EHLO ok.example.org"):
            s.sendall(line + b"\r\n")
            while True:
                ln = f.readline()
                assert ln, "connection closed after %r" % line[:30]
                if ln[3:4] != b"-":
                    break
            assert ln[:1] in (b"2", b"5"), (line[:30], ln)
        s.sendall(b"QUIT\r\n")
        assert f.readline().startswith(b"221")
    finally:
        f.close()
        s.close()
    assert tame.api("GET", "/api/v1/health", token=None)[0] == 200


def test_line_over_limit_clear_answer(tame):
    """A 200 kB line (over the 100 kB a line may have): either taken and
    kept, or refused with 5xx and not kept; the session goes on."""
    raw = crlf(*hdr("Overlong line"), "", "x" * 200000, "tail")
    with tame.smtp(timeout=60) as s:
        s.ehlo()
        assert s.mail("carol@example.org")[0] == 250
        assert s.rcpt(MAILBOX)[0] == 250
        code, resp = s.data(raw)
        assert code == 250 or 500 <= code < 600, (code, resp)
        assert s.noop()[0] == 250
    if code == 250:
        tame.wait_ticket("Overlong line")
    else:
        tame.send_mail(subject="Control")
        tame.wait_ticket("Control")
        assert not tame.tickets_with_subject("Overlong line")


@pytest.mark.parametrize("charset,text", [
    ("windows-1252", "Caf\u00e9 \u201cquoted\u201d \u20ac5"),
    ("koi8-r", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440"),
    ("shift_jis", "\u3053\u3093\u306b\u3061\u306f"),
    ("iso-2022-jp", "\u65e5\u672c\u8a9e\u306e\u30e1\u30fc\u30eb"),
    ("utf-16", "UTF-16 body \u00e4\u00f6\u00fc"),
])
def test_charsets_shown_as_utf8(tame, charset, text):
    body = text.encode(charset)
    raw = crlf(*hdr("Charset " + charset, [
        "Content-Transfer-Encoding: base64"],
        ctype="text/plain; charset=" + charset), "",
        base64.b64encode(body).decode())
    tame.send_raw(raw)
    t = tame.wait_ticket("Charset " + charset)
    got = tame.ticket(t["id"])["messages"][0]["text"]
    assert text in got, (charset, got)


@pytest.mark.parametrize("name,ctype,body,want", [
    ("utf-8 over latin-1", "text/plain; charset=utf-8",
     b"Sch\xf6ne Gr\xfc\xdfe, Ren\xe9e", "Sch\u00f6ne Gr\u00fc\u00dfe, Ren\u00e9e"),
    ("none over latin-1", "text/plain",
     b"Sch\xf6ne Gr\xfc\xdfe", "Sch\u00f6ne Gr\u00fc\u00dfe"),
    ("latin-1 label over cp1252", "text/plain; charset=iso-8859-1",
     b"It costs 5\x80 \x96 that\x92s \x93fine\x94",
     "It costs 5\u20ac \u2013 that\u2019s \u201cfine\u201d"),
    ("html utf-8 over latin-1", "text/html; charset=utf-8",
     b"<p>Sch\xf6ne Gr\xfc\xdfe</p>", "Sch\u00f6ne Gr\u00fc\u00dfe"),
    ("us-ascii over utf-8", "text/plain; charset=us-ascii",
     b"K\xc3\xa4se", "K\u00e4se"),
    # Japanese Windows writes CP932 as Shift_JIS (\u2460, \u9ad9), Korean
    # Windows CP949 as ks_c_5601-1987 (\ub620)
    ("shift_jis label over cp932", "text/plain; charset=Shift_JIS",
     "\u2460\u756a\u306e\u9ad9\u6a4b\u69d8".encode("cp932"),
     "\u2460\u756a\u306e\u9ad9\u6a4b\u69d8"),
    ("ks_c_5601 label over cp949", "text/plain; charset=ks_c_5601-1987",
     "\uc548\ub155 \ub620".encode("cp949"), "\uc548\ub155 \ub620"),
    ("html named by its meta", "text/html",
     '<meta charset="windows-1251"><p>\u0417\u0430\u043a\u0430\u0437</p>'
     .encode("cp1251"), "\u0417\u0430\u043a\u0430\u0437"),
    ("unknown label over utf-8", "text/plain; charset=x-bogus",
     b"K\xc3\xa4se", "K\u00e4se"),
])
def test_lying_charset_loses_no_letter(tame, name, ctype, body, want):
    """A charset label that does not match the bytes: every letter is
    still there (the bytes are read as UTF-8 when they are that, else as
    windows-1252), and Latin-1 is read as windows-1252 as browsers do.
    Before, the letters the label could not read were dropped, and the
    euro sign and curly quotes became control characters."""
    raw = crlf(*hdr("Lying " + name, ["Content-Transfer-Encoding: 8bit"],
                    ctype=ctype), "", body)
    tame.send_raw(raw)
    t = tame.wait_ticket("Lying " + name)
    got = tame.ticket(t["id"])["messages"][0]["text"]
    assert want in got, (name, got)


def test_latin1_encoded_words_read_as_windows_1252(tame):
    """Outlook labels windows-1252 as Latin-1 in encoded words and writes
    it as raw 8-bit bytes too: the subject and the sender's name keep
    their curly quotes and dashes. Before, they were control
    characters (or dropped) in the list and the ticket."""
    raw = crlf("From: =?iso-8859-1?Q?Ren=E9_=93Bob=94?= <rene@example.org>",
               "To: " + MAILBOX,
               "Subject: =?iso-8859-1?Q?It=92s_broken_=96_again?=",
               "Message-ID: <ew1252@example.org>", "", "Body.")
    tame.send_raw(raw)
    t = tame.wait_ticket("It\u2019s broken \u2013 again")
    assert t["customer"]["name"] == "Ren\u00e9 \u201cBob\u201d"
    raw = crlf("From: b@example.org", "To: " + MAILBOX,
               b"Subject: Caf\xe9 \x93open\x94", "", "Body.")
    tame.send_raw(raw)
    tame.wait_ticket("Caf\u00e9 \u201copen\u201d")


def test_iphone_text_photo_text_is_one_text(tame):
    """iPhone and Apple Mail write a photo between two paragraphs as
    text, picture, text. The customer's words after the photo are part
    of the message (shown, in the preview of the list, found by search),
    not an attachment named "attachment"; the photo stays a download."""
    raw = crlf(*hdr("Wrong item delivered", [],
                    ctype='multipart/mixed; boundary="apple"'), "",
               "--apple", "Content-Type: text/plain; charset=us-ascii", "",
               "Here is what arrived:", "",
               "--apple", "Content-Type: image/jpeg",
               "Content-Disposition: inline; filename=IMG_5555.JPG",
               "Content-Transfer-Encoding: base64", "", "/9j/4AAQSkZJRg==",
               "--apple", "Content-Type: text/plain; charset=us-ascii", "",
               "", "I ordered the blue one, order 88123.", "",
               "Sent from my iPhone", "--apple--")
    tame.send_raw(raw)
    t = tame.wait_ticket("Wrong item delivered")
    m = tame.ticket(t["id"])["messages"][0]
    assert m["text"].startswith("Here is what arrived:\n\nI ordered the "
                                "blue one, order 88123."), m["text"]
    assert [a["filename"] for a in m["attachments"]] == ["IMG_5555.JPG"]
    assert [x["id"] for x in tame.tickets(q="88123")] == [t["id"]]


def test_flowed_text_is_unwrapped(tame):
    """Apple Mail and Thunderbird send format=flowed; with DelSp=yes a
    long link is cut at the sender's line end. The agent sees the
    paragraph and the link whole."""
    raw = crlf(*hdr("Reset link", [],
                    ctype="text/plain; charset=utf-8; format=flowed; "
                          "delsp=yes"), "",
               "The link https://x.test/reset?token=abc&user= ",
               "kenji does not open.")
    tame.send_raw(raw)
    t = tame.wait_ticket("Reset link")
    m = tame.ticket(t["id"])["messages"][0]
    assert "https://x.test/reset?token=abc&user=kenji does not open." \
        in m["text"], m["text"]


def test_html_mail_shown_in_part_says_so_and_blank_text_is_skipped(tame):
    """An HTML-only mail too long to show whole (over the parse limit)
    says at the end of what is shown that there is more, in the text and
    the HTML; a blank text/plain beside the HTML does not hide the HTML's
    words from the preview and search. Before: cut without a word, and
    an empty text."""
    para = "<p>" + "Some long words about the order. " * 25 + "</p>\n"
    html = "<html><body>" + para * 1100 + \
        "<p>END-MARKER please refund order 4711</p></body></html>"
    raw = crlf(*hdr("Very long HTML", ["Content-Transfer-Encoding: 8bit"],
                    ctype="text/html; charset=utf-8"), "", *html.split("\n"))
    tame.send_raw(raw)
    t = tame.wait_ticket("Very long HTML")
    m = tame.ticket(t["id"])["messages"][0]
    assert "END-MARKER" not in m["text"]
    assert "goes on beyond what Tame shows" in m["text"]
    assert "goes on beyond what Tame shows" in m["html"]
    b = "=_alt_42"
    raw = crlf(*hdr("Blank alternative", [],
                    ctype='multipart/alternative; boundary="%s"' % b), "",
               "--" + b, "Content-Type: text/plain; charset=utf-8", "", "  ",
               "--" + b, "Content-Type: text/html; charset=utf-8", "",
               "<p>My invoice 4711 is wrong</p>", "--" + b + "--")
    tame.send_raw(raw)
    t = tame.wait_ticket("Blank alternative")
    assert "invoice 4711" in tame.ticket(t["id"])["messages"][0]["text"]
    hits = tame.tickets(q="invoice")
    assert [x["id"] for x in hits] == [t["id"]]


def test_read_only_data_directory_is_said_and_overcome(tmp_path):
    """The data directory made read-only (a read-only bind mount over
    it, as a file system remounted read-only after disk errors looks to
    a new open): health answers 503 naming it, a store connection made
    meanwhile is not left read-only for good, and once it is writable
    again notes are saved without a restart."""
    with tame_on_small_fs(tmp_path, "16m") as tame:
        data = str(tame.data)
        tame.send_mail(make_message(subject="Read only"))
        tid = tame.wait_ticket("Read only")["id"]
        subprocess.run(["mount", "--bind", data, data], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", data],
                           check=True)
            st, _, health = tame.api("GET", "/api/v1/health", token=None)
            assert st == 503, health
            assert any("cannot be written" in p
                       for p in health["problems"]), health
            # every HTTP worker opens its connection now, some of them
            # read-only before
            for _ in range(8):
                tame.api("POST", "/api/v1/tickets/%d/notes" % tid,
                         {"text": "While read-only."})
        finally:
            subprocess.run(["umount", "-l", data])
        assert tame.api("GET", "/api/v1/health", token=None)[0] == 200
        for i in range(8):
            st, _, body = tame.api("POST", "/api/v1/tickets/%d/notes" % tid,
                                   {"text": "Writable again %d." % i})
            assert st == 201, (i, st, body)


def test_full_disk_answers_503_and_saves_once_there_is_room(tmp_path):
    """A note written while the data directory's disk is full is
    refused with 503 storage_unavailable and Retry-After (a client
    tries again; 500 said "bug"), health says how little is free, and
    once there is room the same note is saved."""
    with tame_on_small_fs(tmp_path, "4m") as tame:
        tame.send_mail(make_message(subject="Disk full"))
        tid = tame.wait_ticket("Disk full")["id"]
        filler = tame.dir / "filler"
        fill(filler)
        text = "x" * 60000
        for _ in range(200):
            st, h, body = tame.api(
                "POST", "/api/v1/tickets/%d/notes" % tid, {"text": text})
            if st != 201:
                break
        assert st == 503, (st, body)
        assert body["error"]["code"] == "storage_unavailable", body
        assert h.get("Retry-After") == "60"
        _, _, health = tame.api("GET", "/api/v1/health", token=None)
        assert health["status"] == "degraded", health
        filler.unlink()
        st, _, body = tame.api("POST", "/api/v1/tickets/%d/notes" % tid,
                               {"text": "Room again."})
        assert st == 201, body
