//! Which artifact (product version) the stack is imported as: the routed one if its template is the stack's, or else
//! the newest active artifact of the product whose template is. The answer is typed: found, or no match together
//! with every artifact tried and where it differs, so that a later step can act on "nothing matched".

use cfn_template::{Difference, Fingerprint, Template};
use futures_util::{StreamExt, stream};

use crate::decision::{Reason, Verdict};
use crate::ids::{ArtifactId, ProductId};
use crate::known::KnownArtifacts;
use crate::ports::{
    FetchError, FingerprintStore, Missing, ProductVersion, ProductVersions, StackReader, TemplateFetcher,
    VersionDetail, VersionsError,
};
use crate::routing::Route;
use crate::stack::Stack;

/// Artifact reads (a describe and a template download) in flight at once.
const PARALLEL_READS: usize = 8;

/// Fingerprints read are kept (and stored) this many at a time: one BatchWriteItem.
const LEARN_BATCH: usize = 25;

/// How many template differences an outcome message names per artifact.
const DIFFERENCES_SHOWN: usize = 5;

/// At most this many of a product's active artifacts are compared, newest first: each costs a describe and a
/// template download, and a product may hold a hundred versions.
pub const MAX_CANDIDATES: usize = 20;

/// The result of comparing the stack's template with its candidate artifacts.
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactMatch {
    /// `made_from_stack`: the product's list of versions says this one was made from this stack (by an earlier
    /// attempt, docs/CONTRACT.md §9), so it may still be being made.
    Found {
        artifact: ArtifactId,
        made_from_stack: bool,
    },
    NoMatch(NoMatch),
}

/// Every candidate was read and none has the stack's template.
#[derive(Debug, Clone, PartialEq)]
pub struct NoMatch {
    pub product: ProductId,
    /// Whether the route named the one artifact to use (rather than "any active artifact of the product").
    pub pinned: bool,
    /// How many active artifacts the product has; only the newest `MAX_CANDIDATES` are tried.
    pub active: usize,
    /// Each candidate, newest first, with where its template differs from the stack's (at most `MAX_CANDIDATES`).
    pub tried: Vec<(ArtifactId, Vec<Difference>)>,
    /// The stack's template, which a version made from the stack would hold.
    pub stack_fingerprint: Fingerprint,
    /// Every version of the product as ListProvisioningArtifacts gave them (empty for a pinned route): where a
    /// version made from the stack is looked for, without listing them again.
    pub versions: Vec<ProductVersion>,
    /// The stack's template is processed before it is deployed (`Transform`).
    pub transform: bool,
}

impl NoMatch {
    pub fn verdict(&self, stack: &Stack) -> Verdict {
        let mismatches: Vec<String> = self
            .tried
            .iter()
            .map(|(artifact, differences)| {
                format!("{artifact}: {}", cfn_template::describe(differences, DIFFERENCES_SHOWN))
            })
            .collect();
        let message = if self.pinned {
            format!("stack {} does not match artifact {}", stack.name(), mismatches.join(""))
        } else {
            let which = if self.active > self.tried.len() {
                format!("the {} newest of the {} active artifacts", self.tried.len(), self.active)
            } else {
                format!("the {} active artifacts", self.tried.len())
            };
            format!(
                "stack {} matches none of {which} of product {} ({})",
                stack.name(),
                self.product,
                mismatches.join(" | ")
            )
        };
        Verdict::new(Reason::TemplateMismatch, message)
    }
}

/// Compares the stack's template with the route's candidate artifacts, newest first, until one matches.
/// `Err` is a decision that no comparison can change: a missing product, an inactive artifact, an unreadable template.
pub async fn find_artifact(
    stacks: &impl StackReader,
    versions: &impl ProductVersions,
    templates: &impl TemplateFetcher,
    known: &KnownArtifacts<impl FingerprintStore + Sync>,
    stack: &Stack,
    route: &Route,
) -> Result<ArtifactMatch, Verdict> {
    let product = &route.product_id;
    let listed = match &route.provisioning_artifact_id {
        Some(_) => Vec::new(),
        None => versions.list(product).await.map_err(|error| versions_failure(error, product, None))?,
    };
    let (candidates, active) = match &route.provisioning_artifact_id {
        Some(artifact) => (vec![artifact.clone()], 1),
        None => newest_active(&listed, product)?,
    };
    let stack_template = stack_template(stacks, stack).await?;
    let stack_fingerprint = stack_template.fingerprint();
    // A version an earlier attempt made from this very template of this stack: its template is the stack's by
    // construction, and it may still be being made (its template not yet readable), so it is not read.
    if let Some(made) = listed.iter().find(|version| version.active && made_from(version, stack, &stack_fingerprint)) {
        return Ok(ArtifactMatch::Found { artifact: made.id.clone(), made_from_stack: true });
    }
    let found = |artifact: ArtifactId| ArtifactMatch::Found { artifact, made_from_stack: false };
    known.recall(&candidates).await;

    let pinned = route.provisioning_artifact_id.is_some();
    let mut tried = Vec::with_capacity(candidates.len());
    // Newest first, while the candidates are known: a known artifact with the stack's fingerprint is the answer
    // without a read (a listed candidate is active; a pinned one is still described, for that).
    for artifact in &candidates {
        match known.fingerprint(artifact) {
            Some(fingerprint) if fingerprint == stack_fingerprint => {
                if pinned {
                    active_artifact(versions, product, artifact).await?;
                }
                return Ok(found(artifact.clone()));
            }
            Some(_) => continue,
            None => break,
        }
    }
    for artifact in candidates {
        let detail = active_artifact(versions, product, &artifact).await?;
        let template = artifact_template(templates, &detail).await?;
        known.learn(vec![(artifact.clone(), template.fingerprint())]).await;
        let differences = stack_template.differences(&template);
        if differences.is_empty() {
            return Ok(found(artifact));
        }
        tried.push((artifact, differences));
    }
    let transform = stack_template.has_transform();
    Ok(ArtifactMatch::NoMatch(NoMatch {
        product: product.clone(),
        pinned,
        active,
        tried,
        stack_fingerprint,
        versions: listed,
        transform,
    }))
}

/// The stack's template as CloudFormation has it, before transforms, parsed.
pub async fn stack_template(stacks: &impl StackReader, stack: &Stack) -> Result<Template, Verdict> {
    let body = stacks.original_template(&stack.arn).await.map_err(Verdict::from)?;
    Template::parse(&body).map_err(|error| {
        Verdict::new(
            Reason::TemplateMismatch,
            format!("the template of stack {} cannot be read: {error}", stack.name()),
        )
    })
}

/// The product's newest active artifacts, newest first — the candidates of a route that names no artifact — and how
/// many active artifacts it has.
fn newest_active(listed: &[ProductVersion], product: &ProductId) -> Result<(Vec<ArtifactId>, usize), Verdict> {
    let mut artifacts: Vec<&ProductVersion> = listed.iter().filter(|artifact| artifact.active).collect();
    if artifacts.is_empty() {
        return Err(Verdict::new(Reason::ArtifactInactive, format!("product {product} has no active artifact")));
    }
    artifacts.sort_by_key(|artifact| std::cmp::Reverse(artifact.created));
    if artifacts.len() > MAX_CANDIDATES {
        tracing::warn!(%product, active = artifacts.len(), "comparing only the {MAX_CANDIDATES} newest active artifacts");
    }
    let active = artifacts.len();
    Ok((artifacts.into_iter().take(MAX_CANDIDATES).map(|artifact| artifact.id.clone()).collect(), active))
}

/// The name a version made from a stack gets (docs/CONTRACT.md §9): the same for the same template in any attempt,
/// short enough to read in the console.
pub fn version_name(fingerprint: &Fingerprint) -> String {
    format!("imported-{}", &fingerprint.as_str()[..12])
}

/// The description of a version made from `stack`, by which a later attempt knows it made it.
pub fn made_description(stack: &Stack) -> String {
    format!("Made by sc-stack-importer from stack {}", stack.arn)
}

/// Whether the function made this version from this stack's template `fingerprint`: the name says the template,
/// the description the stack.
pub fn made_from(version: &ProductVersion, stack: &Stack, fingerprint: &Fingerprint) -> bool {
    version.name == version_name(fingerprint) && version.description == made_description(stack)
}

/// Reads the fingerprint of each of `artifacts` that is neither known nor known to be unreadable, 8 at a time, and
/// learns them 25 at a time (one store write): work cut short by the deadline keeps what it read, so a retry carries
/// on where it stopped. A template unreadable for good (missing, not a template, over the limits, refused) is
/// logged and remembered as such; one unreadable for now ends the reading with that retryable verdict. Answers how
/// many were read.
pub async fn learn_fingerprints(
    versions: &impl ProductVersions,
    templates: &impl TemplateFetcher,
    known: &KnownArtifacts<impl FingerprintStore + Sync>,
    artifacts: &[(&ProductId, &ArtifactId)],
) -> Result<usize, Verdict> {
    let unknown = artifacts
        .iter()
        .filter(|(_, artifact)| known.fingerprint(artifact).is_none() && !known.is_unreadable(artifact));
    let mut batches = std::pin::pin!(
        stream::iter(unknown)
            .map(|&(product, artifact)| async move {
                let detail =
                    versions.get(product, artifact).await.map_err(|e| versions_failure(e, product, Some(artifact)));
                let fingerprint = match detail {
                    Ok(detail) => artifact_template(templates, &detail).await.map(|template| template.fingerprint()),
                    Err(verdict) => Err(verdict),
                };
                (product, artifact, fingerprint)
            })
            .buffer_unordered(PARALLEL_READS)
            .chunks(LEARN_BATCH)
    );
    let mut read = 0;
    let mut transient = None;
    while let Some(batch) = batches.next().await {
        read += batch.len();
        let mut learnt = Vec::with_capacity(batch.len());
        for (product, artifact, fingerprint) in batch {
            match fingerprint {
                Ok(fingerprint) => learnt.push((artifact.clone(), fingerprint)),
                Err(verdict) if verdict.retryable => transient = Some(verdict),
                Err(verdict) => {
                    tracing::warn!(%product, %artifact, reason = %verdict.message, "artifact template unreadable; left out of the discovery index");
                    known.mark_unreadable(artifact);
                }
            }
        }
        known.learn(learnt).await;
        if let Some(verdict) = transient {
            return Err(verdict);
        }
    }
    Ok(read)
}

/// One artifact, which must exist and be active to be imported as.
async fn active_artifact(
    versions: &impl ProductVersions,
    product: &ProductId,
    artifact: &ArtifactId,
) -> Result<VersionDetail, Verdict> {
    let detail =
        versions.get(product, artifact).await.map_err(|error| versions_failure(error, product, Some(artifact)))?;
    if !detail.active {
        return Err(Verdict::new(
            Reason::ArtifactInactive,
            format!("artifact {artifact} of product {product} is not active"),
        ));
    }
    Ok(detail)
}

/// The artifact's template, read from its URL and parsed.
pub async fn artifact_template(
    templates: &impl TemplateFetcher,
    artifact: &VersionDetail,
) -> Result<Template, Verdict> {
    let Some(url) = artifact.template_url.as_deref() else {
        return Err(Verdict::new(Reason::AwsError, format!("artifact {} has no TemplateUrl", artifact.id)));
    };
    let body = templates.fetch(url).await.map_err(|error| {
        let message = format!("the template of artifact {} could not be read: {error}", artifact.id);
        match error {
            FetchError { refused: true, .. } => Verdict::new(Reason::TemplateUrlRefused, message),
            FetchError { retryable: true, .. } => Verdict::retryable(Reason::AwsError, message),
            FetchError { .. } => Verdict::new(Reason::AwsError, message),
        }
    })?;
    Template::parse(&body).map_err(|error| {
        Verdict::new(
            Reason::TemplateMismatch,
            format!("the template of artifact {} cannot be read: {error}", artifact.id),
        )
    })
}

pub fn versions_failure(error: VersionsError, product: &ProductId, artifact: Option<&ArtifactId>) -> Verdict {
    match (error, artifact) {
        (VersionsError::NotFound(Missing::Artifact), Some(artifact)) => {
            Verdict::new(Reason::ArtifactNotFound, format!("product {product} has no artifact {artifact}"))
        }
        (VersionsError::NotFound(_), _) => Verdict::new(
            Reason::ProductNotFound,
            format!("product {product} does not exist or is not shared with this account"),
        ),
        (VersionsError::Failed(failure), _) => failure.into(),
    }
}
