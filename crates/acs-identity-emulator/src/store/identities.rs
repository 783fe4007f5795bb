//! Communication identities: created (customId kept unique by the schema), revoked, deleted.

use rusqlite::{OptionalExtension as _, params};

use super::{IdentityRecord, Store, StoreError};

impl Store {
    /// Creates an identity, or finds the one already mapped to `custom_id`. When `token_issued_at` is given, a
    /// token is being issued with it and `lastTokenIssuedAt` is updated. Returns the identity as it was
    /// before this call's token (the service returns the earlier `lastTokenIssuedAt` for a known customId)
    /// and whether it was created.
    pub(crate) fn create_identity(
        &self,
        fresh_suffix: &str,
        custom_id: Option<&str>,
        created_at: i64,
        token_issued_at: Option<i64>,
    ) -> Result<(IdentityRecord, bool), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO identities (suffix, custom_id, created_at, last_token_issued_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(custom_id) DO NOTHING",
            )?
            .execute(params![fresh_suffix, custom_id, created_at, token_issued_at])?;
        let result = if inserted == 1 {
            let record = IdentityRecord {
                suffix: fresh_suffix.to_owned(),
                custom_id: custom_id.map(str::to_owned),
                last_token_issued_at: token_issued_at,
                revoked_before_ns: None,
            };
            (record, true)
        } else {
            let record = tx
                .prepare_cached(
                    "SELECT suffix, custom_id, last_token_issued_at, revoked_before_ns FROM identities WHERE custom_id = ?1",
                )?
                .query_row([custom_id], identity_from_row)?;
            if let Some(at) = token_issued_at {
                tx.prepare_cached(
                    "UPDATE identities SET last_token_issued_at = ?1 WHERE suffix = ?2",
                )?
                .execute(params![at, record.suffix])?;
            }
            (record, false)
        };
        tx.commit()?;
        Ok(result)
    }

    /// The identity with this suffix, if it exists.
    pub(crate) fn identity(&self, suffix: &str) -> Result<Option<IdentityRecord>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached(
            "SELECT suffix, custom_id, last_token_issued_at, revoked_before_ns FROM identities WHERE suffix = ?1",
        )?;
        Ok(statement
            .query_row([suffix], identity_from_row)
            .optional()?)
    }

    /// Records that a token was issued; false when the identity does not exist.
    pub(crate) fn record_token_issued(&self, suffix: &str, at: i64) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        let changed = conn
            .prepare_cached("UPDATE identities SET last_token_issued_at = ?1 WHERE suffix = ?2")?
            .execute(params![at, suffix])?;
        Ok(changed == 1)
    }

    /// Revokes every token issued up to `at_ns`; false when the identity does not exist.
    pub(crate) fn revoke(&self, suffix: &str, at_ns: i64) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        let changed = conn
            .prepare_cached("UPDATE identities SET revoked_before_ns = ?1 WHERE suffix = ?2")?
            .execute(params![at_ns, suffix])?;
        Ok(changed == 1)
    }

    /// Deletes the identity, which frees its customId; false when it did not exist.
    pub(crate) fn delete_identity(&self, suffix: &str) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        let changed = conn
            .prepare_cached("DELETE FROM identities WHERE suffix = ?1")?
            .execute([suffix])?;
        Ok(changed == 1)
    }

    /// How many identities exist.
    pub(crate) fn identity_count(&self) -> Result<u64, StoreError> {
        let conn = self.conn()?;
        let count: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM identities")?
            .query_row([], |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}

fn identity_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<IdentityRecord> {
    Ok(IdentityRecord {
        suffix: row.get(0)?,
        custom_id: row.get(1)?,
        last_token_issued_at: row.get(2)?,
        revoked_before_ns: row.get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_id_maps_to_one_identity_until_deleted() {
        let store = Store::in_memory().unwrap();
        let (first, created) = store.create_identity("a", Some("alice"), 1, None).unwrap();
        assert!(created);
        let (again, created) = store
            .create_identity("b", Some("alice"), 2, Some(5))
            .unwrap();
        assert!(!created);
        assert_eq!(again.suffix, first.suffix);
        assert_eq!(
            again.last_token_issued_at, None,
            "the earlier value is returned"
        );
        assert_eq!(
            store.identity("a").unwrap().unwrap().last_token_issued_at,
            Some(5)
        );
        assert!(store.delete_identity("a").unwrap());
        let (third, created) = store.create_identity("c", Some("alice"), 3, None).unwrap();
        assert!(created);
        assert_eq!(third.suffix, "c");
        // Identities without customId never collide.
        assert!(store.create_identity("d", None, 4, None).unwrap().1);
        assert!(store.create_identity("e", None, 4, None).unwrap().1);
        assert_eq!(store.identity_count().unwrap(), 3);
    }
}
