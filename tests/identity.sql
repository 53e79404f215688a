-- identity.c: ID numbers, ages, masks.  Expected values in identity.out were
-- worked out by hand from GB 11643-1999 (arithmetic below) and re-checked
-- with a few lines of /usr/bin/python3 (an independent implementation).
--
-- Check character: digits d1..d17 times weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
-- sum mod 11 indexes "10X98765432".
--  11010519491231002X: 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 -> X
--  141129195202290011: 7+36+10+5+16+36+2+9+30+6+0+18+20+45+0+0+2 = 242; mod 11 = 0 -> 1
--  110105194902300020: 7+9+0+5+0+20+2+9+24+27+0+18+30+0+0+0+4 = 155; mod 11 = 1 -> 0
--                      (check right, but there is no 30 February)
--  110105190002290025: 7+9+0+5+0+20+2+9+0+0+0+18+20+45+0+0+4 = 139; mod 11 = 7 -> 5
--                      (check right, but 1900 is not a leap year)
--  110105200002290021: 7+9+0+5+0+20+4+0+0+0+0+18+20+45+0+0+4 = 132; mod 11 = 0 -> 1
--                      (2000 is a leap year: valid)
--  14112919490118001X: 7+36+10+5+16+36+2+9+24+27+0+9+10+40+0+0+2 = 233; mod 11 = 2 -> X
.headers off
.mode list
.nullvalue NULL

-- idcard_valid: 0/1, never NULL
SELECT 'valid X', idcard_valid('11010519491231002X');
SELECT 'valid lower x', idcard_valid('11010519491231002x');
SELECT 'valid 29 Feb 1952', idcard_valid('141129195202290011');
SELECT 'valid 29 Feb 2000', idcard_valid('110105200002290021');
SELECT 'wrong check', idcard_valid('110105194912310021');
SELECT 'no 30 Feb', idcard_valid('110105194902300020');
SELECT 'no 29 Feb 1900', idcard_valid('110105190002290025');
SELECT 'month 13', idcard_valid('110105194913310020');
SELECT 'letter inside', idcard_valid('11010519491231A02X');
SELECT 'X inside', idcard_valid('1101051949123100X2');
SELECT 'too short', idcard_valid('11010519491231002');
SELECT 'too long', idcard_valid('11010519491231002X0');
SELECT 'padded', idcard_valid(' 11010519491231002X');
SELECT 'empty', idcard_valid('');
SELECT 'NULL', idcard_valid(NULL);
SELECT 'integer', idcard_valid(141129195202290011);
SELECT 'real', idcard_valid(1.5);
SELECT 'blob', idcard_valid(CAST('141129195202290011' AS BLOB));
SELECT 'invalid UTF-8', idcard_valid(CAST(x'ff31313130353139343931323331303032' AS TEXT));
SELECT 'full-width digits', idcard_valid('１１０１０５１９４９１２３１００２Ｘ');
SELECT 'long', idcard_valid(printf('%.*c', 100000, '1'));

-- extractors: NULL for an invalid ID
SELECT 'birth', idcard_birth('11010519491231002X');
SELECT 'birth 29 Feb', idcard_birth('141129195202290011');
SELECT 'birth invalid', idcard_birth('110105194902300020');
SELECT 'birth NULL', idcard_birth(NULL);
SELECT 'sex F (2 even)', idcard_sex('11010519491231002X');
SELECT 'sex M (1 odd)', idcard_sex('141129195202290011');
SELECT 'sex invalid', idcard_sex('110105194912310021');
SELECT 'region', idcard_region('11010519491231002X');
SELECT 'region integer', idcard_region(141129195202290011);
SELECT 'region invalid', idcard_region('abc');
SELECT 'region blob', idcard_region(x'00');

-- age_on: full years; 29 Feb birthdays turn a year older on 1 March in
-- non-leap years
SELECT 'age before birthday', age_on('11010519491231002X', '2024-03-05');  -- 2024-1949-1
SELECT 'age on birthday', age_on('11010519491231002X', '2024-12-31');      -- 2024-1949
SELECT 'age day before', age_on('11010519491231002X', '2024-12-30');
SELECT 'feb29 on 28 Feb 2023', age_on('1952-02-29', '2023-02-28');         -- 2023-1952-1
SELECT 'feb29 on 1 Mar 2023', age_on('1952-02-29', '2023-03-01');          -- 2023-1952
SELECT 'feb29 on 28 Feb 2024', age_on('1952-02-29', '2024-02-28');         -- 2024-1952-1
SELECT 'feb29 on 29 Feb 2024', age_on('1952-02-29', '2024-02-29');         -- 2024-1952
SELECT 'feb29 ID on 28 Feb 2022', age_on('141129195202290011', '2022-02-28');
SELECT 'feb29 ID on 1 Mar 2022', age_on('141129195202290011', '2022-03-01');
SELECT 'integer ID', age_on(141129195202290011, '2022-03-01');
SELECT 'born that day', age_on('2024-03-05', '2024-03-05');
SELECT 'before birth', age_on('2024-03-06', '2024-03-05');
SELECT 'invalid ID', age_on('110105194912310021', '2024-03-05');
SELECT 'invalid birth', age_on('1952-02-30', '2024-03-05');
SELECT 'garbage', age_on('seventy', '2024-03-05');
SELECT 'empty x', age_on('', '2024-03-05');
SELECT 'NULL x', age_on(NULL, '2024-03-05');
SELECT 'NULL day', age_on('1952-02-29', NULL);
SELECT 'bad day month 13', age_on('1952-02-29', '2024-13-01');
SELECT 'bad day short', age_on('1952-02-29', '2024-3-5');
SELECT 'bad day 30 Feb', age_on('1952-02-29', '2023-02-30');
SELECT 'bad day integer', age_on('1952-02-29', 20240305);
SELECT 'bad day blob', age_on('1952-02-29', x'32');
SELECT 'bad day even with NULL x', age_on(NULL, 'today');

-- mask_name: 1 char -> *, 2 -> first kept, 3 -> first and last, 4+ -> first two
SELECT 'name 2', mask_name('张三');
SELECT 'name 3', mask_name('张三丰');
SELECT 'name 4', mask_name('欧阳娜娜');
SELECT 'name 5', mask_name('爱新觉罗溥');
SELECT 'name 1', mask_name('张');
SELECT 'name empty', '[' || mask_name('') || ']';
SELECT 'name latin', mask_name('Li Na');
SELECT 'name mixed', mask_name('A张');
SELECT 'name NULL', mask_name(NULL);
SELECT 'name integer', mask_name(123);
SELECT 'name long', length(mask_name(printf('%.*c', 100000, 'a'))), substr(mask_name(printf('%.*c', 100000, 'a')), 1, 4);
SELECT 'name bad UTF-8', mask_name(CAST(x'e5bca0ff' AS TEXT));
SELECT 'name blob', mask_name(x'e5bca0');

-- mask_id: 18 or 15 characters -> first 6 and last 4 kept, else all hidden
SELECT 'id 18', mask_id('14112919490118001X');
SELECT 'id 15', mask_id('141129490118001');
SELECT 'id other', mask_id('1411291949');
SELECT 'id empty', '[' || mask_id('') || ']';
SELECT 'id NULL', mask_id(NULL);
SELECT 'id integer', mask_id(141129195202290011);
SELECT 'id bad UTF-8', mask_id(CAST(x'3131ff' AS TEXT));
SELECT 'id blob', mask_id(x'31');
