//! The integration tests, one binary (faster to link than one per file).

mod audit;
mod bench;
mod changes;
mod client;
mod collect;
mod contract;
mod failures;
mod faults;
mod inputs;
mod local;
mod package;
mod props;
mod quota;
mod secret;
mod support;
mod sync_history;
