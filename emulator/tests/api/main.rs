//! The emulator driven over real HTTP by the unchanged aws-sdk-servicecatalog client, reading stacks from a fake
//! CloudFormation through the real aws-sdk-cloudformation client. One test binary, one module per concern.

// Test code: a failed unwrap is a failed test, which is what it is for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod binary;
mod fake_aws;
mod import;
mod products;
mod records;
mod search;
mod seeding;
mod strict;
mod support;
mod versions;
mod wire;
