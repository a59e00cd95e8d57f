//! One module per subcommand: each takes its parsed flags, runs, and returns the exit code.
//! The work itself is in the library's modules; a command resolves its settings, starts what
//! it needs (a runtime, a signal handler), calls them, and says how it went.

pub mod changes;
pub mod collect;
pub mod demo;
pub mod diff;
pub mod doctor;
pub mod manual;
pub mod report;
pub mod schema;
pub mod verify;
