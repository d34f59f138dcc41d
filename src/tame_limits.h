/*
 * tame_limits.h - every size and count limit of tamed in one place
 * (after SQLite's sqliteLimit.h). Each limit says why it has its value.
 * Nothing from outside is trusted: every input is bounded by one of these.
 */
#ifndef TAME_LIMITS_H
#define TAME_LIMITS_H

/* SMTP (RFC 5321 4.5.3.1). */
/* A command line: RFC 5321 allows 512 octets; extensions (SIZE, BODY)
 * make longer lines legitimate, so allow 2 kB and answer 500 above. */
#define TAME_SMTP_CMD_LINE_MAX      2048
/* A text line in DATA: RFC 5321 says 1000 octets, but real mail breaks
 * it; we accept up to 100 kB per line so that no mail is refused for a
 * long header, which the MIME parser copes with. A line ends at any LF
 * here, so mail written with bare LF is not one long line. */
#define TAME_SMTP_DATA_LINE_MAX     (100 * 1024 + 2)
/* A whole message: 25 MB covers attachments teams actually send; more
 * gets 552 at MAIL (SIZE=) or as soon as DATA passes it. */
#define TAME_SMTP_MESSAGE_MAX       (25 * 1024 * 1024)
/* Recipients per transaction: RFC 5321 requires at least 100. */
#define TAME_SMTP_RCPT_MAX          100
/* Seconds a client may stay silent (RFC 5321 4.5.3.2 suggests 5 min). */
#define TAME_SMTP_IDLE_SECONDS      300
/* Seconds from the 354 to the end of the message: a client that drips
 * a byte now and then, each within the idle time, must not hold its
 * slot for ever. 30 minutes carries a 25 MB message at 14 kB/s, slower
 * than any MTA that sends mail that big. TAME_SMTP_DATA_SECONDS in
 * tamed's environment changes it (1 s to a day). */
#define TAME_SMTP_DATA_SECONDS      (30 * 60)
/* Seconds a connection being closed may take to read our last replies;
 * one that does not read them is closed without them. */
#define TAME_SMTP_CLOSE_SECONDS     30
/* Seconds a stopping tamed waits for the messages already taken to be
 * stored, so that their senders hear 250 (or 451) rather than a 421
 * for a message stored all the same, which their retry would store a
 * second time. A commit takes milliseconds; a disk that hangs longer
 * must not hold the stop for ever. */
#define TAME_SMTP_STOP_SECONDS      30
/* Milliseconds the SMTP/LMTP listener takes no connection after
 * accept() failed (out of descriptors or memory): a shortage that
 * lasts then costs no CPU and no log, and a sender waits at most this
 * long for its answer (421 when no descriptor is free, say). A
 * connection that closes ends the pause sooner. */
#define TAME_SMTP_ACCEPT_PAUSE_MS   200
/* Concurrent SMTP/LMTP connections; the rest get 421. Under a limit
 * of open files below the 2,048 tamed wants, a quarter of that limit
 * (tamed.c), so that senders cannot take the descriptors the store and
 * the web app need. */
#define TAME_SMTP_CONN_MAX          512
/* ... of them from one client address: one that opens hundreds and
 * drips a byte into each must not hold every other sender out. An MTA
 * in front (postfix's default is 20 at once) stays far below it. With
 * fewer connections (a low ulimit -n), the same quarter of them. */
#define TAME_SMTP_CONN_PER_PEER     (TAME_SMTP_CONN_MAX / 4)
/* Messages committed in one group transaction at most; bounds latency. */
#define TAME_GROUP_COMMIT_MAX       256

/* HTTP. */
/* Live event streams one agent may hold open (tabs, devices), so that
 * one account cannot take all 256 (http_events.c). */
#define TAME_EVENTS_PER_AGENT_MAX   16
/* How often each stream's session or token is checked: a logout, a
 * revoked token or a disabled agent ends the stream within this. */
#define TAME_EVENTS_AUTH_MS         2000
/* Request body for JSON endpoints: replies with pasted logs fit in 1 MB. */
#define TAME_HTTP_BODY_MAX          (1024 * 1024)
/* A reply's text, as typed or once a template's placeholders are
 * filled in (single, bulk and mass replies, and the render preview). */
#define TAME_REPLY_TEXT_MAX         (1024 * 1024)
/* Before login only small bodies make sense (Redis' idea). */
#define TAME_HTTP_BODY_MAX_ANON     (8 * 1024)
/* Nesting depth of a JSON body; ours are at most 3 deep. */
#define TAME_JSON_DEPTH_MAX         16
/* Rows in one page of a list. */
#define TAME_LIST_LIMIT_MAX         500
#define TAME_LIST_LIMIT_DEFAULT     50
/* Length of a full-text query. */
#define TAME_QUERY_MAX              512
/* Failed logins per address before it must wait (throttle). */
#define TAME_LOGIN_FAILS_MAX        5
#define TAME_LOGIN_LOCK_SECONDS     60
/* Session lifetime. */
#define TAME_SESSION_SECONDS        (14 * 24 * 3600)

/* Mail content. */
/* Attachments kept per message; more is abuse. */
#define TAME_ATTACHMENTS_MAX        100
/* Subject kept in the ticket (the raw message keeps everything). */
#define TAME_SUBJECT_MAX            998
/* Text kept for display/search per message part. */
#define TAME_TEXT_MAX               (8 * 1024 * 1024)
/* References kept per message for threading. */
#define TAME_REFERENCES_MAX         64
/* Short field (name, email, tag). */
#define TAME_FIELD_MAX              320
/* Tags per ticket. */
#define TAME_TAGS_MAX               50

/* Bytes of messages being received over SMTP/LMTP at once, on all
 * connections: past it, a connection holding more than
 * TAME_SMTP_HELD_SMALL of a message is answered 421 and closed (its
 * sender tries again later), so slow senders of huge messages cannot
 * take all memory; small mail still passes. */
#define TAME_SMTP_HELD_MAX          ((size_t)256 << 20)
#define TAME_SMTP_HELD_SMALL        ((size_t)1 << 20)

/* Outbox. */
/* A reply is retried with back-off for up to two days. */
#define TAME_OUTBOX_GIVEUP_SECONDS  (2 * 24 * 3600)
/* Acknowledgement: at most one per sender per hour. */
#define TAME_ACK_WINDOW_SECONDS     3600
/* Mail dated longer ago than this gets no acknowledgement: a backlog
 * (an IMAP folder connected with old mail in it, mail held up for
 * days), whose senders wrote long ago and were answered or not then. */
#define TAME_ACK_MAX_AGE_SECONDS    (24 * 3600)

/* Import. */
/* Messages per transaction in `tame import`. */
#define TAME_IMPORT_BATCH           2000

/* IMAP polling (src/net/imap_poll.c). */
/* An IMAP URL as typed by an admin; real ones are under 200 bytes. */
#define TAME_IMAP_URL_MAX           2048
/* Default pause between polls of an idle folder: new mail shows up
 * within seconds (libcurl has no IDLE), one STATUS command each time. */
#define TAME_IMAP_POLL_MS_DEFAULT   2000
/* Bounds of a configured poll interval: faster is abuse of the server,
 * slower than an hour is not "connected" any more. */
#define TAME_IMAP_POLL_MS_MIN       500
#define TAME_IMAP_POLL_MS_MAX       (3600 * 1000)
/* How often the poller re-reads the settings: a new or changed mailbox
 * is picked up within this time (the promise is 5 s). */
#define TAME_IMAP_RELOAD_MS         1000
/* UIDs asked for per UID SEARCH: the answer is one line, and libcurl
 * cuts lines longer than its 16 kB buffer; 1000 UIDs of 10 digits fit. */
#define TAME_IMAP_SEARCH_SPAN       1000
/* Messages fetched but not yet acted on and recorded (in the ingest
 * queue, committed, or being acted on); fetching waits beyond. A kill -9
 * fetches at most this many again (the ingest path drops them as
 * duplicates). It also bounds the lines the fetch connection is told
 * about the action's changes after one answer (about 40 bytes each,
 * against libcurl's 300 kB for one answer). */
#define TAME_IMAP_INFLIGHT          2500
/* Connections that fetch beside the one that searches: libcurl asks
 * for one message per request, and a second connection keeps the server
 * reading while the poller parses. Each is one more login to the
 * server; one that is refused is simply not used. */
#define TAME_IMAP_HELPERS           1
/* Messages waiting before the helpers join a round: each opens the
 * folder afresh first, which costs a server about as much as fetching
 * a few hundred messages of a large folder. */
#define TAME_IMAP_HELPER_BACKLOG    2000
/* UIDs per after-import command: a MOVE or EXPUNGE is answered with a
 * line per message, and Debian's libcurl 7.88 counts the lines of one
 * answer so dearly against its 300 kB limit that 256 lines fail; 64
 * lines count about 35 kB. \Seen (answered by one line) goes by 1,000. */
#define TAME_IMAP_ACT_UIDS          64
#define TAME_IMAP_SEEN_UIDS         1000
/* Committed messages acted on together, on a connection of its own
 * while the fetching goes on (src/net/imap_act.c): one \Seen command,
 * or 16 MOVE commands, and one record of the last UID. Smaller chunks
 * cost more commands and records; larger ones leave more to fetch
 * again after a kill -9. */
#define TAME_IMAP_ACT_CHUNK         1000
/* Bytes of fetched messages waiting for their commit at most. */
#define TAME_IMAP_BATCH_BYTES       (64 * 1024 * 1024)
/* Seconds to connect (TCP and TLS) before "server not reachable". */
#define TAME_IMAP_CONNECT_SECONDS   10
/* A transfer slower than 1 byte/s for this long is "not answering". */
#define TAME_IMAP_STALL_SECONDS     30
/* The connection test answers within this time, whatever the server. */
#define TAME_IMAP_TEST_SECONDS      20
/* Longest wait before retrying a failing mailbox (doubling from the
 * poll interval), so a wrong password does not hammer the server. */
#define TAME_IMAP_BACKOFF_MAX_MS    (5 * 60 * 1000)
/* A message the server answers NO to (throttled, busy, broken), or
 * whose FETCH fails otherwise once the connection is up (dropped in
 * the middle, BYE, no message in the answer), is fetched again in the
 * next rounds, after the back-off; failed in this many rounds in a row,
 * it is left on the server with an error that stays, so that the rest
 * of the folder comes in. With the default poll interval that is about
 * a minute. */
#define TAME_IMAP_REFUSED_ROUNDS    6
/* An after-import action that fails (a folder to move to that is gone,
 * no permission to set \Seen) is tried again with each round while the
 * import goes on; failed in this many rounds in a row, it is given up
 * until the IMAP settings are saved again, with an error that stays,
 * and what was imported is recorded as such (left on the server as it
 * is), so that a restart does not fetch it all again. */
#define TAME_IMAP_ACT_ROUNDS        6

/* Queue intelligence: trends, tone, flags (src/net/intel.c). */
/* Messages the intelligence thread reads per round; one transaction
 * writes what it found about them: under a burst of mail, few large
 * transactions keep out of the SMTP writer's way. */
#define TAME_INTEL_BATCH            1024
/* Characters of a message read for tone, trends and word counts: tone
 * reads 4,096 words and the text pipeline 2,000, which fit; the rest
 * of a 1 MB paste is logs and quoted history. */
#define TAME_INTEL_TEXT_MAX         (32 * 1024)
/* Open tickets the trend index takes at start, newest first: the
 * problems of now, at about 200 bytes of memory each. */
#define TAME_TREND_OPEN_MAX         200000
/* Trends in one list answer; without their newest tickets (samples=0,
 * about 400 bytes a trend) every trend a busy desk has fits in one. */
#define TAME_TREND_LIST_MAX         200
#define TAME_TREND_LIST_BRIEF_MAX   5000
/* Recipients of one mass reply; a larger trend is answered in parts. */
#define TAME_TREND_REPLY_MAX        2000
/* A mass reply's preview flags a customer an agent answered in the last
 * 8 hours (on the ticket, with nothing from them since, or on another
 * of their tickets): a wave is worked within a shift, so a second mass
 * reply the same shift is a mistake or an update the agent picks on
 * purpose, while one the next day is a fair follow-up. */
#define TAME_MASS_RECENT_MS         (8 * 60 * 60 * 1000)
/* Solved tickets one "similar cases" answer shows at most. */
#define TAME_SIMILAR_MAX            10

/* The agents' desk (src/net/http_replies.c, http_spell.c, http_bulk.c,
 * http_presence.c, http_profile.c). */
/* A saved reply's title: a line in a picker. */
#define TAME_SAVED_REPLY_TITLE_MAX  200
/* A saved reply's body: a long prewritten answer is a few kB. */
#define TAME_SAVED_REPLY_BODY_MAX   (64 * 1024)
/* Text spell-checked at once: a reply being written, not a book; the
 * editor checks what is on screen. */
#define TAME_SPELL_TEXT_MAX         (64 * 1024)
/* Misspellings answered per request, and those of them that get
 * suggestions (hunspell needs milliseconds per suggestion). */
#define TAME_SPELL_WORDS_MAX        200
#define TAME_SPELL_SUGGEST_WORDS    50
/* ... but a long word costs hunspell seconds (every edit of it is
 * tried): none past this many bytes, and none once a request has spent
 * this long on suggestions, so that a few requests of long nonsense
 * words do not hold the dictionary, and the server, for minutes. */
#define TAME_SPELL_SUGGEST_BYTES    32
#define TAME_SPELL_SUGGEST_MS       300
/* Suggestions per misspelt word. */
#define TAME_SPELL_SUGGESTIONS      5
/* Tickets in one bulk action: a screenful of selections is a few
 * dozen; a whole view is at most one page of the list. */
#define TAME_BULK_MAX               TAME_LIST_LIMIT_MAX
/* An Idempotency-Key header (clients send UUIDs, 36 bytes; the same
 * bound as the trends' mass reply takes). */
#define TAME_IDEMPOTENCY_KEY_MAX    200
/* A claimed key not finished after 5 minutes belongs to a request that
 * died with tamed (a mass reply of 500 tickets takes seconds); a retry
 * then takes it over. */
#define TAME_IDEMPOTENCY_STALE_MS   (5 * 60 * 1000)
/* Seconds an agent counts as viewing or typing after their browser's
 * last report (it reports every few seconds). */
#define TAME_PRESENCE_SECONDS       15
/* Agents-on-tickets kept in memory at once; a team of hundreds with a
 * few tickets open each fits. */
#define TAME_PRESENCE_MAX           4096
/* Agents notified from one note's @mentions. */
#define TAME_MENTIONS_MAX           20
/* An avatar image: a 256x256 picture compresses to far less. */
#define TAME_AVATAR_MAX             (256 * 1024)
/* An agent's signature. */
#define TAME_SIGNATURE_MAX          (4 * 1024)
/* Sessions listed per agent. */
#define TAME_SESSIONS_LIST_MAX      100

/* Attachments of an agent's reply (src/net/reply_att.c). */
/* Files per reply: a screenshot or two and a log; more belongs in a
 * shared folder. */
#define TAME_REPLY_ATT_MAX          10
/* Decoded bytes of all of a reply's files together: with the text and
 * base64 in the outgoing mail (4/3) it stays well under the 25 MB that
 * relays commonly accept, and under TAME_SMTP_MESSAGE_MAX. */
#define TAME_REPLY_ATT_BYTES_MAX    (10 * 1024 * 1024)
/* A file name as kept and sent: the usual file-system limit. */
#define TAME_REPLY_ATT_NAME_MAX     255
/* The body of POST /tickets/ID/replies: the text's 1 MB, the files in
 * base64 (4/3 of their bytes) and room for the JSON around them. Only
 * this route reads a body this large; every other one keeps
 * TAME_HTTP_BODY_MAX, checked on the buffered body. */
#define TAME_REPLY_BODY_MAX         (TAME_HTTP_BODY_MAX + \
	(TAME_REPLY_ATT_BYTES_MAX / 3 + 1) * 4 + 64 * 1024)

#endif
