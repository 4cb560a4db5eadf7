//! The integration tests, in one binary so that the AWS SDK is linked once: handler scenarios against small fakes,
//! the AWS adapters against `aws-smithy-mocks`, and the template fetch against a loopback HTTP server.

// Test code: a failed unwrap is a failed test, which is what it is for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod adapters;
mod fakes;
mod http_fetch;
mod properties;
mod scenarios;
mod world;
