//! Generates the OTTL condition parser from `src/ottl/grammar.lalrpop`.
fn main() {
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .emit_rerun_directives(true)
        .process()
        .expect("the OTTL grammar must build");
}
