-- warroom database, version 7 -> 8: notification.
-- Applied by core/db.c in the same transaction as the other pending
-- migrations; never edit a released migration, add the next one.
--
-- `notify` (core/notify.c) sends each customer one message per template,
-- exactly once: the row is written and committed in state 'sending'
-- before the message goes to the SMTP server, and set to 'sent' (with
-- the server's reply) or 'failed' (with the error) after. A row still
-- 'sending' whose process is gone (claim: "pid:start", as revoke's) had
-- its outcome lost: the next run makes it 'unknown', which is re-sent
-- only when asked (--resend-unknown), with the same Message-ID so that a
-- recipient's mail software can tell a repeat. UNIQUE(customer, template):
-- one template never reaches one customer twice. The customer is its
-- name, as cert.customer links it (migrate-006.sql).
CREATE TABLE message (
  id            INTEGER PRIMARY KEY,
  customer      TEXT NOT NULL,
  template      TEXT NOT NULL,
  contact       TEXT NOT NULL,          -- the address it was sent to
  state         TEXT NOT NULL
                CHECK (state IN ('sending', 'sent', 'failed', 'unknown')),
  message_id    TEXT NOT NULL,          -- <...@domain>, in its header
  attempts      INTEGER NOT NULL DEFAULT 0,
  created       INTEGER NOT NULL,
  attempted_at  INTEGER,                -- the newest attempt began
  sent_at       INTEGER,                -- the server accepted it
  reply         TEXT,                   -- the server's last reply line
  error         TEXT,                   -- why it failed, or is unknown
  claim         TEXT,                   -- "pid:start" of the sending run
  UNIQUE (customer, template)
);
CREATE INDEX message_state ON message(state);
