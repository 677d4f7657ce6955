-- The PostgreSQL role and database weizhi needs. As the postgres superuser:
--   sudo -u postgres psql -v password="$(cat /root/weizhi-db-password)" -f deploy/postgresql.sql
-- then put the same password in DATABASE_URL (postgres://weizhi:PASSWORD@127.0.0.1:5432/weizhi).
--
-- One role, owner of its own database and schema, and nothing more: not a superuser, it cannot
-- create databases or roles, and it reaches no other database. It must own the schema because
-- `manage.py migrate` creates and alters tables (and the audit logs' append-only triggers) and
-- `manage.py restore` drops and re-creates everything in it. A second role for the web
-- processes with only SELECT/INSERT/UPDATE/DELETE would not make the audit logs safer: their
-- guard is a trigger that a session may open with a setting any role can set.

\set ON_ERROR_STOP on
-- Other names with -v role=… -v database=… (deploy/smoke.py does so).
\if :{?role}
\else
    \set role weizhi
\endif
\if :{?database}
\else
    \set database weizhi
\endif

CREATE ROLE :"role" LOGIN PASSWORD :'password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- UTF-8, as Chinese text needs; template0, so the encoding can differ from the cluster's.
CREATE DATABASE :"database" OWNER :"role" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;

\connect :"database"
-- PostgreSQL 15 and newer give the schema to the database's owner already; 13 and 14 need this.
ALTER SCHEMA public OWNER TO :"role";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
