//! The integration tests, one binary (faster to link than one per file).

mod access;
mod audit;
mod bench;
mod changes;
mod client;
mod collect;
mod contract;
mod cron;
mod demo;
mod doctor;
mod examples;
mod failures;
mod faults;
mod inputs;
mod local;
mod manual;
mod package;
mod profiles;
mod props;
mod quota;
mod schema;
mod secret;
mod support;
mod sync_history;
mod terminal;
mod verify;
