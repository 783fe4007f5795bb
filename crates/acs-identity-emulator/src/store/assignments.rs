//! Teams extension and Entra assignments.

use rusqlite::{OptionalExtension as _, params};

use super::{AssignmentRecord, Store, StoreError};

impl Store {
    pub(crate) fn teams_extension_assignment(
        &self,
        tenant_id: &str,
        object_id: &str,
    ) -> Result<Option<AssignmentRecord>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached(
            "SELECT tenant_id, object_id, principal_type, client_ids FROM teams_extension_assignments
             WHERE tenant_id = ?1 AND object_id = ?2",
        )?;
        Ok(statement
            .query_row([tenant_id, object_id], assignment_from_row)
            .optional()?)
    }

    /// Creates or replaces; true when it was created.
    pub(crate) fn upsert_teams_extension_assignment(
        &self,
        record: &AssignmentRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let existed = tx
            .prepare_cached(
                "SELECT 1 FROM teams_extension_assignments WHERE tenant_id = ?1 AND object_id = ?2",
            )?
            .exists([&record.tenant_id, &record.object_id])?;
        tx.prepare_cached(
            "INSERT INTO teams_extension_assignments (tenant_id, object_id, principal_type, client_ids)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(tenant_id, object_id) DO UPDATE SET principal_type = ?3, client_ids = ?4",
        )?
        .execute(params![record.tenant_id, record.object_id, record.principal_type, client_ids_json(record)])?;
        tx.commit()?;
        Ok(!existed)
    }

    pub(crate) fn delete_teams_extension_assignment(
        &self,
        tenant_id: &str,
        object_id: &str,
    ) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        let changed = conn
            .prepare_cached(
                "DELETE FROM teams_extension_assignments WHERE tenant_id = ?1 AND object_id = ?2",
            )?
            .execute([tenant_id, object_id])?;
        Ok(changed == 1)
    }

    pub(crate) fn entra_assignment(
        &self,
        object_id: &str,
    ) -> Result<Option<AssignmentRecord>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached(
            "SELECT tenant_id, object_id, principal_type, client_ids FROM entra_assignments WHERE object_id = ?1",
        )?;
        Ok(statement
            .query_row([object_id], assignment_from_row)
            .optional()?)
    }

    /// One page of Entra assignments in object id order, and whether more follow.
    pub(crate) fn entra_assignments(
        &self,
        skip: u64,
        take: u64,
    ) -> Result<(Vec<AssignmentRecord>, bool), StoreError> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached(
            "SELECT tenant_id, object_id, principal_type, client_ids FROM entra_assignments
             ORDER BY object_id LIMIT ?1 OFFSET ?2",
        )?;
        let limit = i64::try_from(take.saturating_add(1)).unwrap_or(i64::MAX);
        let offset = i64::try_from(skip).unwrap_or(i64::MAX);
        let mut page = statement
            .query_map([limit, offset], assignment_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let more = page.len() as u64 > take;
        page.truncate(usize::try_from(take).unwrap_or(usize::MAX));
        Ok((page, more))
    }

    /// Every Entra assignment that could match a user: by object id, by tenant, or by one of the groups.
    pub(crate) fn entra_assignments_for(
        &self,
        object_ids: &[&str],
    ) -> Result<Vec<AssignmentRecord>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached(
            "SELECT tenant_id, object_id, principal_type, client_ids FROM entra_assignments WHERE object_id = ?1",
        )?;
        let mut found = Vec::new();
        for object_id in object_ids {
            if let Some(record) = statement
                .query_row([object_id], assignment_from_row)
                .optional()?
            {
                found.push(record);
            }
        }
        Ok(found)
    }

    /// Creates or replaces; true when it was created.
    pub(crate) fn upsert_entra_assignment(
        &self,
        record: &AssignmentRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let created = upsert_entra(&tx, record)?;
        tx.commit()?;
        Ok(created)
    }

    /// Applies a merge-patch in one transaction: `Some` upserts, `None` removes.
    pub(crate) fn patch_entra_assignments(
        &self,
        changes: &[(String, Option<AssignmentRecord>)],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        for (object_id, change) in changes {
            match change {
                Some(record) => {
                    upsert_entra(&tx, record)?;
                }
                None => {
                    tx.prepare_cached("DELETE FROM entra_assignments WHERE object_id = ?1")?
                        .execute([object_id])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn delete_entra_assignment(&self, object_id: &str) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        let changed = conn
            .prepare_cached("DELETE FROM entra_assignments WHERE object_id = ?1")?
            .execute([object_id])?;
        Ok(changed == 1)
    }
}

fn upsert_entra(
    tx: &rusqlite::Transaction<'_>,
    record: &AssignmentRecord,
) -> Result<bool, StoreError> {
    let existed = tx
        .prepare_cached("SELECT 1 FROM entra_assignments WHERE object_id = ?1")?
        .exists([&record.object_id])?;
    tx.prepare_cached(
        "INSERT INTO entra_assignments (object_id, tenant_id, principal_type, client_ids) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(object_id) DO UPDATE SET tenant_id = ?2, principal_type = ?3, client_ids = ?4",
    )?
    .execute(params![record.object_id, record.tenant_id, record.principal_type, client_ids_json(record).unwrap_or_else(|| "[]".into())])?;
    Ok(!existed)
}

fn client_ids_json(record: &AssignmentRecord) -> Option<String> {
    record
        .client_ids
        .as_ref()
        .map(|ids| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
}

fn assignment_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AssignmentRecord> {
    let client_ids: Option<String> = row.get(3)?;
    Ok(AssignmentRecord {
        tenant_id: row.get(0)?,
        object_id: row.get(1)?,
        principal_type: row.get(2)?,
        client_ids: client_ids.map(|json| serde_json::from_str(&json).unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_assignments_page_in_order() {
        let store = Store::in_memory().unwrap();
        for id in ["c", "a", "b"] {
            let record = AssignmentRecord {
                tenant_id: "t".into(),
                object_id: id.into(),
                principal_type: "user".into(),
                client_ids: Some(vec!["x".into()]),
            };
            assert!(store.upsert_entra_assignment(&record).unwrap());
        }
        let (page, more) = store.entra_assignments(0, 2).unwrap();
        assert_eq!(
            page.iter()
                .map(|r| r.object_id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(more);
        let (page, more) = store.entra_assignments(2, 2).unwrap();
        assert_eq!(page.len(), 1);
        assert!(!more);
    }
}
