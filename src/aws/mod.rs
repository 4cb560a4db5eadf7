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
