#!/usr/bin/env python3
"""Writes an mbox of N synthetic support mails of about SIZE bytes each.

usage: gen_mbox.py N SIZE OUT [SEED]
Subjects and bodies draw from a small vocabulary of support problems so
that full-text search has realistic hits; every message has a unique
Message-ID and one of 5,000 customers.
"""
import email.utils
import random
import sys
import time

TOPICS = ["password reset", "invoice missing", "card declined", "refund request",
          "login fails", "export broken", "app crashes", "shipping delay",
          "account locked", "billing address", "two factor", "api limit"]
WORDS = ("please help thanks order account payment error screen button page "
         "update install version browser phone email customer support week "
         "yesterday today again still broken works fine problem issue").split()


def main():
    n, size, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    # a recent backlog, one a second up to now: import dates mail by
    # its Date
    start = int(time.time()) - n
    with open(out, "w") as f:
        for i in range(n):
            topic = rnd.choice(TOPICS)
            cust = rnd.randrange(5000)
            head = (f"From cust{cust}@example.org Mon Nov 23 10:00:00 2026\n"
                    f"From: Customer {cust} <cust{cust}@example.org>\n"
                    f"To: support@localhost\n"
                    f"Subject: {topic} #{i}\n"
                    f"Message-ID: <bench-{i}-{rnd.getrandbits(32)}@example.org>\n"
                    f"Date: {email.utils.formatdate(start + i)}\n"
                    f"Content-Type: text/plain; charset=utf-8\n\n")
            body = [f"Hello, my {topic} problem again."]
            length = len(head) + len(body[0])
            while length < size:
                line = " ".join(rnd.choice(WORDS) for _ in range(12))
                body.append(line)
                length += len(line) + 1
            f.write(head + "\n".join(body) + "\n\n")


if __name__ == "__main__":
    main()
