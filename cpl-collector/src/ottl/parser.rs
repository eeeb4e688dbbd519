use lalrpop_util::lalrpop_mod;
lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::unwrap_used,
        unreachable_pub,
        missing_docs,
        unused_qualifications
    )]
    grammar,
    "/ottl/grammar.rs"
);
