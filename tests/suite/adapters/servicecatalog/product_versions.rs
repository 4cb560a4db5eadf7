//! `ServiceCatalogProductVersions`: ListProvisioningArtifacts and DescribeProvisioningArtifact, and how a "not found"
//! is told apart: the product, or only the version.

use aws_sdk_servicecatalog::operation::describe_provisioning_artifact::DescribeProvisioningArtifactError;
use aws_sdk_servicecatalog::operation::list_provisioning_artifacts::ListProvisioningArtifactsError;
use aws_sdk_servicecatalog::types::ProvisioningArtifactDetail;
use aws_smithy_types::DateTime;

use sc_stack_importer::ports::{
    FailureKind, Missing, ProductVersion, ServiceFailure, VersionDetail, VersionStatus, VersionsError,
};

use super::*;

const TEMPLATE_URL: &str = "https://bucket.s3.amazonaws.com/template.yaml?X-Amz-Signature=abc";

fn versions(rules: &[&Rule]) -> ServiceCatalogProductVersions {
    ServiceCatalogProductVersions::new(client(rules), AcceptLanguage::En)
}

fn version(id: &str, active: bool, created: i64, name: &str) -> ProductVersion {
    ProductVersion {
        id: ArtifactId::parse(id).unwrap(),
        active,
        created,
        name: name.into(),
        description: String::new(),
    }
}

fn describe_not_found(message: &'static str) -> Rule {
    mock!(Client::describe_provisioning_artifact)
        .then_error(move || DescribeProvisioningArtifactError::ResourceNotFoundException(resource_not_found(message)))
}

fn access_denied_to_list() -> ListProvisioningArtifactsError {
    ListProvisioningArtifactsError::generic(metadata("AccessDeniedException", "not authorized to list artifacts"))
}

// -- ListProvisioningArtifacts ------------------------------------------------------------------------------------

#[tokio::test]
async fn versions_are_listed_with_their_state_and_creation_time() {
    let sent = Sent::new();
    let rule = mock!(Client::list_provisioning_artifacts).match_requests(sent.recorder()).then_output(|| {
        ListProvisioningArtifactsOutput::builder()
            .provisioning_artifact_details(
                ProvisioningArtifactDetail::builder()
                    .id("pa-old")
                    .name("v1")
                    .active(false)
                    .created_time(DateTime::from_secs(1_600_000_000))
                    .build(),
            )
            .provisioning_artifact_details(
                ProvisioningArtifactDetail::builder()
                    .id("pa-new")
                    .name("v2")
                    .active(true)
                    .created_time(DateTime::from_secs_and_nanos(1_700_000_000, 999_000_000))
                    .build(),
            )
            // Active not set: Service Catalog's default is active
            .provisioning_artifact_details(ProvisioningArtifactDetail::builder().id("pa-unset").build())
            // No id, or one that is not a Service Catalog id: nothing the importer could import as
            .provisioning_artifact_details(ProvisioningArtifactDetail::builder().name("ghost").build())
            .provisioning_artifact_details(ProvisioningArtifactDetail::builder().id("pa bad/id").build())
            .build()
    });

    let listed = versions(&[&rule]).list(&product_id()).await.unwrap();

    assert_eq!(sent.only().product_id(), Some(PRODUCT));
    assert_eq!(
        listed,
        vec![
            version("pa-old", false, 1_600_000_000, "v1"),
            version("pa-new", true, 1_700_000_000, "v2"),
            version("pa-unset", true, 0, "")
        ]
    );
}

#[tokio::test]
async fn an_unknown_product_has_no_versions_to_list() {
    let rule = mock!(Client::list_provisioning_artifacts).then_error(|| {
        ListProvisioningArtifactsError::ResourceNotFoundException(resource_not_found("Product not found"))
    });

    let error = versions(&[&rule]).list(&product_id()).await.unwrap_err();

    assert_eq!(error, VersionsError::NotFound(Missing::Product));
}

#[tokio::test]
async fn a_list_refused_for_access_is_a_failure_not_a_missing_product() {
    let rule = mock!(Client::list_provisioning_artifacts).then_error(access_denied_to_list);

    let error = versions(&[&rule]).list(&product_id()).await.unwrap_err();

    assert_eq!(
        error,
        VersionsError::Failed(ServiceFailure::new(
            FailureKind::AccessDenied,
            "ListProvisioningArtifacts",
            "AccessDeniedException",
            "not authorized to list artifacts"
        ))
    );
}

// -- DescribeProvisioningArtifact ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_version_is_described_with_its_template_url() {
    let sent = Sent::new();
    let rule = mock!(Client::describe_provisioning_artifact).match_requests(sent.recorder()).then_output(|| {
        DescribeProvisioningArtifactOutput::builder()
            .provisioning_artifact_detail(ProvisioningArtifactDetail::builder().id(ARTIFACT).active(false).build())
            .info("TemplateUrl", TEMPLATE_URL)
            .info("ImportFromPhysicalId", "ignored")
            .build()
    });

    let detail = versions(&[&rule]).get(&product_id(), &artifact_id()).await.unwrap();

    let request = sent.only();
    assert_eq!(request.product_id(), Some(PRODUCT));
    assert_eq!(request.provisioning_artifact_id(), Some(ARTIFACT));
    assert_eq!(
        detail,
        VersionDetail {
            id: artifact_id(),
            active: false,
            template_url: Some(TEMPLATE_URL.into()),
            status: VersionStatus::Available
        }
    );
}

#[tokio::test]
async fn a_sparse_version_description_defaults_to_the_asked_id_active_and_no_url() {
    let rule = mock!(Client::describe_provisioning_artifact)
        .then_output(|| DescribeProvisioningArtifactOutput::builder().build());

    let detail = versions(&[&rule]).get(&product_id(), &artifact_id()).await.unwrap();

    assert_eq!(
        detail,
        VersionDetail { id: artifact_id(), active: true, template_url: None, status: VersionStatus::Available }
    );
}

#[tokio::test]
async fn a_version_of_an_unknown_product_is_a_missing_product() {
    // GIVEN DescribeProvisioningArtifact says "not found" (naming the artifact), and the product's list of
    // versions is not found either
    let describe = describe_not_found("Provisioning artifact pa-abcdefghijklm not found");
    let sent = Sent::new();
    let list = mock!(Client::list_provisioning_artifacts).match_requests(sent.recorder()).then_error(|| {
        ListProvisioningArtifactsError::ResourceNotFoundException(resource_not_found("Product not found"))
    });
    // WHEN the version is asked for
    let error = versions(&[&describe, &list]).get(&product_id(), &artifact_id()).await.unwrap_err();
    // THEN the adapter asked for the product's versions to tell, and the product is what is missing
    assert_eq!(error, VersionsError::NotFound(Missing::Product));
    assert_eq!(describe.num_calls(), 1);
    assert_eq!(sent.only().product_id(), Some(PRODUCT));
}

#[tokio::test]
async fn a_version_missing_from_a_known_product_is_a_missing_artifact() {
    // GIVEN DescribeProvisioningArtifact says "not found" in words that name the product, but the product lists its
    // versions: the list, not the message, decides
    let describe = describe_not_found("The specified product version was not found");
    let sent = Sent::new();
    let list = mock!(Client::list_provisioning_artifacts).match_requests(sent.recorder()).then_output(|| {
        ListProvisioningArtifactsOutput::builder()
            .provisioning_artifact_details(ProvisioningArtifactDetail::builder().id("pa-other").build())
            .build()
    });

    let error = versions(&[&describe, &list]).get(&product_id(), &artifact_id()).await.unwrap_err();

    assert_eq!(error, VersionsError::NotFound(Missing::Artifact));
    assert_eq!(sent.only().product_id(), Some(PRODUCT));
}

#[tokio::test]
async fn when_the_versions_cannot_be_listed_the_not_found_message_tells_what_is_missing() {
    // GIVEN DescribeProvisioningArtifact says "not found", and ListProvisioningArtifacts is refused
    for (message, missing) in [
        ("Product prod-abcdefghijklm not found", Missing::Product),
        ("Provisioning artifact pa-abcdefghijklm not found for product prod-abcdefghijklm", Missing::Artifact),
        ("Resource not found", Missing::Artifact),
    ] {
        let describe = describe_not_found(message);
        let list = mock!(Client::list_provisioning_artifacts).then_error(access_denied_to_list);
        // WHEN the version is asked for
        let error = versions(&[&describe, &list]).get(&product_id(), &artifact_id()).await.unwrap_err();
        // THEN the list was tried, and what the message names is missing
        assert_eq!(error, VersionsError::NotFound(missing), "{message}");
        assert_eq!(list.num_calls(), 1, "{message}");
    }
}

#[tokio::test]
async fn a_describe_that_fails_otherwise_is_a_failure_without_a_second_call() {
    // GIVEN DescribeProvisioningArtifact is refused for access
    let describe = mock!(Client::describe_provisioning_artifact).then_error(|| {
        DescribeProvisioningArtifactError::generic(metadata("AccessDeniedException", "not authorized to describe"))
    });
    let list =
        mock!(Client::list_provisioning_artifacts).then_output(|| ListProvisioningArtifactsOutput::builder().build());

    let error = versions(&[&describe, &list]).get(&product_id(), &artifact_id()).await.unwrap_err();

    assert_eq!(
        error,
        VersionsError::Failed(ServiceFailure::new(
            FailureKind::AccessDenied,
            "DescribeProvisioningArtifact",
            "AccessDeniedException",
            "not authorized to describe"
        ))
    );
    assert_eq!(list.num_calls(), 0, "only a \"not found\" is worth asking the list about");
}

#[tokio::test]
async fn a_describe_outage_is_transient_after_the_sdk_retries() {
    let describe = mock!(Client::describe_provisioning_artifact).sequence().http_status(503, None).times(3).build();

    let error = versions(&[&describe]).get(&product_id(), &artifact_id()).await.unwrap_err();

    let VersionsError::Failed(failure) = error else { panic!("{error:?}") };
    assert_eq!(failure.kind, FailureKind::Transient, "{failure}");
    assert_eq!(failure.operation, "DescribeProvisioningArtifact");
    assert_eq!(describe.num_calls(), 3);
}

// -- SearchProducts -----------------------------------------------------------------------------------------------

#[tokio::test]
async fn launchable_products_are_read_page_by_page_and_ids_that_are_not_ids_dropped() {
    use aws_sdk_servicecatalog::operation::search_products::SearchProductsOutput;
    use aws_sdk_servicecatalog::types::ProductViewSummary;
    let sent = Sent::new();
    let summary = |id: &str| ProductViewSummary::builder().product_id(id).name(format!("{id} name")).build();
    let first = mock!(Client::search_products).match_requests(sent.recorder()).then_output(move || {
        SearchProductsOutput::builder()
            .product_view_summaries(summary("prod-aaaaaaaaaaaaa"))
            .product_view_summaries(summary("not an id"))
            .next_page_token("page-2")
            .build()
    });
    let last = mock!(Client::search_products).match_requests(sent.recorder()).then_output(move || {
        SearchProductsOutput::builder().product_view_summaries(summary("prod-bbbbbbbbbbbbb")).build()
    });

    let products = versions(&[&first, &last]).launchable().await.unwrap();

    let ids: Vec<&str> = products.iter().map(|product| product.id.as_str()).collect();
    assert_eq!(ids, ["prod-aaaaaaaaaaaaa", "prod-bbbbbbbbbbbbb"]);
    let requests = sent.all();
    assert_eq!((requests[0].page_token(), requests[1].page_token()), (None, Some("page-2")));
    assert_eq!(requests[0].page_size(), Some(100));
    assert_eq!(requests[0].accept_language(), Some("en"));
}

// -- CreateProvisioningArtifact -----------------------------------------------------------------------------------

fn new_version() -> sc_stack_importer::ports::NewVersion {
    sc_stack_importer::ports::NewVersion {
        product: product_id(),
        name: "imported-0123456789ab".into(),
        description: format!("Made by sc-stack-importer from stack {ARN}"),
        stack: stack_arn(),
        token: IdempotencyToken(TOKEN.into()),
    }
}

#[tokio::test]
async fn a_version_is_made_from_the_stack_with_its_name_and_token() {
    use aws_sdk_servicecatalog::operation::create_provisioning_artifact::CreateProvisioningArtifactOutput;
    use aws_sdk_servicecatalog::types::Status;
    let sent = Sent::new();
    let rule = mock!(Client::create_provisioning_artifact).match_requests(sent.recorder()).then_output(|| {
        CreateProvisioningArtifactOutput::builder()
            .provisioning_artifact_detail(
                ProvisioningArtifactDetail::builder().id("pa-madefromstack").active(true).build(),
            )
            .status(Status::Creating)
            .build()
    });

    let made = versions(&[&rule]).create(&new_version()).await.unwrap();

    let request = sent.only();
    assert_eq!((request.product_id(), request.idempotency_token()), (Some(PRODUCT), Some(TOKEN)));
    let parameters = request.parameters().unwrap();
    assert_eq!(parameters.name(), Some("imported-0123456789ab"));
    assert_eq!(parameters.info().unwrap().get("ImportFromPhysicalId").map(String::as_str), Some(ARN));
    assert_eq!(parameters.info().unwrap().len(), 1);
    assert_eq!((made.id.as_str(), made.status), ("pa-madefromstack", VersionStatus::Creating));
}

#[tokio::test]
async fn the_quota_and_a_refused_product_are_told_apart_from_other_failures() {
    use aws_sdk_servicecatalog::operation::create_provisioning_artifact::CreateProvisioningArtifactError as Error;
    use sc_stack_importer::ports::CreateVersionError;
    let refusing = |code: &'static str| {
        mock!(Client::create_provisioning_artifact).then_error(move || Error::generic(metadata(code, "refused")))
    };
    let answers = [
        ("LimitExceededException", "limit"),
        ("InvalidParametersException", "refused"),
        ("ResourceNotFoundException", "refused"),
        ("AccessDeniedException", "failed"),
    ];
    for (code, expected) in answers {
        let rule = refusing(code);
        let error = versions(&[&rule]).create(&new_version()).await.unwrap_err();
        let seen = match error {
            CreateVersionError::Limit(_) => "limit",
            CreateVersionError::Refused(_) => "refused",
            CreateVersionError::Failed(_) => "failed",
        };
        assert_eq!(seen, expected, "{code}");
    }
}
