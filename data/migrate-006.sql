-- warroom database, version 5 -> 6: customers are rows of their own.
-- A customer has one contact and one critical flag, so that a contact is
-- corrected once (warroom customer set) and Customer Relations records an
-- acknowledgement once (warroom ack), whatever its number of certificates.
--
-- The link stays cert.customer, the customer's name (customer.name is
-- UNIQUE, and cert_customer indexes the join): every reader and writer of
-- version 5 (certs --customer, revoke --customer, delay, wave add, the
-- CSV import) selects certificates by that name, and no command renames
-- a customer. cert.contact stays what the customer list gave with the
-- certificate; the customer's contact is customer.contact, which certs
-- reads (and notification will).
CREATE TABLE customer (
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,  -- as cert.customer keeps it
  contact          TEXT,                  -- NULL: none known
  critical         INTEGER NOT NULL DEFAULT 0 CHECK (critical IN (0, 1)),
  acknowledged_at  INTEGER,               -- the newest acknowledgement; NULL: none
  acknowledged_by  TEXT,
  ack_note         TEXT,
  created          INTEGER NOT NULL,
  updated          INTEGER NOT NULL
);

-- Where a certificate is deployed, for probing: space-separated
-- host[:port], as the customer list gave it, normalised (host lower-case,
-- an IPv6 address in brackets in RFC 5952 form, port 443 left out, each
-- once); NULL: its DNS SANs on port 443.
ALTER TABLE cert ADD COLUMN endpoints TEXT;

-- Version 5's customers: one row per name, with the contact of its first
-- certificate that has one; none is critical or acknowledged yet. Created
-- when the newest customer list was imported, else with the incident.
INSERT INTO customer(name, contact, critical, created, updated)
  SELECT c.customer,
         (SELECT c2.contact FROM cert c2 WHERE c2.customer = c.customer
            AND c2.contact IS NOT NULL AND c2.contact <> '' ORDER BY c2.id LIMIT 1),
         0, t.at, t.at
  FROM cert c,
       (SELECT COALESCE((SELECT max(at) FROM event WHERE action = 'customers'),
                        (SELECT created FROM incident), 0) AS at) t
  WHERE c.customer IS NOT NULL AND c.customer <> ''
  GROUP BY c.customer;

-- 'acknowledged' counts certificates, as 'notified' and 'replaced' do:
-- those whose customer has acknowledged. Kept by triggers, so that status
-- stays O(1): an acknowledgement adds its customer's certificates (an
-- indexed count of one customer's), and a certificate that joins or
-- leaves an acknowledged customer moves the count by one.
INSERT INTO counter(name, n) VALUES ('acknowledged', 0);
CREATE TRIGGER customer_upd_ack AFTER UPDATE OF acknowledged_at ON customer
  WHEN (OLD.acknowledged_at IS NULL) <> (NEW.acknowledged_at IS NULL) BEGIN
  UPDATE counter SET n = n + (CASE WHEN NEW.acknowledged_at IS NULL THEN -1 ELSE 1 END)
    * (SELECT count(*) FROM cert WHERE customer = NEW.name)
   WHERE name = 'acknowledged';
END;
CREATE TRIGGER customer_upd_name AFTER UPDATE OF name ON customer
  WHEN OLD.name IS NOT NEW.name AND NEW.acknowledged_at IS NOT NULL
   AND OLD.acknowledged_at IS NOT NULL BEGIN
  UPDATE counter SET n = n - (SELECT count(*) FROM cert WHERE customer = OLD.name)
    + (SELECT count(*) FROM cert WHERE customer = NEW.name)
   WHERE name = 'acknowledged';
END;
CREATE TRIGGER customer_ins_ack AFTER INSERT ON customer
  WHEN NEW.acknowledged_at IS NOT NULL BEGIN
  UPDATE counter SET n = n + (SELECT count(*) FROM cert WHERE customer = NEW.name)
   WHERE name = 'acknowledged';
END;
CREATE TRIGGER customer_del_ack AFTER DELETE ON customer
  WHEN OLD.acknowledged_at IS NOT NULL BEGIN
  UPDATE counter SET n = n - (SELECT count(*) FROM cert WHERE customer = OLD.name)
   WHERE name = 'acknowledged';
END;
CREATE TRIGGER cert_ins_ack AFTER INSERT ON cert WHEN NEW.customer IS NOT NULL BEGIN
  UPDATE counter SET n = n + 1 WHERE name = 'acknowledged'
    AND EXISTS (SELECT 1 FROM customer WHERE name = NEW.customer
                  AND acknowledged_at IS NOT NULL);
END;
CREATE TRIGGER cert_del_ack AFTER DELETE ON cert WHEN OLD.customer IS NOT NULL BEGIN
  UPDATE counter SET n = n - 1 WHERE name = 'acknowledged'
    AND EXISTS (SELECT 1 FROM customer WHERE name = OLD.customer
                  AND acknowledged_at IS NOT NULL);
END;
CREATE TRIGGER cert_upd_customer AFTER UPDATE OF customer ON cert
  WHEN OLD.customer IS NOT NEW.customer BEGIN
  UPDATE counter SET n = n
    - (SELECT count(*) FROM customer WHERE name = OLD.customer AND acknowledged_at IS NOT NULL)
    + (SELECT count(*) FROM customer WHERE name = NEW.customer AND acknowledged_at IS NOT NULL)
   WHERE name = 'acknowledged';
END;
