//! The wire protocol below the SDK: targets, status codes, `__type`, content type, loopback.

use crate::support::{TestEnv, post_raw};

#[tokio::test]
async fn an_unknown_operation_is_a_400_unknown_operation_exception_naming_it() {
    let env = TestEnv::start().await;
    let (status, _, body) = post_raw(env.addr(), Some("AWS242ServiceCatalogService.ProvisionProduct"), "{}").await;
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["__type"], "UnknownOperationException");
    assert!(body["message"].as_str().unwrap_or_default().contains("ProvisionProduct"), "{body}");
}

#[tokio::test]
async fn a_request_without_a_target_is_an_unknown_operation() {
    let env = TestEnv::start().await;
    let (status, _, body) = post_raw(env.addr(), None, "{}").await;
    assert_eq!(status, 400);
    assert!(body.contains("UnknownOperationException"), "{body}");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_serialization_exception() {
    let env = TestEnv::start().await;
    let (status, _, body) = post_raw(env.addr(), Some("AWS242ServiceCatalogService.DescribeRecord"), "{not json").await;
    assert_eq!(status, 400);
    assert!(body.contains("SerializationException"), "{body}");
}

#[tokio::test]
async fn answers_are_amz_json_1_1_with_a_request_id() {
    let env = TestEnv::start().await;
    let (status, headers, body) =
        post_raw(env.addr(), Some("AWS242ServiceCatalogService.SearchProvisionedProducts"), "{}").await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-type").map(String::as_str), Some("application/x-amz-json-1.1"));
    assert!(headers.get("x-amzn-requestid").is_some_and(|id| id.len() == 36), "{headers:?}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["ProvisionedProducts"], serde_json::json!([]));
    assert_eq!(body["TotalResultsCount"], 0);
}

#[tokio::test]
async fn a_missing_required_member_is_invalid_parameters_naming_it() {
    let env = TestEnv::start().await;
    let (status, _, body) =
        post_raw(env.addr(), Some("AWS242ServiceCatalogService.ListProvisioningArtifacts"), "{}").await;
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["__type"], "InvalidParametersException");
    assert!(body["message"].as_str().unwrap_or_default().contains("ProductId"), "{body}");
}

#[tokio::test]
async fn the_emulator_listens_on_loopback_only() {
    let env = TestEnv::start().await;
    assert!(env.addr().ip().is_loopback(), "{}", env.addr());
}
