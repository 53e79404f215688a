-- zhucan input tables (SPEC.md, "Input tables").  Loads in a plain sqlite3
-- shell: no CHECK or DEFAULT calls an extension function.  zhucan's own
-- tables (policy versions, settlement runs) are created by the extension on
-- first use, each with its immutability triggers.
PRAGMA foreign_keys = OFF;

CREATE TABLE IF NOT EXISTS region(
  code   TEXT PRIMARY KEY,
  parent TEXT,
  level  TEXT NOT NULL,   -- province|city|county|township|village|hamlet
  name   TEXT NOT NULL,
  policy TEXT,            -- name of the policy governing this region and below
  exempt TEXT             -- hamlet exempt from the courtyard duty: 'subsidence' | 'relocated'
);
CREATE INDEX IF NOT EXISTS region_parent ON region(parent);

CREATE TABLE IF NOT EXISTS site(
  id        INTEGER PRIMARY KEY,
  name      TEXT NOT NULL,
  region    TEXT NOT NULL,
  kind      TEXT NOT NULL,  -- canteen|courtyard|daycare|restaurant
  grade     INTEGER,
  area_m2   REAL,
  beds      INTEGER NOT NULL DEFAULT 0,
  opened_on TEXT NOT NULL,
  closed_on TEXT,
  slots     TEXT NOT NULL DEFAULT 'lunch'  -- comma list of breakfast,lunch,dinner served
);
CREATE INDEX IF NOT EXISTS site_region ON site(region);

CREATE TABLE IF NOT EXISTS elder(
  id        INTEGER PRIMARY KEY,
  id_number TEXT NOT NULL UNIQUE,
  name      TEXT NOT NULL,
  region    TEXT NOT NULL,  -- where the elder lives (village, hamlet or community)
  died_on   TEXT
);
CREATE INDEX IF NOT EXISTS elder_region ON elder(region);

CREATE TABLE IF NOT EXISTS elder_status(
  elder_id   INTEGER NOT NULL,
  status     TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to   TEXT
);
-- covering: an elder's record is read through these three indexes alone
CREATE INDEX IF NOT EXISTS elder_status_elder ON elder_status(elder_id, valid_from, status, valid_to);

CREATE TABLE IF NOT EXISTS card(
  token     TEXT PRIMARY KEY,  -- a meal card number or a face-enrolment id
  elder_id  INTEGER NOT NULL,
  issued_on TEXT NOT NULL,
  revoked_on TEXT
);
CREATE INDEX IF NOT EXISTS card_elder ON card(elder_id);

CREATE TABLE IF NOT EXISTS device(
  id      TEXT PRIMARY KEY,
  site_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS agreement(
  elder_id  INTEGER NOT NULL,
  site_id   INTEGER NOT NULL,
  signed_on TEXT NOT NULL,
  ended_on  TEXT,
  guardian  TEXT
);
CREATE INDEX IF NOT EXISTS agreement_elder ON agreement(elder_id, site_id, signed_on, ended_on);

CREATE TABLE IF NOT EXISTS bed_stay(
  elder_id    INTEGER NOT NULL,
  site_id     INTEGER NOT NULL,
  admitted_on TEXT NOT NULL,
  left_on     TEXT
);
CREATE INDEX IF NOT EXISTS bed_stay_elder ON bed_stay(elder_id, site_id, admitted_on, left_on);
CREATE INDEX IF NOT EXISTS bed_stay_site ON bed_stay(site_id);

CREATE TABLE IF NOT EXISTS meal(
  id        INTEGER PRIMARY KEY,
  elder_id  INTEGER NOT NULL,
  site_id   INTEGER NOT NULL,
  -- 'YYYY-MM-DD HH:MM:SS' (SPEC): a malformed time would fall outside
  -- every month's range and be left out of the month without a word, so it
  -- is refused here; zhucan checks tables made without this (meals.c)
  served_at TEXT NOT NULL CHECK (length(served_at) = 19 AND
    served_at GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]'),
  slot      TEXT NOT NULL,   -- breakfast|lunch|dinner
  method    TEXT NOT NULL,   -- card|face|manual|delivery
  device    TEXT,
  token     TEXT,
  price_fen INTEGER NOT NULL
);
-- by elder and time, covering: an elder's month in (served_at, id) order
-- for ordinals (nth_slot/day/month), subsidy_for, repeats and two_sites
CREATE INDEX IF NOT EXISTS meal_elder_time ON meal(elder_id, served_at, id, site_id, slot, method, price_fen, device, token);
-- by site and time, with the elder: who ate at a site in a month (settling
-- or replaying part of a database reads only those elders), over_report,
-- manual_heavy
CREATE INDEX IF NOT EXISTS meal_site_time ON meal(site_id, served_at, elder_id);
-- by device and time: card_burst
CREATE INDEX IF NOT EXISTS meal_device_time ON meal(device, served_at);
-- one meal per device, token and second: loading the same device export twice
-- adds nothing (sql/ingest.sql inserts with ON CONFLICT DO NOTHING; meals
-- without a device, e.g. typed in by hand, are not constrained: NULLs differ)
CREATE UNIQUE INDEX IF NOT EXISTS meal_swipe ON meal(device, token, served_at);
-- by time, covering: a month's meals in (served_at, id) order without
-- touching the table (settlement, settle, replay and anomaly_scan read the
-- month through it; about twice as fast as an index on served_at alone)
CREATE INDEX IF NOT EXISTS meal_time ON meal(served_at, id, elder_id, site_id, slot, method, price_fen, device, token);

CREATE TABLE IF NOT EXISTS site_report(
  site_id INTEGER NOT NULL,
  day     TEXT NOT NULL,
  slot    TEXT NOT NULL,
  diners  INTEGER NOT NULL,
  PRIMARY KEY(site_id, day, slot)
);
