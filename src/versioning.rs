//! New versions made from stacks (docs/CONTRACT.md §9): a stack routed to a product whose active artifacts all differ
//! from it becomes a new version of that product (`CreateProvisioningArtifact` with `Info.ImportFromPhysicalId`), and
//! is imported into it. The version's name and idempotency token come from the template's fingerprint, so a retry
//! finds the version the first attempt made instead of making another, and an identical template already in the
//! product is used rather than duplicated.

use std::collections::HashSet;

use tokio::time::Instant;

use crate::decision::{Reason, Verdict};
use crate::discovery::Sources;
use crate::ids::{ArtifactId, ProductId};
use crate::import::PollSchedule;
use crate::matching::{NoMatch, learn_fingerprints, made_description, made_from, version_name, versions_failure};
use crate::ports::{
    CreateVersionError, FingerprintStore, IdempotencyToken, NewVersion, ProductVersion, ProductVersions,
    TemplateFetcher, VersionDetail, VersionStatus,
};
use crate::routing::Route;
use crate::stack::Stack;
use crate::text::digest;

/// The artifact a versioned stack is imported into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versioned {
    /// `artifact` has the stack's template; `created` when it was made from this stack (now or by an earlier attempt).
    Ready { artifact: ArtifactId, created: bool },
    /// Dry run: a version would be made.
    WouldCreate,
}

/// Whether this route may make a version from the stack; `Err` is the mismatch verdict, with why no version is made.
pub fn allowed(route: &Route, switch: bool, no_match: &NoMatch, stack: &Stack) -> Result<(), Verdict> {
    let mismatch = no_match.verdict(stack);
    let refuse = |why: &str| Err(Verdict::new(Reason::TemplateMismatch, format!("{}; {why}", mismatch.message)));
    match (route.new_version, switch) {
        (Some(false), _) | (None, false) => Err(mismatch),
        (Some(true), false) => {
            refuse("the route asks for a new version, but NEW_VERSION_ON_MISMATCH is off, so none is made")
        }
        _ if no_match.pinned => refuse("the route names its artifact, so no version is made"),
        _ if no_match.transform => refuse(
            "the stack's template has a Transform, so no version is made from it: the stack runs the processed \
             template, which a version made from the stack would not hold",
        ),
        _ => Ok(()),
    }
}

/// A version the matching found made from this stack by an earlier attempt: ready once Service Catalog has made it.
pub async fn made_earlier(
    versions: &impl ProductVersions,
    product: &ProductId,
    artifact: &ArtifactId,
    poll: &PollSchedule,
    deadline: Instant,
) -> Result<ArtifactId, Verdict> {
    let detail = versions.get(product, artifact).await.map_err(|e| versions_failure(e, product, Some(artifact)))?;
    until_available(versions, product, detail, poll, deadline).await
}

/// Finds or makes the version with the stack's template and waits until it is available (until `deadline`: a retry
/// carries on with the same version).
pub async fn version_from_stack<V, T, S>(
    sources: &Sources<'_, V, T, S>,
    stack: &Stack,
    no_match: &NoMatch,
    dry_run: bool,
    poll: &PollSchedule,
    deadline: Instant,
) -> Result<Versioned, Verdict>
where
    V: ProductVersions + Sync,
    T: TemplateFetcher + Sync,
    S: FingerprintStore + Sync,
{
    let Sources { versions, known, .. } = sources;
    let product = &no_match.product;
    let name = version_name(&no_match.stack_fingerprint);

    // Made from this template before: by an attempt for another stack with the same template, or one whose version
    // is no longer among the newest compared or no longer active.
    if let Some(earlier) = no_match.versions.iter().find(|version| version.name == name) {
        if !earlier.active {
            return Err(inactive(product, &earlier.id, stack));
        }
        let created = made_from(earlier, stack, &no_match.stack_fingerprint);
        let artifact = made_earlier(*versions, product, &earlier.id, poll, deadline).await?;
        return Ok(Versioned::Ready { artifact, created });
    }
    if let Some(identical) = identical_version(sources, no_match).await? {
        if !identical.active {
            return Err(inactive(product, &identical.id, stack));
        }
        return Ok(Versioned::Ready { artifact: identical.id.clone(), created: false });
    }
    if dry_run {
        return Ok(Versioned::WouldCreate);
    }

    let order = NewVersion {
        product: product.clone(),
        name,
        description: made_description(stack),
        stack: stack.arn.clone(),
        token: IdempotencyToken(digest(&["new-version", product.as_str(), no_match.stack_fingerprint.as_str()])),
    };
    let detail = versions.create(&order).await.map_err(|error| refused(error, product, stack))?;
    known.learn(vec![(detail.id.clone(), no_match.stack_fingerprint.clone())]).await;
    tracing::info!(%product, artifact = %detail.id, stack = %stack.arn, "version made from the stack");
    let artifact = until_available(*versions, product, detail, poll, deadline).await?;
    Ok(Versioned::Ready { artifact, created: true })
}

/// The product's version, beyond those already compared, whose template is the stack's (newest first). Their
/// fingerprints are learnt once, like discovery's, so a second look costs no read.
async fn identical_version<'m, V, T, S>(
    Sources { versions, templates, known }: &Sources<'_, V, T, S>,
    no_match: &'m NoMatch,
) -> Result<Option<&'m ProductVersion>, Verdict>
where
    V: ProductVersions + Sync,
    T: TemplateFetcher + Sync,
    S: FingerprintStore + Sync,
{
    let compared: HashSet<&ArtifactId> = no_match.tried.iter().map(|(artifact, _)| artifact).collect();
    let mut others: Vec<&ProductVersion> =
        no_match.versions.iter().filter(|version| !compared.contains(&version.id)).collect();
    others.sort_by_key(|version| std::cmp::Reverse(version.created));
    let ids: Vec<ArtifactId> = others.iter().map(|version| version.id.clone()).collect();
    known.recall(&ids).await;
    let unknown: Vec<(&ProductId, &ArtifactId)> =
        others.iter().map(|version| (&no_match.product, &version.id)).collect();
    learn_fingerprints(*versions, *templates, known, &unknown).await?;
    Ok(others.into_iter().find(|version| known.fingerprint(&version.id).as_ref() == Some(&no_match.stack_fingerprint)))
}

/// Polls the version until Service Catalog has made it, on the record-poll schedule, until `deadline`.
async fn until_available(
    versions: &impl ProductVersions,
    product: &ProductId,
    mut detail: VersionDetail,
    poll: &PollSchedule,
    deadline: Instant,
) -> Result<ArtifactId, Verdict> {
    let started = Instant::now();
    for at in poll.times().map(|since| started + since) {
        match detail.status {
            VersionStatus::Available => return Ok(detail.id),
            VersionStatus::Failed => {
                return Err(Verdict::new(
                    Reason::AwsError,
                    format!("Service Catalog failed to make version {} of product {product}", detail.id),
                ));
            }
            VersionStatus::Creating => {}
        }
        if at + poll.safety_margin >= deadline {
            break;
        }
        tokio::time::sleep_until(at).await;
        match versions.get(product, &detail.id).await {
            Ok(latest) => detail = latest,
            Err(crate::ports::VersionsError::Failed(failure)) if failure.is_transient() => {
                tracing::warn!(%failure, "DescribeProvisioningArtifact failed; polling on");
            }
            Err(error) => return Err(versions_failure(error, product, Some(&detail.id))),
        }
    }
    Err(Verdict::retryable(
        Reason::OutOfTime,
        format!(
            "version {} of product {product} was still being made when the invocation's time ran out; a retry \
             imports into it",
            detail.id
        ),
    ))
}

fn inactive(product: &ProductId, artifact: &ArtifactId, stack: &Stack) -> Verdict {
    Verdict::new(
        Reason::TemplateMismatch,
        format!(
            "artifact {artifact} of product {product} has the template of stack {} but is inactive; activate it to \
             import the stack into it (no second version with the same template is made)",
            stack.name()
        ),
    )
}

/// CreateProvisioningArtifact's refusals, as outcomes.
fn refused(error: CreateVersionError, product: &ProductId, stack: &Stack) -> Verdict {
    match error {
        CreateVersionError::Limit(failure) => Verdict::new(
            Reason::VersionLimit,
            format!(
                "product {product} holds as many versions as its quota allows, so no version is made from stack {}: \
                 {failure}",
                stack.name()
            ),
        ),
        CreateVersionError::Refused(failure) => Verdict::new(
            Reason::TemplateMismatch,
            format!(
                "Service Catalog refused to make a version of product {product} from stack {} in account {}: \
                 {failure}. A product shared into this account from another account's portfolio gets versions only \
                 in the account that owns it",
                stack.name(),
                stack.arn.account()
            ),
        ),
        CreateVersionError::Failed(failure) => failure.into(),
    }
}
