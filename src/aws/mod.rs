//! Adapters: one per AWS service and capability (and the template URL fetch), each implementing a port of
//! `crate::ports` and classifying its own service's errors. SDK types stay in here.

pub mod accounts;
pub mod cloudformation;
pub mod error;
pub mod eventbridge;
pub mod http;
pub mod servicecatalog;
pub mod sns;

pub use accounts::{AwsPorts, OwnAccount};
pub use cloudformation::CloudFormationStackReader;
pub use eventbridge::EventBridgeOutcomePublisher;
pub use http::HttpTemplateFetcher;
pub use servicecatalog::{ServiceCatalogImporter, ServiceCatalogProductVersions, ServiceCatalogProvisionedProducts};
pub use sns::SnsOutcomePublisher;

/// Every SDK call's time bounds, set once on the shared config: connect 3 s, an attempt 5 s, a whole operation (the
/// SDK's three attempts with backoff) 7 s — so that a hung connection cannot spend the invocation.
pub fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(7))
        .build()
}
