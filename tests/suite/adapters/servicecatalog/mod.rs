//! The three Service Catalog adapters: `ServiceCatalogProvisionedProducts`, `ServiceCatalogProductVersions` and
//! `ServiceCatalogImporter`. What they share (the client, the answer language) is checked here.

mod importer;
mod product_versions;
mod provisioned_products;

use aws_sdk_servicecatalog::Client;
use aws_sdk_servicecatalog::operation::describe_provisioning_artifact::DescribeProvisioningArtifactOutput;
use aws_sdk_servicecatalog::operation::describe_record::DescribeRecordOutput;
use aws_sdk_servicecatalog::operation::import_as_provisioned_product::ImportAsProvisionedProductOutput;
use aws_sdk_servicecatalog::operation::list_provisioning_artifacts::ListProvisioningArtifactsOutput;
use aws_sdk_servicecatalog::operation::search_provisioned_products::SearchProvisionedProductsOutput;
use aws_sdk_servicecatalog::types::error::ResourceNotFoundException;
use aws_sdk_servicecatalog::types::{RecordDetail, RecordStatus as SdkRecordStatus};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

use sc_stack_importer::aws::{
    ServiceCatalogImporter, ServiceCatalogProductVersions, ServiceCatalogProvisionedProducts,
};
use sc_stack_importer::config::AcceptLanguage;
use sc_stack_importer::ids::{ArtifactId, ProductId, ProvisionedProductName, RecordId};
use sc_stack_importer::ports::{IdempotencyToken, ImportOrder, Importer, ProductVersions, ProvisionedProducts};

use super::*;

const PRODUCT: &str = "prod-abcdefghijklm";
const ARTIFACT: &str = "pa-abcdefghijklm";
const TOKEN: &str = "3f1c0a9e5b7d4e2f8a6c1b3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f";

fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_servicecatalog, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()))
}

fn product_id() -> ProductId {
    ProductId::parse(PRODUCT).unwrap()
}

fn artifact_id() -> ArtifactId {
    ArtifactId::parse(ARTIFACT).unwrap()
}

fn name(name: &str) -> ProvisionedProductName {
    ProvisionedProductName::parse(name).unwrap()
}

fn record_id(id: &str) -> RecordId {
    RecordId::parse(id).unwrap()
}

fn import_order() -> ImportOrder {
    ImportOrder {
        product: product_id(),
        artifact: artifact_id(),
        name: name("payments-api"),
        stack: stack_arn(),
        token: IdempotencyToken(TOKEN.into()),
    }
}

/// A modeled ResourceNotFoundException, as the SDK's deserializer builds it: the code and message in its metadata.
fn resource_not_found(message: &str) -> ResourceNotFoundException {
    ResourceNotFoundException::builder().message(message).meta(metadata("ResourceNotFoundException", message)).build()
}

fn imported(status: SdkRecordStatus) -> ImportAsProvisionedProductOutput {
    ImportAsProvisionedProductOutput::builder()
        .record_detail(
            RecordDetail::builder()
                .record_id("rec-1")
                .status(status)
                .provisioned_product_id("pp-1")
                .record_type("IMPORT_PROVISIONED_PRODUCT")
                .build(),
        )
        .build()
}

#[tokio::test]
async fn the_configured_language_is_sent_with_every_call_of_every_adapter() {
    // GIVEN the three adapters configured for Japanese, each on its own client
    let searched = Sent::new();
    let listed = Sent::new();
    let described = Sent::new();
    let imported_with = Sent::new();
    let followed = Sent::new();
    let search = mock!(Client::search_provisioned_products)
        .match_requests(searched.recorder())
        .then_output(|| SearchProvisionedProductsOutput::builder().build());
    let list = mock!(Client::list_provisioning_artifacts)
        .match_requests(listed.recorder())
        .then_output(|| ListProvisioningArtifactsOutput::builder().build());
    let describe = mock!(Client::describe_provisioning_artifact)
        .match_requests(described.recorder())
        .then_output(|| DescribeProvisioningArtifactOutput::builder().build());
    let import = mock!(Client::import_as_provisioned_product)
        .match_requests(imported_with.recorder())
        .then_output(|| imported(SdkRecordStatus::Created));
    let follow = mock!(Client::describe_record).match_requests(followed.recorder()).then_output(|| {
        DescribeRecordOutput::builder().record_detail(RecordDetail::builder().record_id("rec-1").build()).build()
    });
    let provisioned = ServiceCatalogProvisionedProducts::new(client(&[&search]), AcceptLanguage::Jp);
    let versions = ServiceCatalogProductVersions::new(client(&[&list, &describe]), AcceptLanguage::Jp);
    let importer = ServiceCatalogImporter::new(client(&[&import, &follow]), AcceptLanguage::Jp);
    // WHEN each operation is called once
    provisioned.by_name(&name("payments-api")).await.unwrap();
    versions.list(&product_id()).await.unwrap();
    versions.get(&product_id(), &artifact_id()).await.unwrap();
    importer.import(&import_order()).await.unwrap();
    importer.record(&record_id("rec-1")).await.unwrap();
    // THEN every request says "jp"
    assert_eq!(searched.only().accept_language(), Some("jp"));
    assert_eq!(listed.only().accept_language(), Some("jp"));
    assert_eq!(described.only().accept_language(), Some("jp"));
    assert_eq!(imported_with.only().accept_language(), Some("jp"));
    assert_eq!(followed.only().accept_language(), Some("jp"));
}
