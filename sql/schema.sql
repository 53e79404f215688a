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

-- ---------------------------------------------------------------------
-- Public notices (公示) and accountability (docs/notices.md).  Optional:
-- money, settlement and scans never read them; notice(), notice_html()
-- and notice_due() name the table they miss.  `.read sql/schema.sql` on an
-- existing database adds only what is missing (IF NOT EXISTS throughout).

-- people who run a site: the person in charge (负责人) and caregivers (养老护理员)
CREATE TABLE IF NOT EXISTS staff(
  id      INTEGER PRIMARY KEY,
  site_id INTEGER NOT NULL,
  role    TEXT NOT NULL,   -- in_charge|caregiver
  name    TEXT NOT NULL,
  phone   TEXT,            -- 11-digit mobile; printed masked (138****5678)
  from_on TEXT NOT NULL,   -- [from_on, to_on)
  to_on   TEXT
);
CREATE INDEX IF NOT EXISTS staff_site ON staff(site_id, from_on);

-- the weekly menu (每周食谱): one row per site, week, weekday and slot
CREATE TABLE IF NOT EXISTS menu(
  site_id INTEGER NOT NULL,
  week    TEXT NOT NULL,     -- the Monday 'YYYY-MM-DD' of the week
  weekday INTEGER NOT NULL,  -- 1 Monday .. 7 Sunday
  slot    TEXT NOT NULL,     -- breakfast|lunch|dinner
  dishes  TEXT NOT NULL,     -- '小米粥、馒头、炒土豆丝'
  PRIMARY KEY(site_id, week, weekday, slot)
);

-- food purchases and other spending (上月食材采购清单和各项开支)
CREATE TABLE IF NOT EXISTS purchase(
  id         INTEGER PRIMARY KEY,
  site_id    INTEGER NOT NULL,
  day        TEXT NOT NULL,
  kind       TEXT NOT NULL,  -- food|fuel|utilities|wages|supplies|other
  item       TEXT NOT NULL,  -- '面粉', '液化气', '护理员报酬'
  quantity   REAL,
  unit       TEXT,           -- '斤', '瓶', '人·月'
  amount_fen INTEGER NOT NULL,
  supplier   TEXT,
  receipt_no TEXT
);
CREATE INDEX IF NOT EXISTS purchase_site_day ON purchase(site_id, day);

-- laundry help given (助洁): one row per elder, site and day
CREATE TABLE IF NOT EXISTS laundry(
  id       INTEGER PRIMARY KEY,
  elder_id INTEGER NOT NULL,
  site_id  INTEGER NOT NULL,
  day      TEXT NOT NULL,
  items    TEXT              -- '床单、被罩'
);
CREATE INDEX IF NOT EXISTS laundry_site_day ON laundry(site_id, day);

-- a notice put up on the board: the month it covers, when it went up and
-- came down ([posted_on, taken_down_on): taken down on the 15th after going
-- up on the 10th is 5 days; NULL = still up), and where
CREATE TABLE IF NOT EXISTS notice_posting(
  id            INTEGER PRIMARY KEY,
  site_id       INTEGER NOT NULL,
  month         TEXT NOT NULL,   -- 'YYYY-MM', the month the notice reports
  posted_on     TEXT NOT NULL,
  taken_down_on TEXT,
  place         TEXT             -- '村委会公示栏'
);
CREATE INDEX IF NOT EXISTS notice_posting_site ON notice_posting(site_id, month);

-- meal fees paid by a family member (子女代缴伙食费), for the honour roll
CREATE TABLE IF NOT EXISTS copayment(
  id         INTEGER PRIMARY KEY,
  elder_id   INTEGER NOT NULL,
  payer_name TEXT NOT NULL,
  relation   TEXT NOT NULL,  -- son|daughter|daughter_in_law|son_in_law|grandchild|guardian|other
  month      TEXT NOT NULL,  -- 'YYYY-MM' the fees are for
  amount_fen INTEGER NOT NULL,
  paid_on    TEXT
);
CREATE INDEX IF NOT EXISTS copayment_month ON copayment(month, elder_id);

-- donations (社会捐赠): money (amount_fen) or goods (goods, with their
-- value in amount_fen when known), to a site or to a fund (site_id NULL)
CREATE TABLE IF NOT EXISTS donation(
  id         INTEGER PRIMARY KEY,
  donor      TEXT NOT NULL,
  kind       TEXT NOT NULL,  -- enterprise|society|individual
  day        TEXT NOT NULL,
  amount_fen INTEGER,
  goods      TEXT,           -- '面粉 20 袋、食用油 10 桶'
  site_id    INTEGER,
  fund       TEXT            -- '中阳县千万养怡助老基金' when not to a site
);
CREATE INDEX IF NOT EXISTS donation_site ON donation(site_id, day);

-- time bank and credit points (时间银行 / 信用积分, docs/credit.md).  Points
-- are counted in thousandths ("milli-points", whole numbers): 2.5 points is
-- 2500.  The rules (tiers, cap, expiry, transfers, redemption rates) are the
-- `credit` section of the policy governing the account's region.

-- an account: a volunteer, or anyone who receives time (an elder, a spouse)
CREATE TABLE IF NOT EXISTS volunteer(
  id        INTEGER PRIMARY KEY,
  id_number TEXT NOT NULL UNIQUE,   -- resident ID: age for transfers and redemption, and the
                                    -- link to elder.id_number for a meal co-payment
  name      TEXT NOT NULL,
  region    TEXT NOT NULL,          -- where the account is kept (its policy's credit rules)
  joined_on TEXT
);

-- time served (志愿服务时长): whole minutes (90 = 1.5 hours); hours not
-- verified (verified_by NULL) earn nothing until someone confirms them
CREATE TABLE IF NOT EXISTS credit_hours(
  id           INTEGER PRIMARY KEY,
  volunteer_id INTEGER NOT NULL,
  day          TEXT NOT NULL,
  minutes      INTEGER NOT NULL,
  activity     TEXT NOT NULL,       -- meal_delivery|meal_help|laundry|visit|escort|cleaning|other
  verified_by  TEXT                 -- who confirmed it: '站长 王丽娜', '村委 李志强'
);
CREATE INDEX IF NOT EXISTS credit_hours_volunteer ON credit_hours(volunteer_id, day, id, minutes, verified_by);

-- points spent (积分兑换): on a meal's co-payment (meal_id, and the fen it
-- pays), goods of the credit supermarket (信用超市) or a service
CREATE TABLE IF NOT EXISTS credit_redemption(
  id           INTEGER PRIMARY KEY,
  volunteer_id INTEGER NOT NULL,
  day          TEXT NOT NULL,
  points_milli INTEGER NOT NULL,    -- points spent, thousandths
  what         TEXT NOT NULL,       -- meal|goods|service
  meal_id      INTEGER,             -- what = 'meal': the meal whose co-payment it pays
  fen          INTEGER,             -- the money it stands for (points x the policy's rate)
  note         TEXT                 -- '大米 5 斤', '理发'
);
CREATE INDEX IF NOT EXISTS credit_redemption_volunteer ON credit_redemption(volunteer_id, day, id);
CREATE INDEX IF NOT EXISTS credit_redemption_meal ON credit_redemption(meal_id);

-- points given (转赠) to another account, or donated (捐赠) to a fund:
-- to_id NULL, relation 'donation', fund named
CREATE TABLE IF NOT EXISTS credit_transfer(
  id           INTEGER PRIMARY KEY,
  from_id      INTEGER NOT NULL,
  to_id        INTEGER,
  relation     TEXT NOT NULL,       -- spouse|parent|child|grandparent|grandchild|sibling|relative|friend|donation
  day          TEXT NOT NULL,
  points_milli INTEGER NOT NULL,
  fund         TEXT                 -- '荣成市时间银行公益池' for a donation
);
CREATE INDEX IF NOT EXISTS credit_transfer_from ON credit_transfer(from_id, day, id);
CREATE INDEX IF NOT EXISTS credit_transfer_to ON credit_transfer(to_id, day, id);
-- ---------------------------------------------------------------------
-- Needs watch (主动发现, docs/needs.md).  Optional: money, settlement and
-- the scans never read it; needs_watch() names the table when it is
-- missing.
--
-- an elder's spouse (配偶): one row per marriage.  When the spouse is an
-- elder too, give the spouse's id_number and leave died_on NULL: the death
-- is then read from elder.died_on (one place for a death); otherwise record
-- the spouse's death here.
CREATE TABLE IF NOT EXISTS spouse(
  elder_id  INTEGER NOT NULL,
  name      TEXT NOT NULL,
  id_number TEXT,            -- the spouse's ID number when known
  died_on   TEXT             -- 'YYYY-MM-DD', for a spouse not in table elder
);
CREATE INDEX IF NOT EXISTS spouse_elder ON spouse(elder_id);
