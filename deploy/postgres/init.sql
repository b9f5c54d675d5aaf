-- Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d).
-- One role and one database per service, each owning only its own database.
-- Passwords come from the container's environment (psql \getenv, PostgreSQL 15+), never from
-- this file; an unset variable leaves the :'...' reference unexpanded and the script fails.
\set ON_ERROR_STOP on

\getenv queue_password CW_PG_QUEUE_PASSWORD
\getenv video_password CW_PG_VIDEO_PASSWORD
\getenv face_password CW_PG_FACE_PASSWORD
\getenv esign_password CW_PG_ESIGN_PASSWORD

CREATE ROLE queue LOGIN PASSWORD :'queue_password';
CREATE ROLE video LOGIN PASSWORD :'video_password';
CREATE ROLE face LOGIN PASSWORD :'face_password';
CREATE ROLE esign LOGIN PASSWORD :'esign_password';

CREATE DATABASE queue OWNER queue;
CREATE DATABASE video OWNER video;
CREATE DATABASE face OWNER face;
CREATE DATABASE esign OWNER esign;

-- Services must not reach each other's data: no CONNECT for anyone but the owner.
REVOKE ALL ON DATABASE queue, video, face, esign FROM PUBLIC;
