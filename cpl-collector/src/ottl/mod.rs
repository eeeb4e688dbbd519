//! OTTL conditions (placeholder while building).
mod ast;
mod lexer;
mod parser;
