//! What is learnt about artifacts, kept across warm invocations and, with `ARTIFACT_INDEX_TABLE`, across cold starts.
//! An artifact's template never changes (a new template is a new artifact), so once its fingerprint is known the
//! artifact is never downloaded again to learn whether a stack matches it (docs/CONTRACT.md §9).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use cfn_template::Fingerprint;

use crate::ids::ArtifactId;
use crate::ports::FingerprintStore;

/// Artifact fingerprints kept in memory, at most this many (64 hex digits each: a few MB at most).
const MAX_KNOWN: usize = 50_000;

#[derive(Debug, Default)]
struct Memory {
    fingerprints: HashMap<ArtifactId, Fingerprint>,
    /// Artifacts whose template is not a template (or is refused): left out of discovery, not read again.
    unreadable: HashSet<ArtifactId>,
}

/// The fingerprints learnt, in memory and in the store `S` (`Option<_>`: none configured).
#[derive(Debug, Default)]
pub struct KnownArtifacts<S> {
    memory: Mutex<Memory>,
    store: S,
}

impl<S: FingerprintStore + Sync> KnownArtifacts<S> {
    pub fn new(store: S) -> Self {
        Self { memory: Mutex::default(), store }
    }

    pub fn fingerprint(&self, artifact: &ArtifactId) -> Option<Fingerprint> {
        self.lock().fingerprints.get(artifact).cloned()
    }

    /// Whether the artifact's template was found unreadable before.
    pub fn is_unreadable(&self, artifact: &ArtifactId) -> bool {
        self.lock().unreadable.contains(artifact)
    }

    pub fn mark_unreadable(&self, artifact: &ArtifactId) {
        let mut memory = self.lock();
        if memory.unreadable.len() < MAX_KNOWN {
            memory.unreadable.insert(artifact.clone());
        }
    }

    /// Loads from the store whichever of `artifacts` memory does not know; answers how many it loaded. The store is
    /// a saving, not a source of truth: when it fails, the artifacts are read from Service Catalog instead.
    pub async fn recall(&self, artifacts: &[ArtifactId]) -> usize {
        let missing: Vec<ArtifactId> = {
            let memory = self.lock();
            artifacts
                .iter()
                .filter(|artifact| {
                    !memory.fingerprints.contains_key(*artifact) && !memory.unreadable.contains(*artifact)
                })
                .cloned()
                .collect()
        };
        if missing.is_empty() {
            return 0;
        }
        match self.store.recall(&missing).await {
            Ok(recalled) => {
                let count = recalled.len();
                self.keep(recalled);
                count
            }
            Err(error) => {
                tracing::warn!(%error, artifacts = missing.len(), "the artifact store could not be read; reading the artifacts instead");
                0
            }
        }
    }

    /// Keeps what was learnt in memory and in the store; a store that fails only costs a later download.
    pub async fn learn(&self, learnt: Vec<(ArtifactId, Fingerprint)>) {
        if learnt.is_empty() {
            return;
        }
        if let Err(error) = self.store.remember(&learnt).await {
            tracing::warn!(%error, artifacts = learnt.len(), "the artifact store could not be written; kept in memory only");
        }
        self.keep(learnt);
    }

    fn keep(&self, learnt: Vec<(ArtifactId, Fingerprint)>) {
        let mut memory = self.lock();
        for (artifact, fingerprint) in learnt {
            if memory.fingerprints.len() >= MAX_KNOWN {
                break;
            }
            memory.fingerprints.insert(artifact, fingerprint);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
