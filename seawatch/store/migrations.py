"""Schema migrations for the SQLite store: ordered steps, applied once each, recorded in `schema_version`."""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger(__name__)

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE tracks (
            track_id TEXT PRIMARY KEY, mmsi INTEGER, t REAL NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
            sog_kn REAL, cog_deg REAL, heading_deg REAL, name TEXT, ship_type INTEGER,
            sources TEXT NOT NULL DEFAULT '', sensors TEXT NOT NULL DEFAULT '',
            nodes TEXT NOT NULL DEFAULT '',
            dark INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX tracks_mmsi ON tracks(mmsi);
        CREATE TABLE positions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, t REAL NOT NULL, track_id TEXT NOT NULL, mmsi INTEGER,
            lat REAL NOT NULL, lon REAL NOT NULL, sog_kn REAL, cog_deg REAL, heading_deg REAL,
            sensor TEXT NOT NULL, source TEXT NOT NULL, node TEXT NOT NULL
        );
        CREATE INDEX positions_t ON positions(t);
        CREATE INDEX positions_track_t ON positions(track_id, t);
        CREATE INDEX positions_mmsi_t ON positions(mmsi, t);
        CREATE TABLE history_files (
            path TEXT PRIMARY KEY, hour_start REAL NOT NULL, rows INTEGER NOT NULL,
            min_seq INTEGER NOT NULL, max_seq INTEGER NOT NULL
        );
        CREATE TABLE vessels (
            mmsi INTEGER PRIMARY KEY, shipname TEXT, callsign TEXT, imo INTEGER, ship_type INTEGER,
            length_m REAL, destination TEXT, first_seen REAL, last_seen REAL
        );
        CREATE TABLE identity_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT, mmsi INTEGER NOT NULL, t REAL, field TEXT NOT NULL,
            old TEXT, new TEXT, source TEXT
        );
        CREATE INDEX identity_changes_mmsi ON identity_changes(mmsi);
        CREATE TABLE events (
            event_id TEXT PRIMARY KEY, type TEXT NOT NULL, start REAL NOT NULL, end REAL NOT NULL,
            lat REAL NOT NULL, lon REAL NOT NULL, json TEXT NOT NULL, origin_node TEXT NOT NULL
        );
        CREATE INDEX events_start ON events(start);
        CREATE INDEX events_type_start ON events(type, start);
        CREATE TABLE event_vessels (
            event_id TEXT NOT NULL, mmsi INTEGER NOT NULL, PRIMARY KEY (event_id, mmsi)
        );
        CREATE INDEX event_vessels_mmsi ON event_vessels(mmsi);
        CREATE TABLE zones (
            zone_id TEXT PRIMARY KEY, name TEXT, kind TEXT, feature TEXT NOT NULL, updated_at REAL NOT NULL
        );
        CREATE TABLE watchlist (
            entry_id TEXT PRIMARY KEY, mmsi INTEGER, name TEXT, reason TEXT, created_by TEXT,
            created_at REAL NOT NULL
        );
        CREATE TABLE users (
            name TEXT PRIMARY KEY, role TEXT NOT NULL, pw_hash TEXT, created_at REAL NOT NULL
        );
        CREATE TABLE tokens (
            token_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            kind TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL
        );
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE sightings (
            sighting_id TEXT PRIMARY KEY, t REAL NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
            mmsi INTEGER, reported_by TEXT, json TEXT NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, t REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
            details TEXT NOT NULL
        );
        CREATE INDEX audit_action ON audit(action);
        CREATE TABLE ingest_batches (
            batch_id INTEGER PRIMARY KEY AUTOINCREMENT, committed_at REAL NOT NULL, received INTEGER NOT NULL,
            positions INTEGER NOT NULL, events INTEGER NOT NULL, rejected INTEGER NOT NULL
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE partner_items (
            origin TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT,
            t REAL, lat REAL, lon REAL, PRIMARY KEY (origin, seq)
        );
        """,
    ),
    (
        3,
        """
        CREATE TABLE assets (
            asset_id TEXT PRIMARY KEY, json TEXT NOT NULL, updated_at REAL NOT NULL
        );
        CREATE TABLE asset_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT, asset_id TEXT NOT NULL, t REAL NOT NULL,
            actor TEXT NOT NULL, action TEXT NOT NULL, details TEXT NOT NULL
        );
        CREATE INDEX asset_log_asset ON asset_log(asset_id, id);
        CREATE TABLE taskings (
            asset_id TEXT PRIMARY KEY, json TEXT NOT NULL, t REAL NOT NULL
        );
        """,
    ),
    (
        4,
        """
        CREATE TABLE alert_states (
            event_id TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT, actor TEXT NOT NULL, t REAL NOT NULL
        );
        CREATE TABLE user_profile (
            user TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at REAL NOT NULL,
            PRIMARY KEY (user, key)
        );
        """,
    ),
    (
        5,
        """
        ALTER TABLE tokens ADD COLUMN label TEXT;
        CREATE INDEX tokens_user ON tokens(user);
        CREATE TABLE reject_counts (
            source TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL, last_t REAL NOT NULL,
            PRIMARY KEY (source, reason)
        );
        CREATE TABLE reject_samples (
            id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, t REAL NOT NULL,
            reason TEXT NOT NULL, raw TEXT NOT NULL, line_no INTEGER
        );
        CREATE INDEX reject_samples_source ON reject_samples(source, id);
        """,
    ),
    (
        6,
        """
        ALTER TABLE reject_samples ADD COLUMN reason_key TEXT NOT NULL DEFAULT '';
        CREATE INDEX reject_samples_reason ON reject_samples(source, reason_key, id);
        """,
    ),
    (
        7,
        # Tokens issued before tokens expired get the default 90-day lifetime from their creation,
        # but at least a week from the upgrade, so an administrator can re-issue them in time.
        """
        UPDATE tokens SET expires_at = max(created_at + 7776000, CAST(strftime('%s', 'now') AS REAL) + 604800)
        WHERE expires_at IS NULL;
        """,
    ),
    (
        8,
        # Cases (seawatch/cases): the case, what it links (tracks, events, sightings, assets, vessels),
        # notes, attachments (files under cases/ in the data folder) and its timeline (who, when, what).
        """
        CREATE TABLE cases (
            case_id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL, outcome TEXT,
            summary TEXT NOT NULL DEFAULT '', opened_from TEXT NOT NULL, opened_ref TEXT,
            releasable_to TEXT NOT NULL DEFAULT '[]', origin_node TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL, created_by TEXT NOT NULL, updated_at REAL NOT NULL,
            version INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX cases_updated ON cases(updated_at);
        CREATE INDEX cases_status ON cases(status, updated_at);
        CREATE TABLE case_links (
            case_id TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE, kind TEXT NOT NULL,
            ref TEXT NOT NULL, mmsi INTEGER, label TEXT, t REAL NOT NULL, actor TEXT NOT NULL,
            PRIMARY KEY (case_id, kind, ref)
        );
        CREATE INDEX case_links_ref ON case_links(kind, ref);
        CREATE INDEX case_links_mmsi ON case_links(mmsi);
        CREATE TABLE case_notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
            t REAL NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL
        );
        CREATE INDEX case_notes_case ON case_notes(case_id, id);
        CREATE TABLE case_attachments (
            attachment_id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
            name TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
            t REAL NOT NULL, actor TEXT NOT NULL
        );
        CREATE INDEX case_attachments_case ON case_attachments(case_id, t);
        CREATE TABLE case_timeline (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
            t REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, details TEXT NOT NULL
        );
        CREATE INDEX case_timeline_case ON case_timeline(case_id, id);
        """,
    ),
    (
        9,
        # Chat (store/chat.py): rooms (one per case, regional ones between partners), messages with
        # their origin node and that node's sequence, machine translations beside the original.
        """
        CREATE TABLE chat_rooms (
            room_id TEXT PRIMARY KEY, kind TEXT NOT NULL, case_id TEXT, title TEXT NOT NULL,
            owner TEXT NOT NULL, members TEXT NOT NULL, status TEXT, created_t REAL NOT NULL,
            updated_t REAL NOT NULL
        );
        CREATE TABLE chat_messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT NOT NULL UNIQUE, room_id TEXT NOT NULL,
            origin TEXT NOT NULL, origin_seq INTEGER NOT NULL, author TEXT NOT NULL, t REAL NOT NULL,
            lang TEXT, lang_source TEXT NOT NULL, text TEXT, report TEXT, received_t REAL NOT NULL,
            UNIQUE (origin, origin_seq)
        );
        CREATE INDEX chat_messages_room ON chat_messages(room_id, seq);
        CREATE TABLE chat_translations (
            msg_id TEXT NOT NULL, lang TEXT NOT NULL, text TEXT NOT NULL, engine TEXT NOT NULL,
            t REAL NOT NULL, PRIMARY KEY (msg_id, lang)
        );
        """,
    ),
)


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at REAL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every step above the current version, each in its own transaction; return the new version."""
    version = current_version(conn)
    for step, sql in MIGRATIONS:
        if step <= version:
            continue
        log.info("applying store migration %d", step)
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, strftime('%s','now'))", (step,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = step
    return version
