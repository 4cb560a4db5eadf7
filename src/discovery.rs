//! Discovery (docs/CONTRACT.md §9): a stack that no request, tag or rule routes is routed by its template. Each
//! account and region gets an index from template fingerprint to the active artifacts of the products the role can
//! launch there — built on first use, kept warm, rebuilt when old, and cheap to rebuild because an artifact's
//! fingerprint is learnt once (`KnownArtifacts`, in memory and in the store).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cfn_template::Fingerprint;
use futures_util::{StreamExt, stream};
use tokio::time::Instant;

use crate::decision::{Reason, Verdict};
use crate::ids::{ArtifactId, ProductId, Scope};
use crate::known::KnownArtifacts;
use crate::matching::learn_fingerprints;
use crate::ports::{FingerprintStore, ProductVersions, TemplateFetcher, VersionsError};
use crate::stack::StackArn;

/// An index younger than this answers without any AWS call.
const FRESH_FOR: Duration = Duration::from_secs(5 * 60);

/// A stack that matches nothing rebuilds an index older than this first: a version added a minute ago is found.
const REBUILD_ON_MISS_AFTER: Duration = Duration::from_secs(30);

/// Service Catalog calls in flight at once while the products' versions are listed.
const PARALLEL_LISTS: usize = 8;

/// What discovery found for one template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovered {
    /// One product has active artifacts with this template; the newest of them.
    Found { product: ProductId, artifact: ArtifactId },
    /// Several products do: which one the stack belongs to is not the function's to guess.
    Ambiguous(Vec<ProductId>),
    /// None of the `products` launchable products has an active artifact with this template.
    Nothing { products: usize },
}

impl Discovered {
    pub fn ambiguous(stack: &str, products: &[ProductId]) -> Verdict {
        let names: Vec<&str> = products.iter().map(ProductId::as_str).collect();
        Verdict::new(
            Reason::AmbiguousRoute,
            format!(
                "the template of stack {stack} is an active artifact of {} products ({}): route it with a tag or a rule",
                products.len(),
                names.join(", ")
            ),
        )
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    product: ProductId,
    artifact: ArtifactId,
    created: i64,
}

/// One account and region's index.
#[derive(Debug)]
struct Index {
    built: Instant,
    products: usize,
    by_fingerprint: HashMap<Fingerprint, Vec<Candidate>>,
}

impl Index {
    fn lookup(&self, fingerprint: &Fingerprint) -> Discovered {
        let candidates = self.by_fingerprint.get(fingerprint).map(Vec::as_slice).unwrap_or_default();
        let products: BTreeSet<&ProductId> = candidates.iter().map(|candidate| &candidate.product).collect();
        match products.len() {
            0 => Discovered::Nothing { products: self.products },
            1 => {
                let newest = candidates.iter().max_by_key(|candidate| candidate.created).map(|c| c.artifact.clone());
                match newest {
                    Some(artifact) => Discovered::Found { product: candidates[0].product.clone(), artifact },
                    None => Discovered::Nothing { products: self.products },
                }
            }
            _ => Discovered::Ambiguous(products.into_iter().cloned().collect()),
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Arc<Index>>>>;

/// The indexes of every account and region seen, kept across warm invocations.
#[derive(Debug, Default)]
pub struct Discovery {
    scopes: Mutex<HashMap<Scope, Slot>>,
}

/// What an index is built from: one account and region's catalog, the template reader, and what is already known.
pub struct Sources<'a, V, T, S> {
    pub versions: &'a V,
    pub templates: &'a T,
    pub known: &'a KnownArtifacts<S>,
}

impl Discovery {
    /// The products whose active artifacts have this template, in the stack's account and region. `Err` when the
    /// index could not be built (a transient failure is retryable: a decision made on part of the catalog could be
    /// wrong).
    pub async fn discover<V, T, S>(
        &self,
        stack: &StackArn,
        sources: &Sources<'_, V, T, S>,
        fingerprint: &Fingerprint,
    ) -> Result<Discovered, Verdict>
    where
        V: ProductVersions + Sync,
        T: TemplateFetcher + Sync,
        S: FingerprintStore + Sync,
    {
        let slot = self.slot(&stack.scope());
        // One build per scope at a time: concurrent stacks of one scope wait for it rather than build it twice.
        let mut index = slot.lock().await;
        let current = match index.as_ref() {
            Some(built) if built.built.elapsed() < FRESH_FOR => built.clone(),
            _ => index.insert(Arc::new(build(stack, sources).await?)).clone(),
        };
        let found = current.lookup(fingerprint);
        if matches!(found, Discovered::Nothing { .. }) && current.built.elapsed() >= REBUILD_ON_MISS_AFTER {
            let rebuilt = index.insert(Arc::new(build(stack, sources).await?)).clone();
            return Ok(rebuilt.lookup(fingerprint));
        }
        Ok(found)
    }

    fn slot(&self, scope: &Scope) -> Slot {
        let mut scopes = self.scopes.lock().unwrap_or_else(PoisonError::into_inner);
        scopes.entry(scope.clone()).or_default().clone()
    }
}

/// Lists the launchable products and their active artifacts, recalls or reads each artifact's fingerprint, and
/// indexes them. An artifact whose template cannot be read for good is left out, with the reason logged.
#[tracing::instrument(skip_all, fields(account = %stack.account(), region = %stack.region()))]
async fn build<V, T, S>(stack: &StackArn, sources: &Sources<'_, V, T, S>) -> Result<Index, Verdict>
where
    V: ProductVersions + Sync,
    T: TemplateFetcher + Sync,
    S: FingerprintStore + Sync,
{
    let started = Instant::now();
    let Sources { versions, templates, known } = sources;
    let products = versions.launchable().await.map_err(Verdict::from)?;
    let listed: Vec<_> = stream::iter(&products)
        .map(|product| async move { (product, versions.list(&product.id).await) })
        .buffer_unordered(PARALLEL_LISTS)
        .collect()
        .await;
    let mut candidates = Vec::new();
    for (product, versions) in listed {
        match versions {
            Ok(versions) => candidates.extend(versions.into_iter().filter(|version| version.active).map(|version| {
                Candidate { product: product.id.clone(), artifact: version.id, created: version.created }
            })),
            Err(VersionsError::Failed(failure)) if failure.is_transient() => return Err(failure.into()),
            Err(error) => {
                tracing::warn!(product = %product.id, %error, "product left out of the discovery index");
            }
        }
    }

    let artifacts: Vec<ArtifactId> = candidates.iter().map(|candidate| candidate.artifact.clone()).collect();
    let from_store = known.recall(&artifacts).await;
    let unknown: Vec<(&ProductId, &ArtifactId)> =
        candidates.iter().map(|candidate| (&candidate.product, &candidate.artifact)).collect();
    let fetched = learn_fingerprints(*versions, *templates, known, &unknown).await?;

    let mut by_fingerprint: HashMap<Fingerprint, Vec<Candidate>> = HashMap::new();
    let mut unreadable = 0;
    for candidate in candidates {
        match known.fingerprint(&candidate.artifact) {
            Some(fingerprint) => by_fingerprint.entry(fingerprint).or_default().push(candidate),
            None => unreadable += 1,
        }
    }
    let indexed: usize = by_fingerprint.values().map(Vec::len).sum();
    tracing::info!(
        products = products.len(),
        artifacts = indexed + unreadable,
        from_store,
        fetched,
        unreadable,
        ms = started.elapsed().as_millis() as u64,
        "discovery index built"
    );
    Ok(Index { built: Instant::now(), products: products.len(), by_fingerprint })
}
