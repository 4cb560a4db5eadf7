//! sc-stack-importer: brings CloudFormation stacks under AWS Service Catalog governance by importing each one as a
//! provisioned product of the right product and version, and publishing one outcome per stack.

pub mod aws;
pub mod config;
pub mod eligibility;
pub mod event;
pub mod handler;
pub mod import;
pub mod outcome;
pub mod ports;
pub mod routing;
pub mod runtime;
pub mod stack;
pub mod template;
