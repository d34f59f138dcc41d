/*
 * migrations.c - schema steps of the SQLite store, applied in order.
 *
 * Why this shape:
 * - Ticket lists must answer in milliseconds at a million tickets, so
 *   every list filter has an index ending in id (newest first is
 *   "ORDER BY id DESC" read straight off the index), and the list row
 *   keeps a denormalised preview and message_count so it needs no join
 *   into messages.
 * - Search is FTS5 over messages(subject, text) as an external-content
 *   table keyed on messages.id: the text is stored once, the index
 *   maps words to message ids.
 * - Attachment bytes are content-addressed (blobs keyed by SHA-256), so
 *   the logo in every signature is kept once.
 * - events is append-only: the audit trail and the source of reports.
 * - Times are UTC milliseconds; enums are small integers (model.h),
 *   except outbox.state, which is text for whoever reads the table.
 *
 * Never edit a step that has shipped; append a new one.
 */
#include <stdio.h>
#include <string.h>
#include "../core/util.h"
#include "migrations.h"

/* What notify_followers_event does, as migrations 14 and 15 create it
 * (they differ in the event kinds it answers): one notification per
 * follower, not to the actor or an agent the event assigns. */
#define NOTIFY_FOLLOWERS_BODY \
	" BEGIN" \
	" INSERT INTO notifications(agent_id, ticket_id, kind," \
	"  actor_agent_id, message_id, created_at)" \
	" SELECT f.agent_id, NEW.ticket_id, NEW.kind, NEW.actor_agent_id," \
	"  CASE WHEN json_valid(NEW.data) THEN" \
	"  json_extract(NEW.data, '$.message_id') END, NEW.created_at" \
	"  FROM ticket_followers f JOIN agents a ON a.id = f.agent_id" \
	"  WHERE f.ticket_id = NEW.ticket_id AND a.notify_follows" \
	"  AND NOT a.disabled" \
	"  AND f.agent_id IS NOT coalesce(NEW.actor_agent_id, 0)" \
	"  AND (json_valid(NEW.data) IS NOT 1 OR f.agent_id IS NOT" \
	"   json_extract(NEW.data, '$.assignee_id')); END;"

/* What a customer's message tells (step 17, and 19 for mail that is
 * not quiet): its ticket's followers and its assignee, once for one
 * who is both. */
#define NOTIFY_MESSAGE_BODY \
	" INSERT INTO notifications(agent_id, ticket_id, kind, message_id," \
	"  created_at)" \
	" SELECT f.agent_id, NEW.ticket_id, 'message.received', NEW.id," \
	"  NEW.created_at FROM ticket_followers f JOIN agents a" \
	"  ON a.id = f.agent_id WHERE f.ticket_id = NEW.ticket_id" \
	"  AND a.notify_follows AND NOT a.disabled" \
	" UNION" \
	" SELECT a.id, NEW.ticket_id, 'message.received', NEW.id," \
	"  NEW.created_at FROM tickets t JOIN agents a ON a.id = t.assignee_id" \
	"  WHERE t.id = NEW.ticket_id AND a.notify_assigned AND NOT a.disabled;" \
	" END;"

/* Step 20: the tone of ticket "tickets"'s latest customer message. */
#define LATEST_TONE "SELECT x.tone FROM messages m"			\
	" JOIN message_tones x ON x.message_id = m.id"			\
	" WHERE m.ticket_id = tickets.id AND m.direction = 0"		\
	" ORDER BY m.created_at DESC, m.id DESC LIMIT 1"

static const char *const steps[] = {
	/* 1: the first schema. */
	"CREATE TABLE mailboxes ("
	" id INTEGER PRIMARY KEY,"
	" address TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL DEFAULT '',"
	" ack_enabled INTEGER NOT NULL DEFAULT 0,"
	" ack_template TEXT,"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE agents ("
	" id INTEGER PRIMARY KEY,"
	" email TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL DEFAULT '',"
	" role INTEGER NOT NULL DEFAULT 0,"
	" pw_hash TEXT,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE customers ("
	" id INTEGER PRIMARY KEY,"
	" email TEXT NOT NULL UNIQUE,"
	" name TEXT,"
	" organization TEXT,"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE tickets ("
	" id INTEGER PRIMARY KEY,"
	" mailbox_id INTEGER REFERENCES mailboxes(id),"
	" customer_id INTEGER REFERENCES customers(id),"
	" subject TEXT NOT NULL DEFAULT '',"
	" status INTEGER NOT NULL DEFAULT 0,"
	" priority INTEGER NOT NULL DEFAULT 1,"
	" assignee_id INTEGER REFERENCES agents(id),"
	" message_count INTEGER NOT NULL DEFAULT 0,"
	" unparsed INTEGER NOT NULL DEFAULT 0,"
	" preview TEXT NOT NULL DEFAULT '',"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" last_customer_at INTEGER,"
	" closed_at INTEGER,"
	" previous_ticket_id INTEGER REFERENCES tickets(id));"
	"CREATE INDEX tickets_status ON tickets(status, id);"
	"CREATE INDEX tickets_assignee ON tickets(assignee_id, status, id);"
	"CREATE INDEX tickets_customer ON tickets(customer_id, id);"
	"CREATE INDEX tickets_mailbox ON tickets(mailbox_id, id);"

	"CREATE TABLE ticket_tags ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" tag TEXT NOT NULL,"
	" PRIMARY KEY (ticket_id, tag)) WITHOUT ROWID;"
	"CREATE INDEX ticket_tags_tag ON ticket_tags(tag, ticket_id);"

	"CREATE TABLE participants ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" email TEXT NOT NULL,"
	" PRIMARY KEY (ticket_id, email)) WITHOUT ROWID;"

	"CREATE TABLE raw_messages ("
	" id INTEGER PRIMARY KEY,"
	" data BLOB NOT NULL,"
	" mail_from TEXT,"
	" rcpts TEXT,"
	" received_at INTEGER NOT NULL);"

	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" direction INTEGER NOT NULL,"
	" from_email TEXT,"
	" from_name TEXT,"
	" to_json TEXT,"
	" cc_json TEXT,"
	" subject TEXT,"
	" text TEXT,"
	" html TEXT,"
	" message_id TEXT UNIQUE,"
	" in_reply_to TEXT,"
	" refs TEXT,"
	" raw_id INTEGER REFERENCES raw_messages(id),"
	" agent_id INTEGER REFERENCES agents(id),"
	" delivery INTEGER NOT NULL DEFAULT 0,"
	" delivery_error TEXT,"
	" unparsed INTEGER NOT NULL DEFAULT 0,"
	" auto_submitted INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX messages_ticket ON messages(ticket_id, id);"

	"CREATE VIRTUAL TABLE messages_fts USING fts5("
	" subject, text, content='messages', content_rowid='id',"
	" tokenize='unicode61 remove_diacritics 2');"

	"CREATE TABLE blobs ("
	" sha256 TEXT PRIMARY KEY,"
	" data BLOB NOT NULL,"
	" size INTEGER NOT NULL) WITHOUT ROWID;"

	"CREATE TABLE attachments ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER NOT NULL REFERENCES messages(id),"
	" blob_sha256 TEXT NOT NULL REFERENCES blobs(sha256),"
	" filename TEXT,"
	" content_type TEXT,"
	" content_id TEXT,"
	" inline INTEGER NOT NULL DEFAULT 0,"
	" size INTEGER NOT NULL);"
	"CREATE INDEX attachments_message ON attachments(message_id);"

	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER REFERENCES messages(id),"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" mail_from TEXT NOT NULL,"
	" rcpts TEXT NOT NULL,"
	" raw BLOB NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'queued'"
	"  CHECK (state IN ('queued', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt_at INTEGER NOT NULL,"
	" last_error TEXT,"
	" created_at INTEGER NOT NULL,"
	" sent_at INTEGER);"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt_at);"

	"CREATE TABLE api_tokens ("
	" id INTEGER PRIMARY KEY,"
	" agent_id INTEGER NOT NULL REFERENCES agents(id),"
	" token_hash TEXT NOT NULL UNIQUE,"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE sessions ("
	" id_hash TEXT PRIMARY KEY,"
	" agent_id INTEGER NOT NULL REFERENCES agents(id),"
	" csrf TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL) WITHOUT ROWID;"

	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" actor_agent_id INTEGER REFERENCES agents(id),"
	" kind TEXT NOT NULL,"
	" data TEXT,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX events_ticket ON events(ticket_id, id);"

	"CREATE TABLE ack_log ("
	" id INTEGER PRIMARY KEY,"
	" mailbox_id INTEGER NOT NULL,"
	" sender TEXT NOT NULL,"
	" sent_at INTEGER NOT NULL);"
	"CREATE INDEX ack_log_sender ON ack_log(mailbox_id, sender, sent_at);",

	/* 2: IMAP polling (issue 5). password is sealed (store_secret.h);
	 * version is bumped by every change of the settings so the poller
	 * notices; the folder state is keyed by account and folder so that
	 * pointing a mailbox elsewhere starts afresh, and is kept when IMAP
	 * is switched off so that switching it on again resumes. */
	"CREATE TABLE mailbox_imap ("
	" mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes(id),"
	" host TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" tls INTEGER NOT NULL,"
	" username TEXT NOT NULL,"
	" password TEXT NOT NULL,"
	" folder TEXT NOT NULL,"
	" after INTEGER NOT NULL DEFAULT 0,"
	" after_folder TEXT,"
	" poll_ms INTEGER NOT NULL,"
	" ca_file TEXT,"
	" pinned_key TEXT,"
	" version INTEGER NOT NULL DEFAULT 1,"
	" updated_at INTEGER NOT NULL,"
	" last_error TEXT,"
	" last_error_detail TEXT,"
	" last_error_at INTEGER,"
	" last_ok_at INTEGER,"
	" last_import_at INTEGER,"
	" imported INTEGER NOT NULL DEFAULT 0,"
	" backlog INTEGER NOT NULL DEFAULT 0);"

	"CREATE TABLE imap_folder_state ("
	" mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),"
	" account TEXT NOT NULL,"
	" folder TEXT NOT NULL,"
	" uidvalidity INTEGER NOT NULL,"
	" last_uid INTEGER NOT NULL DEFAULT 0,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (mailbox_id, account, folder)) WITHOUT ROWID;",

	/* 3: messages stored but not yet in messages_fts. The SMTP
	 * writer commits a handful of messages at a time, and FTS5 costs
	 * twice as much per message in such small batches as in large
	 * ones; so it queues them here, in the same transaction, and
	 * indexes the queue in large batches when it has time. Searches
	 * look into the queue too (store_sqlite_views.c). */
	"CREATE TABLE fts_pending (id INTEGER PRIMARY KEY);",

	/* 4: queue intelligence (issue 4). The trend index lives in
	 * tamed's memory (src/net/intel.c); the store keeps what must
	 * survive a restart: each trend's public id, an agent's name for
	 * it, what it was merged into and whether an agent made it; each
	 * ticket's trend and whether an agent put it there (trend_pin:
	 * 1 split, 2 moved out). tone is the JSON of core/tone.h, on each
	 * customer message and, for the list, a copy of the latest one on
	 * its ticket; flags are the outlier flags with their reasons and
	 * flag_bits the same as a mask for the filter. intel_state holds
	 * the intelligence thread's positions; idempotency the answers
	 * of requests sent with an Idempotency-Key; messages_vocab gives
	 * the document frequency of each word for "similar cases". */
	"CREATE TABLE trends ("
	" id INTEGER PRIMARY KEY,"
	" label TEXT,"
	" auto_label TEXT,"
	" kind INTEGER NOT NULL DEFAULT 0,"
	" merged_into INTEGER REFERENCES trends(id),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"ALTER TABLE tickets ADD COLUMN trend_id INTEGER REFERENCES trends(id);"
	"ALTER TABLE tickets ADD COLUMN trend_pin INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN tone TEXT;"
	"ALTER TABLE tickets ADD COLUMN flag_bits INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN flags TEXT;"
	"CREATE INDEX tickets_trend ON tickets(trend_id, id);"
	"CREATE INDEX tickets_flagged ON tickets(id) WHERE flag_bits != 0;"
	"ALTER TABLE messages ADD COLUMN tone TEXT;"
	"ALTER TABLE messages ADD COLUMN words INTEGER;"
	"CREATE TABLE intel_state ("
	" k TEXT PRIMARY KEY,"
	" v INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE idempotency ("
	" agent_id INTEGER NOT NULL,"
	" key TEXT NOT NULL,"
	" request TEXT NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" status INTEGER,"
	" body TEXT,"
	" created_at INTEGER NOT NULL,"
	" claimed_at INTEGER NOT NULL,"
	" PRIMARY KEY (agent_id, key)) WITHOUT ROWID;"
	"CREATE VIRTUAL TABLE messages_vocab USING fts5vocab(messages_fts, row);",

	/* 5: the agents' desk (issue 3, store_desk.h). Saved replies are
	 * personal unless shared. A merged ticket keeps merged_into, the
	 * ticket that took its messages. Followers and notifications:
	 * the triggers write the notifications of every change to a
	 * followed ticket, whoever makes it (API, SMTP ingest, CLI), and
	 * of an assignment, in the transaction of the change, each as the
	 * agent's settings (agents.notify_*) allow and never to the agent
	 * who acted; mentions are written by the API. Avatars are small
	 * images (at most 256 kB, checked by the API) kept per agent. */
	"CREATE TABLE saved_replies ("
	" id INTEGER PRIMARY KEY,"
	" owner_id INTEGER NOT NULL REFERENCES agents(id),"
	" title TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" shared INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE INDEX saved_replies_owner ON saved_replies(owner_id, id);"
	"ALTER TABLE tickets ADD COLUMN merged_into INTEGER REFERENCES tickets(id);"
	"ALTER TABLE agents ADD COLUMN signature TEXT;"
	"ALTER TABLE agents ADD COLUMN notify_mentions INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE agents ADD COLUMN notify_follows INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE agents ADD COLUMN notify_assigned INTEGER NOT NULL DEFAULT 1;"
	"CREATE TABLE agent_avatars ("
	" agent_id INTEGER PRIMARY KEY REFERENCES agents(id),"
	" content_type TEXT NOT NULL,"
	" data BLOB NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE TABLE ticket_followers ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" agent_id INTEGER NOT NULL REFERENCES agents(id),"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (ticket_id, agent_id)) WITHOUT ROWID;"
	"CREATE INDEX ticket_followers_agent ON ticket_followers(agent_id);"
	"CREATE TABLE notifications ("
	" id INTEGER PRIMARY KEY,"
	" agent_id INTEGER NOT NULL REFERENCES agents(id),"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" kind TEXT NOT NULL,"
	" actor_agent_id INTEGER REFERENCES agents(id),"
	" message_id INTEGER REFERENCES messages(id),"
	" created_at INTEGER NOT NULL,"
	" read_at INTEGER);"
	"CREATE INDEX notifications_agent ON notifications(agent_id, id);"
	"CREATE INDEX notifications_unread ON notifications(agent_id, id)"
	" WHERE read_at IS NULL;"
	"CREATE TRIGGER notify_followers_message AFTER INSERT ON messages"
	" WHEN NEW.direction = 0 BEGIN"
	" INSERT INTO notifications(agent_id, ticket_id, kind, message_id,"
	"  created_at)"
	" SELECT f.agent_id, NEW.ticket_id, 'message.received', NEW.id,"
	"  NEW.created_at FROM ticket_followers f JOIN agents a"
	"  ON a.id = f.agent_id WHERE f.ticket_id = NEW.ticket_id"
	"  AND a.notify_follows AND NOT a.disabled; END;"
	"CREATE TRIGGER notify_followers_event AFTER INSERT ON events"
	" WHEN NEW.ticket_id IS NOT NULL AND NEW.kind IN ('reply.sent',"
	" 'note.added', 'ticket.updated', 'ticket.merged', 'reply.bounced')"
	" BEGIN"
	" INSERT INTO notifications(agent_id, ticket_id, kind,"
	"  actor_agent_id, message_id, created_at)"
	" SELECT f.agent_id, NEW.ticket_id, NEW.kind, NEW.actor_agent_id,"
	"  CASE WHEN json_valid(NEW.data) THEN"
	"  json_extract(NEW.data, '$.message_id') END, NEW.created_at"
	"  FROM ticket_followers f JOIN agents a ON a.id = f.agent_id"
	"  WHERE f.ticket_id = NEW.ticket_id AND a.notify_follows"
	"  AND NOT a.disabled"
	"  AND f.agent_id IS NOT coalesce(NEW.actor_agent_id, 0)"
	"  AND (json_valid(NEW.data) IS NOT 1 OR f.agent_id IS NOT"
	"   json_extract(NEW.data, '$.assignee_id')); END;"
	"CREATE TRIGGER notify_assignee AFTER INSERT ON events"
	" WHEN NEW.kind = 'ticket.updated' AND json_valid(NEW.data)"
	" AND json_type(NEW.data, '$.assignee_id') = 'integer' BEGIN"
	" INSERT INTO notifications(agent_id, ticket_id, kind,"
	"  actor_agent_id, created_at)"
	" SELECT a.id, NEW.ticket_id, 'ticket.assigned', NEW.actor_agent_id,"
	"  NEW.created_at FROM agents a"
	"  WHERE a.id = json_extract(NEW.data, '$.assignee_id')"
	"  AND a.notify_assigned AND NOT a.disabled"
	"  AND a.id IS NOT coalesce(NEW.actor_agent_id, 0); END;",

	/* 6: the tone of each customer message in a table of its own
	 * (issue 4). Written into messages, it rewrote each message's
	 * whole row, its text with it: the disk took twice as much per
	 * mail. messages.tone and messages.words of step 4 stay unused. */
	"CREATE TABLE message_tones ("
	" message_id INTEGER PRIMARY KEY REFERENCES messages(id),"
	" tone TEXT NOT NULL,"
	" words INTEGER NOT NULL DEFAULT 0,"
	" abusive INTEGER NOT NULL DEFAULT 0);",

	/* 7: a mailbox's own outgoing relay (issue 5, relay_conf.h);
	 * none = tamed's --relay. password is sealed (store_secret.h).
	 * mailboxes.signature: the team's footer under every reply. */
	"ALTER TABLE mailboxes ADD COLUMN signature TEXT;"
	"CREATE TABLE mailbox_relay ("
	" mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes(id)"
	"  ON DELETE CASCADE,"
	" host TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" tls INTEGER NOT NULL,"
	" username TEXT,"
	" password TEXT,"
	" ca_file TEXT,"
	" updated_at INTEGER NOT NULL);",

	/* 8: "view original" of a reply reads the MIME it was sent as
	 * from its outbox row (issue 3, store_sqlite_original.c). */
	"CREATE INDEX outbox_message ON outbox(message_id);",

	/* 9: desk-wide settings an admin changes in the web app (issue 4:
	 * "urgency can raise priority"), one row per key, the value as
	 * text; a key never set has its default in the code
	 * (store_sqlite_settings.c). */
	"CREATE TABLE settings ("
	" k TEXT PRIMARY KEY,"
	" v TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL) WITHOUT ROWID;",

	/* 10: the active queue (new, open, pending) in the orders the
	 * inbox sorts it by: longest waiting, and priority then waiting
	 * (store_sqlite_views.c, SORT_WAIT and SORT_PRIO), so a page of a
	 * queue of 100,000 open tickets reads 50 index entries instead of
	 * sorting them all. Partial: the solved history is not in them. */
	"CREATE INDEX tickets_wait_active ON tickets("
	" coalesce(last_customer_at, created_at), id)"
	" WHERE status IN (0,1,2);"
	"CREATE INDEX tickets_prio_active ON tickets("
	" ((3 - priority) * 4398046511104 +"
	" coalesce(last_customer_at, created_at)), id)"
	" WHERE status IN (0,1,2);",

	/* 11: how an IMAP mailbox learns of new mail, for the admin page:
	 * "idle" (the server announces it, RFC 2177) or "poll"; NULL
	 * until the poller has worked with the settings. */
	"ALTER TABLE mailbox_imap ADD COLUMN watch TEXT;",

	/* 12: raw mail kept compressed (issue 2, store_raw.c): codec 1 is
	 * a zstd frame, 0 the bytes as they came, as every row before. */
	"ALTER TABLE raw_messages ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;",

	/* 13: saved filters kept per agent on the server (they lived in
	 * one browser's localStorage): query is the JSON object of the
	 * ticket list's parameters, store_sqlite_filters.c. */
	"CREATE TABLE saved_filters ("
	" id INTEGER PRIMARY KEY,"
	" agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" query TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE INDEX saved_filters_agent ON saved_filters(agent_id, id);",

	/* 14: no IN list where every write evaluates it. SQLite builds a
	 * small temporary b-tree (a pager, pages, malloc) for an IN list
	 * of three or more constants each time it evaluates one, and the
	 * conditions of partial indexes and trigger WHENs are evaluated
	 * on every insert and update of the row: four such trees for a
	 * message's ticket update, two for a new ticket, one for each
	 * event. A comparison and an OR chain mean the same, with none.
	 * The queries that use these indexes say "t.status < 3" too
	 * (store_sqlite_list.c), so that the planner may. */
	"DROP INDEX tickets_wait_active;"
	"DROP INDEX tickets_prio_active;"
	"CREATE INDEX tickets_wait_active ON tickets("
	" coalesce(last_customer_at, created_at), id)"
	" WHERE status < 3;"
	"CREATE INDEX tickets_prio_active ON tickets("
	" ((3 - priority) * 4398046511104 +"
	" coalesce(last_customer_at, created_at)), id)"
	" WHERE status < 3;"
	"DROP TRIGGER notify_followers_event;"
	"CREATE TRIGGER notify_followers_event AFTER INSERT ON events"
	" WHEN NEW.ticket_id IS NOT NULL AND (NEW.kind = 'reply.sent'"
	" OR NEW.kind = 'note.added' OR NEW.kind = 'ticket.updated'"
	" OR NEW.kind = 'ticket.merged' OR NEW.kind = 'reply.bounced')"
	NOTIFY_FOLLOWERS_BODY,
	/* 15: followers hear of a reply the relay refused for good
	 * (reply.failed, written by the outbox) as of a bounce. */
	"DROP TRIGGER notify_followers_event;"
	"CREATE TRIGGER notify_followers_event AFTER INSERT ON events"
	" WHEN NEW.ticket_id IS NOT NULL AND (NEW.kind = 'reply.sent'"
	" OR NEW.kind = 'note.added' OR NEW.kind = 'ticket.updated'"
	" OR NEW.kind = 'ticket.merged' OR NEW.kind = 'reply.bounced'"
	" OR NEW.kind = 'reply.failed')"
	NOTIFY_FOLLOWERS_BODY,
	/* 16: an acknowledgement has no message row; its Message-ID is
	 * kept on its outbox row, so an answer naming only it, or a bounce
	 * of it, finds the ticket (ingest.c). */
	"ALTER TABLE outbox ADD COLUMN mail_id TEXT;"
	"CREATE INDEX outbox_mail_id ON outbox(mail_id)"
	" WHERE mail_id IS NOT NULL;",
	/* 17: a customer's message reaches the ticket's assignee too (as
	 * their notify_assigned allows), not only its followers. UNION
	 * makes one notification of an assignee who also follows. */
	"DROP TRIGGER notify_followers_message;"
	"CREATE TRIGGER notify_followers_message AFTER INSERT ON messages"
	" WHEN NEW.direction = 0 BEGIN"
	NOTIFY_MESSAGE_BODY,
	/* 18: the search index cuts and folds words as
	 * core/search_words.c does (the tokenizer "tame",
	 * store_sqlite_fts.c): Chinese, Japanese, Korean and Thai are
	 * found inside a sentence, ß is ss, ё е, full-width ＡＢＣ ABC;
	 * and a customer's name and address are searched too (a name,
	 * part of the address, the domain; not our replies' senders, see
	 * FTS_VALUES in store_sqlite.h). Indexed again from the messages,
	 * which also takes in what waited in fts_pending: 3 s for 300,000
	 * messages of 600 bytes (once, at the first start of this build;
	 * the log says the store is upgraded). messages_vocab, which
	 * nothing reads any more, goes. */
	"DROP TABLE IF EXISTS messages_vocab;"
	"DROP TABLE messages_fts;"
	"CREATE VIRTUAL TABLE messages_fts USING fts5("
	" subject, text, from_name, from_email, content='messages',"
	" content_rowid='id', tokenize='tame');"
	"INSERT INTO messages_fts(rowid, subject, text, from_name,"
	" from_email) SELECT id, subject, text,"
	" CASE WHEN direction = 0 THEN from_name END,"
	" CASE WHEN direction = 0 THEN from_email END FROM messages;"
	"DELETE FROM fts_pending;",
	/* 19: mail that answers ours by itself (an out-of-office reply,
	 * a read receipt, a bounce: messages.quiet) tells nobody "the
	 * customer wrote"; a bounce or a refusal of a reply tells the
	 * ticket's assignee as it tells followers (reply.bounced,
	 * reply.failed), once for one who also follows. */
	"ALTER TABLE messages ADD COLUMN quiet INTEGER NOT NULL DEFAULT 0;"
	"DROP TRIGGER notify_followers_message;"
	"CREATE TRIGGER notify_followers_message AFTER INSERT ON messages"
	" WHEN NEW.direction = 0 AND NOT NEW.quiet BEGIN"
	NOTIFY_MESSAGE_BODY
	"CREATE TRIGGER notify_assignee_undelivered AFTER INSERT ON events"
	" WHEN NEW.ticket_id IS NOT NULL AND (NEW.kind = 'reply.bounced'"
	" OR NEW.kind = 'reply.failed') BEGIN"
	" INSERT INTO notifications(agent_id, ticket_id, kind,"
	"  actor_agent_id, message_id, created_at)"
	" SELECT a.id, NEW.ticket_id, NEW.kind, NEW.actor_agent_id,"
	"  CASE WHEN json_valid(NEW.data) THEN"
	"  json_extract(NEW.data, '$.message_id') END, NEW.created_at"
	"  FROM tickets t JOIN agents a ON a.id = t.assignee_id"
	"  WHERE t.id = NEW.ticket_id AND a.notify_assigned AND NOT a.disabled"
	"  AND a.id IS NOT coalesce(NEW.actor_agent_id, 0)"
	"  AND NOT (a.notify_follows AND EXISTS (SELECT 1 FROM"
	"  ticket_followers f WHERE f.ticket_id = NEW.ticket_id"
	"  AND f.agent_id = a.id)); END;",
	/* 20: a ticket's tone is its latest customer message's again
	 * (issue 4); a heated message of the three days before a plain
	 * latest one is kept beside it (tone_earlier, tone_ticket_pick).
	 * Builds of schema 19 stored that one as the ticket's tone: where
	 * the ticket's tone is not its latest customer message's, it moves
	 * to tone_earlier when it is a heated one (SET reads the row as it
	 * was) and the latest's takes its place. Reads each ticket's messages once, writes only
	 * the tickets that change (about 5 s for a million tickets). */
	"ALTER TABLE tickets ADD COLUMN tone_earlier TEXT;"
	"UPDATE tickets SET"
	" tone_earlier = (SELECT json_set(x.tone, '$.message_id', m.id)"
	"  FROM messages m JOIN message_tones x ON x.message_id = m.id"
	"  WHERE m.ticket_id = tickets.id AND m.direction = 0"
	"  AND x.tone = tickets.tone AND (json_extract(x.tone, '$.abusive')"
	"  OR json_extract(x.tone, '$.anger') >= 0.5"
	"  OR json_extract(x.tone, '$.frustration') >= 0.5)"
	"  ORDER BY m.created_at DESC, m.id DESC LIMIT 1),"
	" tone = (" LATEST_TONE ")"
	" WHERE tone IS NOT NULL AND tone IS NOT (" LATEST_TONE ");",
	/* 21: a message stored finds the answers to it that came first
	 * (the Sent folder imported before the Inbox, mail out of order)
	 * and the tickets they started (ingest.c): one probe a message,
	 * nearly always empty. Only answers whose In-Reply-To named no
	 * message held when they came (orphan) are indexed: an index of
	 * every reply cost an import of replies about 12% of its rate; this
	 * one holds the few that wait. Those of the store so far are found
	 * once, here: only a ticket's first message can be one (read
	 * through messages_ticket, not the whole table), whose In-Reply-To
	 * names neither a message held (the unique Message-ID index) nor
	 * an acknowledgement we sent (outbox_mail_id). */
	"ALTER TABLE messages ADD COLUMN orphan INTEGER NOT NULL DEFAULT 0;"
	"UPDATE messages SET orphan = 1 WHERE id IN (SELECT min(id)"
	"  FROM messages GROUP BY ticket_id)"
	" AND in_reply_to IS NOT NULL"
	" AND NOT EXISTS (SELECT 1 FROM messages p"
	"  WHERE p.message_id = messages.in_reply_to)"
	" AND NOT EXISTS (SELECT 1 FROM outbox o"
	"  WHERE o.mail_id = messages.in_reply_to);"
	"CREATE INDEX messages_orphan ON messages(in_reply_to)"
	" WHERE orphan;",
	/* 22: an early answer is found by any id it names, not only its
	 * In-Reply-To: a reply whose parent never comes (an answer from
	 * another system, a forward) names the thread's first mail only in
	 * its References. Its ids go to message_waits, which replaces
	 * messages_orphan (filled from it: read through that index, not the
	 * whole table). References are space-separated ids. */
	"CREATE TABLE message_waits ("
	" ref TEXT NOT NULL,"
	" message_id INTEGER NOT NULL REFERENCES messages(id),"
	" PRIMARY KEY (ref, message_id)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO message_waits(ref, message_id)"
	" SELECT in_reply_to, id FROM messages INDEXED BY messages_orphan"
	" WHERE orphan;"
	"WITH RECURSIVE r(id, ref, rest) AS ("
	" SELECT id, '', refs || ' ' FROM messages INDEXED BY messages_orphan"
	"  WHERE orphan AND refs IS NOT NULL"
	" UNION ALL SELECT id, substr(rest, 1, instr(rest, ' ') - 1),"
	"  substr(rest, instr(rest, ' ') + 1) FROM r WHERE rest <> '')"
	" INSERT OR IGNORE INTO message_waits(ref, message_id)"
	" SELECT ref, id FROM r WHERE ref <> '';"
	"DROP INDEX messages_orphan;",

	/* 23: a mailbox's tickets by status, as an assignee's are: the web
	 * app counts each mailbox's open tickets (new, open, pending) on
	 * every live change, in every browser, and with (mailbox_id, id)
	 * alone a status few tickets have walked the whole mailbox
	 * (130-320 ms at 180,000 tickets, where the other counts take
	 * 1-8). (mailbox_id, id) stays for a mailbox's pages of every
	 * status, which a search may walk ticket by ticket. */
	"CREATE INDEX tickets_mailbox_status ON tickets(mailbox_id, status,"
	" id);"
	/* Disabling an agent now gives their tickets that are not solved
	 * or closed back to Unassigned (store_desk_agent_access): so do
	 * those of agents disabled before, with the same event, but for
	 * the notifications its trigger gives followers (one a ticket, all
	 * at once, of a change made long ago). */
	"CREATE TEMP TABLE step23(n INTEGER);"
	"INSERT INTO step23 SELECT coalesce(max(id), 0) FROM notifications;"
	"INSERT INTO events(ticket_id, actor_agent_id, kind, data,"
	" created_at) SELECT t.id, NULL, 'ticket.updated',"
	" json_object('assignee_id', NULL, 'disabled_agent_id',"
	" t.assignee_id),"
	" CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
	" FROM tickets t JOIN agents a ON a.id = t.assignee_id"
	" WHERE a.disabled AND t.status < 3 ORDER BY t.id;"
	"UPDATE tickets SET assignee_id = NULL WHERE status < 3 AND"
	" assignee_id IN (SELECT id FROM agents WHERE disabled);"
	"DELETE FROM notifications WHERE id > (SELECT n FROM step23);"
	"DROP TABLE step23;"
	/* A mass reply's mails (mass = 1) go after the others due: a
	 * colleague's single reply waited behind two thousand of them, a
	 * hosted relay taking a few a second made that minutes. The
	 * outbox picks its next mail off this index. */
	"ALTER TABLE outbox ADD COLUMN mass INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX outbox_mass ON outbox(mass, next_attempt_at)"
	" WHERE state = 'queued';",
};

#define NSTEPS ((int)(sizeof(steps) / sizeof(steps[0])))

/* Schema version this build expects. */
int
migrations_latest(void)
{
	return NSTEPS;
}

/* *v = the integer sql answers (one row, one column). */
static int
int_query(sqlite3 *db, const char *sql, int *v)
{
	sqlite3_stmt *st = NULL;
	int src;

	src = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (src != SQLITE_OK)
		return src;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		src = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return src;
}

static int
user_version(sqlite3 *db, int *v)
{
	return int_query(db, "PRAGMA user_version", v);
}

static enum tame_err
map(int src)
{
	src &= 0xff;
	if (src == SQLITE_BUSY || src == SQLITE_LOCKED)
		return TAME_EBUSY;
	return TAME_ESTORE;
}

/* Applies the missing steps. See migrations.h. */
enum tame_err
migrations_run(sqlite3 *db, int apply, char *err, size_t errlen)
{
	enum tame_err rc = TAME_OK;
	char sql[64];
	char *msg = NULL;
	int v = 0, n = 0, src, intx = 0, from = 0;
	int64_t t0 = 0;

	err[0] = '\0';
	if ((src = user_version(db, &v)) != SQLITE_OK) {
		snprintf(err, errlen, "schema version: %s", sqlite3_errmsg(db));
		return map(src);
	}
	if (v > NSTEPS) {
		snprintf(err, errlen, "schema version %d is newer than this "
		    "build (%d)", v, NSTEPS);
		return TAME_ESTORE;
	}
	if (v == NSTEPS || apply < 0)
		return TAME_OK;
	if (!apply) {
		snprintf(err, errlen, "schema version %d, need %d: run the "
		    "migrations first", v, NSTEPS);
		return TAME_ESTORE;
	}
	/* Re-read under the write lock: another process may have migrated
	 * while we waited. */
	if ((src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg)))
		goto fail;
	intx = 1;
	if ((src = user_version(db, &v)) != SQLITE_OK)
		goto fail;
	/* version 0 with tables in it: another program's database under
	 * the store's name (a mistyped --data), not to be written into.
	 * Looked at under the write lock, where no other process can be
	 * half-way through making a store */
	if (v == 0 && (src = int_query(db, "SELECT count(*) FROM "
	    "sqlite_master", &n)) != SQLITE_OK)
		goto fail;
	if (v == 0 && n > 0) {
		snprintf(err, errlen, "the file holds %d tables or indexes "
		    "of another program, not a Tame store", n);
		rc = TAME_ESTORE;
		goto out;
	}
	/* done by the process we waited for, or by a newer build */
	if (v > NSTEPS) {
		snprintf(err, errlen, "schema version %d is newer than this "
		    "build (%d)", v, NSTEPS);
		rc = TAME_ESTORE;
		goto out;
	}
	if (v == NSTEPS) {
		if ((src = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg)))
			goto fail;
		intx = 0;
		goto out;
	}
	/* an upgrade may take a while (18 indexes every message again) */
	from = v;
	t0 = tame_mono_ms();
	if (v > 0)
		tame_log(TAME_LOG_INFO, "store: upgrading the schema from "
		    "version %d to %d", v, NSTEPS);
	for (; v < NSTEPS; v++) {
		if ((src = sqlite3_exec(db, steps[v], NULL, NULL, &msg)))
			goto fail;
	}
	if (snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", NSTEPS) >=
	    (int)sizeof(sql)) {
		snprintf(err, errlen, "schema version text");
		rc = TAME_ESTORE;
		goto out;
	}
	if ((src = sqlite3_exec(db, sql, NULL, NULL, &msg)))
		goto fail;
	if ((src = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg)))
		goto fail;
	intx = 0;
	if (from > 0)
		tame_log(TAME_LOG_INFO, "store: schema upgraded from version "
		    "%d to %d in %lld ms", from, NSTEPS,
		    (long long)(tame_mono_ms() - t0));
	goto out;
fail:
	snprintf(err, errlen, "migration to %d: %s", v + 1,
	    msg ? msg : sqlite3_errmsg(db));
	rc = map(src);
out:
	sqlite3_free(msg);
	if (rc && intx)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
