//! The emulator's state, in SQLite: in memory by default, or a WAL-journaled file under the data directory.
//!
//! Every write is one transaction committed before the handler answers, so whatever a client saw
//! acknowledged survives a restart or a killed process (`synchronous=NORMAL` in WAL mode loses nothing on a
//! process crash; only a power loss may drop the last commits).

mod assignments;
mod identities;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension as _, params};

/// The database file's name under the data directory.
pub const DATABASE_FILE: &str = "acs-identity-emulator.sqlite3";

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS identities (
    suffix TEXT PRIMARY KEY,
    custom_id TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    last_token_issued_at INTEGER,
    revoked_before_ns INTEGER
);
CREATE TABLE IF NOT EXISTS teams_extension_assignments (
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    client_ids TEXT,
    PRIMARY KEY (tenant_id, object_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entra_assignments (
    object_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    client_ids TEXT NOT NULL
) WITHOUT ROWID;
";

/// A failure of the database. Its message names the SQLite error, never a stored value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("cannot create the data directory: {0}")]
    DataDir(#[from] std::io::Error),
    /// The database was written by a newer emulator.
    #[error("the database has schema version {0}, newer than this emulator's")]
    NewerSchema(i64),
    /// A thread panicked while holding the database.
    #[error("the database lock is poisoned")]
    Poisoned,
}

/// One communication identity as stored. `suffix` is the part after `8:acs:<resource>_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentityRecord {
    pub(crate) suffix: String,
    pub(crate) custom_id: Option<String>,
    /// Unix seconds.
    pub(crate) last_token_issued_at: Option<i64>,
    /// Tokens issued at or before this instant (Unix nanoseconds) are revoked.
    pub(crate) revoked_before_ns: Option<i64>,
}

/// An assignment row, shared by the Teams extension and Entra tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AssignmentRecord {
    pub(crate) tenant_id: String,
    pub(crate) object_id: String,
    pub(crate) principal_type: String,
    pub(crate) client_ids: Option<Vec<String>>,
}

/// The database: one connection behind a mutex, statements prepared once and cached.
pub(crate) struct Store {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// A private in-memory database, gone when the emulator stops.
    pub(crate) fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    /// The database file under `dir`, created with the directory when absent.
    pub(crate) fn in_dir(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)?;
        let conn = Connection::open(dir.join(DATABASE_FILE))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema(version));
        }
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    pub(super) fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    /// The stored setting `key`, if any.
    pub(crate) fn stored_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
        Ok(statement.query_row([key], |row| row.get(0)).optional()?)
    }

    /// The stored setting `key`: `explicit` when given (and then stored), else the stored value, else a new
    /// one from `generate` (stored too). Keeps keys, secrets and ids stable across restarts.
    pub(crate) fn setting(
        &self,
        key: &str,
        explicit: Option<String>,
        generate: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        let value = match explicit {
            Some(value) => value,
            None => match self.stored_setting(key)? {
                Some(value) => return Ok(value),
                None => generate(),
            },
        };
        self.conn()?
            .prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2")?
            .execute(params![key, value])?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_prefer_explicit_then_stored_then_generated() {
        let store = Store::in_memory().unwrap();
        assert_eq!(
            store.setting("k", None, || "generated".into()).unwrap(),
            "generated"
        );
        assert_eq!(
            store.setting("k", None, || "other".into()).unwrap(),
            "generated"
        );
        assert_eq!(
            store
                .setting("k", Some("explicit".into()), || "other".into())
                .unwrap(),
            "explicit"
        );
        assert_eq!(
            store.setting("k", None, || "other".into()).unwrap(),
            "explicit"
        );
    }
}
