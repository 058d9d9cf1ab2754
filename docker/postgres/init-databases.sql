-- One PostgreSQL server, two databases: Airflow's metadata and dadkhah's data, each owned by
-- its own role, so neither application can touch the other's tables.
--
-- The postgres image runs this once, when its data volume is first created, through
-- psql (>= 15, for \getenv). Names and passwords come from the container's environment
-- (set in .env; see .env.example). Every setting is checked before anything is created:
-- if one is missing or empty, psql stops with an error and nothing is half made.

\set ON_ERROR_STOP on
\getenv airflow_db AIRFLOW_DB_NAME
\getenv airflow_user AIRFLOW_DB_USER
\getenv airflow_password AIRFLOW_DB_PASSWORD
\getenv dadkhah_db DADKHAH_DB_NAME
\getenv dadkhah_user DADKHAH_DB_USER
\getenv dadkhah_password DADKHAH_DB_PASSWORD

SELECT (:{?airflow_db} AND :{?airflow_user} AND :{?airflow_password}
    AND :{?dadkhah_db} AND :{?dadkhah_user} AND :{?dadkhah_password}) AS all_set \gset
\if :all_set
\else
    \warn 'init-databases.sql: set AIRFLOW_DB_NAME, AIRFLOW_DB_USER, AIRFLOW_DB_PASSWORD, DADKHAH_DB_NAME, DADKHAH_DB_USER and DADKHAH_DB_PASSWORD'
    DO $$ BEGIN RAISE EXCEPTION 'database settings missing (see .env.example)'; END $$;
\endif
SELECT format('%s,%s,%s,%s,%s,%s', :'airflow_db', :'airflow_user', :'airflow_password',
    :'dadkhah_db', :'dadkhah_user', :'dadkhah_password') ~ '(^|,)(,|$)' AS any_empty \gset
\if :any_empty
    DO $$ BEGIN RAISE EXCEPTION 'a database setting is empty (see .env.example)'; END $$;
\endif

CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_user" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;

CREATE ROLE :"dadkhah_user" LOGIN PASSWORD :'dadkhah_password';
CREATE DATABASE :"dadkhah_db" OWNER :"dadkhah_user" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"dadkhah_db" FROM PUBLIC;
