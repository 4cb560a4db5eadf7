//! sc-stack-importer: brings CloudFormation stacks under AWS Service Catalog governance by importing each one as a
//! provisioned product of the right product and version, and publishing one outcome per stack.
//!
//! The table of contents: `lambda` delivers invocations to the `pipeline`, whose steps are `eligibility`,
//! `provisioned`, `routing`, `matching` and `import`; `ports` are the capabilities they need and `aws` implements them.

pub mod aws;
pub mod config;
pub mod decision;
pub mod discovery;
pub mod eligibility;
pub mod failure;
pub mod ids;
pub mod import;
pub mod known;
pub mod lambda;
pub mod matching;
pub mod outcome;
pub mod pipeline;
pub mod ports;
pub mod provisioned;
pub mod queue;
pub mod record;
pub mod routing;
pub mod stack;
pub mod sweep;
pub mod text;
pub mod url_allow;
pub mod versioning;
