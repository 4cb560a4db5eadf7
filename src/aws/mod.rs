//! Adapters: one per AWS service (and the template URL fetch), each implementing a port of `crate::ports`.
//! SDK types stay in here.

pub mod cloudformation;
pub mod error;
pub mod eventbridge;
pub mod http;
pub mod servicecatalog;
pub mod sns;

pub use cloudformation::CloudFormationStackReader;
pub use eventbridge::EventBridgeOutcomePublisher;
pub use http::HttpTemplateFetcher;
pub use servicecatalog::ServiceCatalogCatalog;
pub use sns::SnsOutcomePublisher;
