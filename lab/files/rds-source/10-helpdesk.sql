-- The lab's "development RDS" as playbooks/migrate_dev_rds.yml finds it
-- (container lab-rds, under the endpoint name moto gives the instance
-- itsupport-dev-db). Loaded once by the image's first start, as root.
-- - the master user `admin`, as RDS creates it (every privilege, GRANT OPTION)
-- - the app user `helpdesk` with the password the vault holds for it
-- - database helpdesk: 3,000 tickets, a log table, members with NULLs and
--   non-ASCII names, a view, a trigger, a stored procedure and an event,
--   all with DEFINER `admin`@`%`: a user the target does not have.
-- Every value is fixed (no NOW(), no RAND()): the checksums are stable.
CREATE USER 'admin'@'%' IDENTIFIED BY 'lab-only-rds-admin-pw';
GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;
CREATE USER 'helpdesk'@'%' IDENTIFIED BY 'lab-only-helpdesk-pw';
GRANT ALL PRIVILEGES ON helpdesk.* TO 'helpdesk'@'%';

CREATE DATABASE helpdesk DEFAULT CHARACTER SET utf8mb4;
USE helpdesk;

CREATE TABLE digits (d INT PRIMARY KEY);
INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);

CREATE TABLE tickets (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  title VARCHAR(200) NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'open',
  opened_at DATETIME NOT NULL
) ENGINE=InnoDB;
INSERT INTO tickets (id, title, status, opened_at)
SELECT n + 1, CONCAT('Ticket ', n + 1), IF(MOD(n, 3) = 0, 'closed', 'open'),
       TIMESTAMP('2025-09-01 08:00:00') + INTERVAL n MINUTE
FROM (SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d AS n
      FROM digits a, digits b, digits c, digits e WHERE a.d < 3) AS numbers;

CREATE TABLE ticket_log (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ticket_id INT NOT NULL,
  note VARCHAR(200) NOT NULL
) ENGINE=InnoDB;
INSERT INTO ticket_log (ticket_id, note) VALUES (1, 'opened -> closed'), (4, 'opened -> closed');

CREATE TABLE members (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(200) NULL
) ENGINE=InnoDB;
INSERT INTO members VALUES (1, 'Ada', 'ada@example.org'), (2, 'Zoë', NULL), (3, 'Jürgen', 'j@example.org');

CREATE DEFINER = 'admin'@'%' SQL SECURITY DEFINER VIEW open_tickets AS
  SELECT id, title, opened_at FROM tickets WHERE status = 'open';

CREATE DEFINER = 'admin'@'%' TRIGGER tickets_status_log AFTER UPDATE ON tickets FOR EACH ROW
  INSERT INTO ticket_log (ticket_id, note) VALUES (NEW.id, CONCAT(OLD.status, ' -> ', NEW.status));

CREATE DEFINER = 'admin'@'%' PROCEDURE close_ticket(IN ticket INT)
  UPDATE tickets SET status = 'closed' WHERE id = ticket;

CREATE DEFINER = 'admin'@'%' EVENT purge_ticket_log ON SCHEDULE EVERY 1 DAY STARTS '2025-09-01 03:00:00'
  DO DELETE FROM ticket_log WHERE id < 0;
