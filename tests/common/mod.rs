//! The black-box harness as the benchmarks under `bench/` include it
//! (`#[path = "../tests/common/mod.rs"] mod common;`): the worker, and the applications and
//! users made through the admin API, from the test binary's `support`.
#![allow(dead_code)] // The benchmarks use a few of the harness's helpers.
#![allow(clippy::string_slice)] // Test code: a bad slice fails a benchmark run, not a worker.

// Only its `impl TestApp` (`create_application`, `create_user`) is used.
#[path = "../blackbox/support/applications.rs"]
mod applications;
#[path = "../blackbox/support/worker.rs"]
mod worker;

pub use worker::*;
