-- OCR misreadings: folded words (what Reelscan uses) vs pg_trgm word_similarity.
-- Run on any PostgreSQL with pg_trgm (the embedded pgserver lacks it): psql -f bench/ocr_fuzzy_match.sql
-- Measured 2026-11-23 on PostgreSQL 15.18 (Debian): see bench/results/ocr-fuzzy-20261123.txt
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TEMP TABLE pairs(shown text, read text);
INSERT INTO pairs VALUES
 ('EXIT 12','EXlT 12'),('EXIT','EXIT'),('HARBOUR VIEW','HARB0UR VIEW'),('SALE','5ALE'),('BOOKS','B00KS'),
 ('MODERN ART','MODEM ART'),('CLOSED','CL0SED'),('OPEN','0PEN'),('WELCOME','VVELCOME'),('STATION','STATlON'),
 ('PARKING','PARKlNG'),('TICKETS','TlCKETS'),('PLATFORM 9','PLATF0RM 9'),('BRIDGE ST','BRlDGE ST'),
 ('HOSPITAL','HOSPTAL'),('CENTRE','CENTKE'),('STREET','STRFET'),('LIBRARY','LIBRAHY'),('MUSEUM','MUSEUN'),
 ('AIRPORT','AIRP0RT'),('EXIT','EXT'),('STOP','ST0P'),('MAIN ST','MAlN ST'),('NORTH','NOHTH');
SELECT count(*) AS pairs,
  sum((to_tsvector('simple', replace(replace(translate(lower(read), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w'))
       @@ plainto_tsquery('simple', replace(replace(translate(lower(shown), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w')))::int) AS folded,
  sum((to_tsvector('english', read) @@ plainto_tsquery('english', shown))::int) AS exact_words,
  sum((word_similarity(lower(shown), lower(read)) >= 0.6)::int) AS trigram_default,
  sum((word_similarity(lower(shown), lower(read)) >= 0.4)::int) AS trigram_04,
  sum(((to_tsvector('simple', replace(replace(translate(lower(read), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w'))
       @@ plainto_tsquery('simple', replace(replace(translate(lower(shown), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w'))) or word_similarity(lower(shown), lower(read)) >= 0.6)::int) AS folded_or_trigram
FROM pairs;
SELECT shown, read, round(word_similarity(lower(shown), lower(read))::numeric, 2) AS sim,
  to_tsvector('simple', replace(replace(translate(lower(read), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w'))
       @@ plainto_tsquery('simple', replace(replace(translate(lower(shown), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w')) AS folded
FROM pairs;
-- false matches: a query for a word against OCR text of other words
CREATE TEMP TABLE words AS SELECT unnest(ARRAY['EXIT','EXAM','EDIT','EXILE','TEXT','SALT','SALE','SOLE','BOOK','LOOK','BOOT','OPEN','OVEN','STOP','SHOP','STEP','MAIN','RAIN','NORTH','NORTHERN','STATION','NATION','MUSEUM','HOSPITAL','CENTRE','CENTER']) AS w;
SELECT a.w AS q, count(*) FILTER (WHERE a.w<>b.w AND word_similarity(lower(a.w), lower(b.w)) >= 0.6) AS trigram_false,
  count(*) FILTER (WHERE a.w<>b.w AND to_tsvector('simple', replace(replace(translate(lower(b.w), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w')) @@ plainto_tsquery('simple', replace(replace(translate(lower(a.w), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w'))) AS folded_false
FROM words a, words b GROUP BY a.w HAVING count(*) FILTER (WHERE a.w<>b.w AND word_similarity(lower(a.w), lower(b.w)) >= 0.6) > 0 OR count(*) FILTER (WHERE a.w<>b.w AND to_tsvector('simple', replace(replace(translate(lower(b.w), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w')) @@ plainto_tsquery('simple', replace(replace(translate(lower(a.w), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w'))) > 0;
