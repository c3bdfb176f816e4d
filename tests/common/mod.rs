//! The black-box harness as the benchmarks under `bench/` include it
//! (`#[path = "../tests/common/mod.rs"] mod common;`).
#![allow(dead_code)] // The benchmarks use a few of the harness's helpers.

#[path = "../blackbox/common/mod.rs"]
mod harness;

pub use harness::*;
