//! The facade over the generated LALRPOP parser: token-stream limits, then
//! parsing with error recovery, every error as an [`OttlError`] (E450/E457).

use lalrpop_util::{lalrpop_mod, ErrorRecovery, ParseError};

use cpl_syntax::codes;

use super::ast::Node;
use super::lexer::{LexError, Lexer, Token};
use super::{OttlError, MAX_NESTING};

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

fn syntax(message: impl Into<String>, span: std::ops::Range<usize>) -> OttlError {
    OttlError {
        code: &codes::OTTL_SYNTAX,
        message: message.into(),
        span,
        help: None,
    }
}

fn expected_phrase(expected: &[String]) -> Option<String> {
    let names: Vec<String> = expected
        .iter()
        .map(|e| e.trim_matches('"').to_owned())
        .filter(|e| !e.is_empty())
        .collect();
    match names.len() {
        1..=8 => Some(format!("expected {}", names.join(", "))),
        _ => None,
    }
}

fn convert(error: ParseError<usize, Token<'_>, ()>, source: &str) -> OttlError {
    match error {
        ParseError::InvalidToken { location } => syntax("invalid input", location..location + 1),
        ParseError::UnrecognizedEof { location, expected } => {
            let mut e = syntax("condition ends too early", location..location);
            e.help = expected_phrase(&expected);
            e
        }
        ParseError::UnrecognizedToken {
            token: (start, token, end),
            expected,
        } => match token {
            Token::Error(kind) => lexical(kind, start..end),
            Token::Int(text) | Token::Float(text) if text.starts_with(['-', '+']) => {
                let mut e = syntax(format!("unexpected number `{text}`"), start..end);
                e.help = Some(format!(
                    "OTTL reads `{text}` as one number; to add or subtract, write `{} {}`",
                    &text[..1],
                    &text[1..]
                ));
                e
            }
            token => {
                let mut e = syntax(format!("unexpected {}", token.describe()), start..end);
                e.help = expected_phrase(&expected);
                e
            }
        },
        ParseError::ExtraToken {
            token: (start, token, end),
        } => syntax(format!("unexpected {}", token.describe()), start..end),
        ParseError::User { .. } => syntax("invalid condition", 0..source.len()),
    }
}

fn lexical(kind: LexError, span: std::ops::Range<usize>) -> OttlError {
    match kind {
        LexError::InvalidCharacter => OttlError {
            code: &codes::OTTL_SYNTAX,
            message: "invalid character".to_owned(),
            span,
            help: Some(
                "OTTL strings use double quotes; conditions combine with `and`, `or` and `not`"
                    .to_owned(),
            ),
        },
        LexError::UnterminatedString => OttlError {
            code: &codes::OTTL_SYNTAX,
            message: "unterminated string literal".to_owned(),
            span,
            help: Some("close the string with `\"`".to_owned()),
        },
    }
}

/// Lexes and parses one condition into its syntax tree.
pub(crate) fn parse(source: &str) -> Result<Node, Vec<OttlError>> {
    if source
        .trim_matches(['\t', '\n', '\x0C', '\r', ' '])
        .is_empty()
    {
        return Err(vec![syntax("condition is empty", 0..source.len())]);
    }
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    for (start, token, end) in Lexer::new(source) {
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(vec![OttlError {
                        code: &codes::OTTL_TOO_DEEP,
                        message: format!("condition nests deeper than {MAX_NESTING} levels"),
                        span: start..end,
                        help: None,
                    }]);
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
        tokens.push((start, token, end));
    }
    let mut recovered: Vec<ErrorRecovery<usize, Token<'_>, ()>> = Vec::new();
    let result = grammar::ConditionParser::new().parse(&mut recovered, tokens);
    let mut errors: Vec<OttlError> = recovered
        .into_iter()
        .map(|r| convert(r.error, source))
        .collect();
    match result {
        Ok(node) if errors.is_empty() => Ok(node),
        Ok(_) => Err(errors),
        Err(error) => {
            errors.push(convert(error, source));
            Err(errors)
        }
    }
}
