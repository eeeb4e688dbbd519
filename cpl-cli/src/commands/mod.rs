//! One module per subcommand.

pub(crate) mod lint;
pub(crate) mod replay;
mod replay_table;
pub(crate) mod test;
