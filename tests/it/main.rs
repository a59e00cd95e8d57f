//! The integration tests, one binary (faster to link than one per file).

mod client;
mod collect;
mod failures;
mod inputs;
mod support;
