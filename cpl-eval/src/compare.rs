//! Exact comparisons between values and literals (spec/types.md, "Comparison"): the
//! shared definitions of `cpl_syntax::values`, which cpl-check reasons with too.

pub(crate) use cpl_syntax::values::{cmp_num, holds, nanos_to_millis, Num};
