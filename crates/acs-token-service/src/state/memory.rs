//! The in-memory token store of a single instance, with the same generations as the Redis one.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Generation, Lookup, MAX_ENTRIES_PER_USER, REVOCATION_MEMORY};

#[derive(Debug)]
pub(crate) struct MemoryState {
    users: Mutex<HashMap<String, UserEntries>>,
    max_users: usize,
}

#[derive(Debug)]
struct UserEntries {
    generation: Generation,
    /// Slot to sealed entry and when it stops being served.
    entries: HashMap<String, (String, Instant)>,
    /// When the user's record may go: the latest of its entries' ends and of its revocation's memory.
    until: Instant,
}

impl MemoryState {
    pub(crate) fn new(max_users: usize) -> Self {
        Self {
            users: Mutex::new(HashMap::new()),
            max_users,
        }
    }

    fn users(&self) -> std::sync::MutexGuard<'_, HashMap<String, UserEntries>> {
        // A poisoned lock only means another request panicked mid-update; the entries are still usable.
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lookup(&self, user: &str, slot: &str, now: Instant) -> Lookup {
        let users = self.users();
        match users.get(user).filter(|entries| entries.until > now) {
            None => Lookup {
                entry: None,
                generation: Generation::default(),
            },
            Some(entries) => Lookup {
                entry: entries
                    .entries
                    .get(slot)
                    .filter(|(_, until)| *until > now)
                    .map(|(entry, _)| entry.clone()),
                generation: entries.generation,
            },
        }
    }

    pub(crate) fn store(
        &self,
        user: &str,
        slot: &str,
        entry: String,
        generation: Generation,
        ttl: Duration,
        now: Instant,
    ) -> bool {
        let mut users = self.users();
        if users.len() >= self.max_users && !users.contains_key(user) {
            users.retain(|_, entries| entries.until > now);
            if users.len() >= self.max_users {
                return false;
            }
        }
        let entries = users.entry(user.to_owned()).or_insert_with(|| UserEntries {
            generation: Generation::default(),
            entries: HashMap::new(),
            until: now,
        });
        if entries.until <= now {
            // Expired: what is left of it is what a new record would hold.
            *entries = UserEntries {
                generation: Generation::default(),
                entries: HashMap::new(),
                until: now,
            };
        }
        if entries.generation != generation {
            return false;
        }
        if entries.entries.len() >= MAX_ENTRIES_PER_USER {
            entries.entries.clear();
        }
        let until = now + ttl;
        entries.entries.insert(slot.to_owned(), (entry, until));
        entries.until = entries.until.max(until);
        true
    }

    /// Always recorded, even past `max_users`: a revocation must not be lost.
    pub(crate) fn forget(&self, user: &str, now: Instant) {
        let mut users = self.users();
        let entries = users.entry(user.to_owned()).or_insert_with(|| UserEntries {
            generation: Generation::default(),
            entries: HashMap::new(),
            until: now,
        });
        let generation = if entries.until > now {
            entries.generation.0 + 1
        } else {
            1
        };
        *entries = UserEntries {
            generation: Generation(generation),
            entries: HashMap::new(),
            until: now + REVOCATION_MEMORY,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn stores_until_the_ttl_and_forgets_on_revocation() {
        let memory = MemoryState::new(10);
        let now = Instant::now();
        let found = memory.lookup("u", "chat|60", now);
        assert_eq!(found.entry, None);
        assert!(memory.store("u", "chat|60", "e".into(), found.generation, MINUTE, now));
        assert_eq!(
            memory.lookup("u", "chat|60", now).entry.as_deref(),
            Some("e")
        );
        assert_eq!(memory.lookup("u", "chat|120", now).entry, None);
        assert_eq!(memory.lookup("u", "chat|60", now + MINUTE).entry, None);

        memory.forget("u", now);
        let after = memory.lookup("u", "chat|60", now);
        assert_eq!(after.entry, None);
        assert_eq!(after.generation, Generation(1));
    }

    #[test]
    fn a_token_from_before_a_revocation_is_not_stored_after_it() {
        let memory = MemoryState::new(10);
        let now = Instant::now();
        let before = memory.lookup("u", "chat|60", now).generation;
        memory.forget("u", now);
        assert!(!memory.store("u", "chat|60", "stale".into(), before, MINUTE, now));
        assert_eq!(memory.lookup("u", "chat|60", now).entry, None);
    }

    #[test]
    fn stays_bounded() {
        let memory = MemoryState::new(2);
        let now = Instant::now();
        assert!(memory.store("a", "s", "e".into(), Generation(0), MINUTE, now));
        assert!(memory.store("b", "s", "e".into(), Generation(0), MINUTE, now));
        assert!(!memory.store("c", "s", "e".into(), Generation(0), MINUTE, now));
        // Once the others expired, there is room again.
        assert!(memory.store("c", "s", "e".into(), Generation(0), MINUTE, now + MINUTE));
        for slot in 0..(MAX_ENTRIES_PER_USER + 3) {
            memory.store(
                "c",
                &slot.to_string(),
                "e".into(),
                Generation(0),
                MINUTE,
                now + MINUTE,
            );
        }
        assert!(memory.users()["c"].entries.len() <= MAX_ENTRIES_PER_USER);
    }
}
