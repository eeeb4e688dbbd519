//! One module per subcommand.

pub(crate) mod compile;
pub(crate) mod completions;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod import;
mod input_report;
pub(crate) mod lint;
pub(crate) mod replay;
mod replay_table;
pub(crate) mod scan;
pub(crate) mod schema;
pub(crate) mod test;
