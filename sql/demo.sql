.mode box
SELECT zhucan_version() AS version;
