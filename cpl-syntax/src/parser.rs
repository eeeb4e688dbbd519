//! The facade over the generated LALRPOP parser.
//!
//! [`parse_expression`] returns [`Parsed`]: the tree, when one could be built, and
//! every syntax error found. LALRPOP's own error types stay in here. Limits that keep
//! hostile input from exhausting the stack or memory are enforced on the token stream
//! before the parser sees it (spec/expressions.md, "Limits").

use lalrpop_util::{lalrpop_mod, ErrorRecovery, ParseError};

use crate::ast::{Expr, Span};
use crate::diagnostic::{codes, Code};
use crate::lexer::{LexError, Lexer, Token};

lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::unwrap_used,
        unreachable_pub,
        missing_docs,
        unused_qualifications
    )]
    grammar
);

/// The deepest nesting of parentheses and `NOT`s an expression may have.
pub const MAX_NESTING: usize = 256;

/// The longest expression, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 1 << 20;

/// The result of parsing one expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The tree; `None` only when nothing could be built. May contain
    /// [`ExprKind::Error`](crate::ast::ExprKind::Error) nodes where errors were recovered.
    pub expr: Option<Expr>,
    /// Every syntax error, in source order.
    pub errors: Vec<SyntaxError>,
}

impl Parsed {
    /// The tree, if it was parsed without any error.
    pub fn ok(&self) -> Option<&Expr> {
        if self.errors.is_empty() {
            self.expr.as_ref()
        } else {
            None
        }
    }
}

/// A syntax error, located by a span into the expression text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxError {
    /// Nothing but whitespace.
    #[error("expression is empty")]
    Empty {
        /// The (empty) expression.
        span: Span,
    },
    /// A token that cannot continue the expression.
    #[error("unexpected {found}")]
    UnexpectedToken {
        /// How the token reads (`name \`foo\``, `` `)` ``).
        found: String,
        /// What could have come instead.
        expected: Vec<String>,
        /// The token.
        span: Span,
    },
    /// The expression stops too early.
    #[error("expression ends too early")]
    UnexpectedEnd {
        /// What could have come next.
        expected: Vec<String>,
        /// The end of the expression.
        span: Span,
    },
    /// Text that forms no token.
    #[error("{}", lex_message(*.kind))]
    Lexical {
        /// What is wrong with it.
        kind: LexError,
        /// The bad text.
        span: Span,
    },
    /// Parentheses or `NOT`s nested deeper than [`MAX_NESTING`].
    #[error("expression nests deeper than {MAX_NESTING} levels")]
    NestingTooDeep {
        /// The token that crossed the limit.
        span: Span,
    },
    /// More than [`MAX_EXPRESSION_BYTES`] of text.
    #[error("expression is {length} bytes long; the limit is {MAX_EXPRESSION_BYTES}")]
    TooLong {
        /// Its length in bytes.
        length: usize,
        /// Its first byte.
        span: Span,
    },
}

fn lex_message(kind: LexError) -> &'static str {
    match kind {
        LexError::InvalidCharacter => "invalid character",
        LexError::UnterminatedString => "unterminated string literal",
        LexError::InvalidNumber => "invalid number literal",
        LexError::LeadingDot => "number literal starts with a dot",
        LexError::NewlineInString => "line break inside a string literal",
        LexError::SingleEquals => "`=` is not an operator",
        LexError::CStyleOperator => "C-style operator",
        LexError::InvalidDuration => "invalid duration literal",
    }
}

impl SyntaxError {
    /// Where the error is, relative to the expression.
    pub fn span(&self) -> Span {
        match self {
            SyntaxError::Empty { span }
            | SyntaxError::UnexpectedToken { span, .. }
            | SyntaxError::UnexpectedEnd { span, .. }
            | SyntaxError::Lexical { span, .. }
            | SyntaxError::NestingTooDeep { span }
            | SyntaxError::TooLong { span, .. } => *span,
        }
    }

    /// The registry entry.
    pub fn code(&self) -> &'static Code {
        match self {
            SyntaxError::Empty { .. } => &codes::EMPTY_EXPRESSION,
            SyntaxError::UnexpectedToken { .. } => &codes::UNEXPECTED_TOKEN,
            SyntaxError::UnexpectedEnd { .. } => &codes::UNEXPECTED_END,
            SyntaxError::NestingTooDeep { .. } => &codes::NESTING_TOO_DEEP,
            SyntaxError::TooLong { .. } => &codes::EXPRESSION_TOO_LONG,
            SyntaxError::Lexical { kind, .. } => match kind {
                LexError::InvalidCharacter => &codes::INVALID_CHARACTER,
                LexError::UnterminatedString => &codes::UNTERMINATED_STRING,
                LexError::NewlineInString => &codes::NEWLINE_IN_STRING,
                LexError::InvalidNumber | LexError::LeadingDot => &codes::INVALID_NUMBER,
                LexError::InvalidDuration => &codes::INVALID_DURATION,
                LexError::SingleEquals => &codes::SINGLE_EQUALS,
                LexError::CStyleOperator => &codes::C_STYLE_OPERATOR,
            },
        }
    }

    /// What the label at the span says.
    pub fn label(&self) -> String {
        match self {
            SyntaxError::Empty { .. } => "no expression here".to_owned(),
            SyntaxError::UnexpectedToken { expected, .. }
            | SyntaxError::UnexpectedEnd { expected, .. } => expected_phrase(expected),
            SyntaxError::Lexical { kind, .. } => match kind {
                LexError::InvalidCharacter => "not part of any token".to_owned(),
                LexError::UnterminatedString | LexError::NewlineInString => {
                    "this string is never closed".to_owned()
                }
                LexError::InvalidNumber | LexError::LeadingDot => "not a number".to_owned(),
                LexError::InvalidDuration => "not a whole number of nanoseconds".to_owned(),
                LexError::SingleEquals => "assignment-style `=`".to_owned(),
                LexError::CStyleOperator => "not a CPL operator".to_owned(),
            },
            SyntaxError::NestingTooDeep { .. } => {
                format!("nesting level {} starts here", MAX_NESTING + 1)
            }
            SyntaxError::TooLong { .. } => "expression starts here".to_owned(),
        }
    }

    /// One imperative sentence, when there is something specific to do.
    pub fn help(&self, source: &str) -> Option<String> {
        let text = source.get(self.span().range()).unwrap_or("");
        match self {
            SyntaxError::Empty { .. } => Some(
                "write a condition such as `status_code >= 500`, or remove the condition".to_owned(),
            ),
            SyntaxError::Lexical { kind, .. } => match kind {
                LexError::SingleEquals => Some("use `==` to compare for equality".to_owned()),
                LexError::CStyleOperator => Some(match text {
                    "&&" => "use `AND` to combine conditions".to_owned(),
                    "||" => "use `OR` to combine conditions".to_owned(),
                    _ => "use `NOT` to negate, or `!=` to compare".to_owned(),
                }),
                LexError::LeadingDot => Some(format!("write `0{text}`")),
                LexError::InvalidNumber => Some(
                    "write a decimal number (`500`, `1.5`, `1e3`) or a duration (`250ms`), and separate keywords with spaces"
                        .to_owned(),
                ),
                LexError::InvalidDuration => {
                    Some("use a smaller unit so the value is a whole number, e.g. `1500us`".to_owned())
                }
                LexError::UnterminatedString | LexError::NewlineInString => Some(
                    "close the string with the quote it was opened with; write a line break as `\\n`".to_owned(),
                ),
                LexError::InvalidCharacter => Some(unquoted_value(source, self.span()).unwrap_or_else(|| {
                    "attribute keys with unusual characters are written `attributes[\"key\"]`".to_owned()
                })),
            },
            SyntaxError::UnexpectedToken { found, expected, .. }
                if matches!(found.as_str(), "`==`" | "`!=`" | "`<`" | "`<=`" | "`>`" | "`>=`")
                    && expected.iter().any(|name| name.contains("integer")) =>
            {
                Some("write one comparison operator between the field and the value, e.g. `status_code >= 500`".to_owned())
            }
            SyntaxError::UnexpectedToken { found, .. } if found.starts_with("name") => {
                Some("quote string values: `method == 'GET'`; combine conditions with `AND` or `OR`".to_owned())
            }
            SyntaxError::NestingTooDeep { .. } => {
                Some("remove redundant parentheses or `NOT`s, or split the condition".to_owned())
            }
            SyntaxError::TooLong { .. } => {
                Some("split the expression into several conditions".to_owned())
            }
            _ => None,
        }
    }
}

/// For an invalid character right after a comparison or string operator
/// (`http.route == /health`): the help to quote the value, with the predicate rewritten.
fn unquoted_value(source: &str, span: Span) -> Option<String> {
    const OPERATORS: [&str; 10] = [
        "==",
        "!=",
        "<=",
        ">=",
        "<",
        ">",
        "contains",
        "starts_with",
        "ends_with",
        "matches",
    ];
    let before = source.get(..span.start as usize)?.trim_end();
    let operator = OPERATORS.iter().find(|op| {
        before.len() >= op.len()
            && before
                .get(before.len() - op.len()..)
                .is_some_and(|end| end.eq_ignore_ascii_case(op))
    })?;
    let field_text = before[..before.len() - operator.len()].trim_end();
    let field_start = field_text
        .rfind([' ', '\t', '\r', '\n', '('])
        .map_or(0, |i| i + 1);
    let field = &field_text[field_start..];
    let rest = source.get(span.start as usize..)?;
    let value_end = rest
        .find([' ', '\t', '\r', '\n', ')', ',', ']'])
        .unwrap_or(rest.len());
    let value = &rest[..value_end];
    if field.is_empty() || value.is_empty() || (value.contains('\'') && value.contains('"')) {
        return None;
    }
    let quote = if value.contains('\'') { '"' } else { '\'' };
    Some(format!(
        "quote the value: `{field} {operator} {quote}{value}{quote}`"
    ))
}

/// Summarises LALRPOP's expected-terminal list in the words of spec/expressions.md:
/// "expected a value", "expected a comparison operator", "expected `)`"...
fn expected_phrase(expected: &[String]) -> String {
    let mut phrases: Vec<&str> = Vec::new();
    let mut add = |phrase: &'static str| {
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    };
    let names: Vec<&str> = expected.iter().map(|name| name.trim_matches('"')).collect();
    let starts_condition = names
        .iter()
        .any(|name| matches!(*name, "NOT" | "(" | "exists" | "any"));
    for name in &names {
        match *name {
            // Where a condition may start, names, keywords-as-names and the literals of
            // the mirrored form `500 <= status_code` all start one.
            "NOT" | "(" | "identifier" | "integer" | "float" | "duration" | "string literal"
            | "true" | "false" | "contains" | "in" | "matches" | "starts_with" | "ends_with"
            | "exists" | "attributes" | "resource" | "trace_state" | "is" | "any"
            | "fnv_sample"
                if starts_condition =>
            {
                add("a condition");
            }
            "identifier" | "integer" | "float" | "duration" | "string literal" | "true"
            | "false" => add("a value"),
            "==" | "!=" | "<" | "<=" | ">" | ">=" => add("a comparison operator"),
            "contains" | "starts_with" | "ends_with" | "matches" | "in" | "is" => {
                add("`contains`, `in` or another operator");
            }
            "AND" | "OR" => add("`AND` or `OR`"),
            ")" => add("`)`"),
            "]" => add("`]`"),
            "," => add("`,`"),
            "[" => add("`[`"),
            _ => add("something else"),
        }
    }
    match phrases.as_slice() {
        [] => "not expected here".to_owned(),
        [one] => format!("expected {one}"),
        [init @ .., last] => format!("expected {} or {last}", init.join(", ")),
    }
}

/// Parses one `when:` expression, reporting every syntax error.
pub fn parse_expression(source: &str) -> Parsed {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Parsed {
            expr: None,
            errors: vec![SyntaxError::TooLong {
                length: source.len(),
                span: Span::new(0, 0),
            }],
        };
    }
    if source.trim_matches([' ', '\t', '\r', '\n']).is_empty() {
        return Parsed {
            expr: None,
            errors: vec![SyntaxError::Empty {
                span: Span::new(0, source.len()),
            }],
        };
    }

    let mut guard = NestingGuard::new(Lexer::new(source));
    let mut recovered = Vec::new();
    let result = grammar::ExpressionParser::new().parse(source, &mut recovered, &mut guard);

    let mut errors = Vec::new();
    if let Some(span) = guard.too_deep_at {
        // The stream was cut short at the limit; what the parser says after that is noise.
        errors.push(SyntaxError::NestingTooDeep { span });
        return Parsed { expr: None, errors };
    }
    errors.extend(
        recovered
            .into_iter()
            .map(|recovery: ErrorRecovery<_, _, _>| convert_error(recovery.error, source.len())),
    );
    let expr = match result {
        Ok(expr) => Some(expr),
        Err(error) => {
            errors.push(convert_error(error, source.len()));
            None
        }
    };
    errors.sort_by_key(|error| error.span().start);
    errors.dedup();
    // After an error in the last token, "ends too early" is the same mistake twice.
    let last_token = source.trim_end().len().saturating_sub(1);
    if errors.iter().any(|e| {
        !matches!(e, SyntaxError::UnexpectedEnd { .. }) && e.span().end as usize > last_token
    }) {
        errors.retain(|e| !matches!(e, SyntaxError::UnexpectedEnd { .. }));
    }
    Parsed { expr, errors }
}

fn convert_error(error: ParseError<usize, Token<'_>, ()>, end: usize) -> SyntaxError {
    match error {
        ParseError::InvalidToken { location } => SyntaxError::Lexical {
            kind: LexError::InvalidCharacter,
            span: Span::new(location, location + 1),
        },
        ParseError::UnrecognizedEof { location, expected } => SyntaxError::UnexpectedEnd {
            expected,
            span: Span::new(location.min(end), end),
        },
        ParseError::UnrecognizedToken {
            token: (start, Token::Error(kind), stop),
            ..
        } => SyntaxError::Lexical {
            kind,
            span: Span::new(start, stop),
        },
        ParseError::UnrecognizedToken {
            token: (start, token, stop),
            expected,
        } => SyntaxError::UnexpectedToken {
            found: token.describe(),
            expected,
            span: Span::new(start, stop),
        },
        ParseError::ExtraToken {
            token: (start, token, stop),
        } => SyntaxError::UnexpectedToken {
            found: token.describe(),
            expected: Vec::new(),
            span: Span::new(start, stop),
        },
        ParseError::User { error: () } => SyntaxError::UnexpectedEnd {
            expected: Vec::new(),
            span: Span::new(end, end),
        },
    }
}

/// Tracks how deep the tree being parsed can get and ends the token stream at the
/// first token that would nest deeper than [`MAX_NESTING`].
///
/// Depth is counted as the parser will build it: each open parenthesis is a level, and
/// so is each `NOT` until the `AND`/`OR`/`)` that ends its operand. The count is an
/// upper bound on the depth of the tree, so every later recursive walk is bounded.
struct NestingGuard<'src> {
    tokens: Lexer<'src>,
    /// For each open parenthesis level: the `NOT`s pending at that level.
    pending_nots: Vec<usize>,
    depth: usize,
    too_deep_at: Option<Span>,
}

impl<'src> NestingGuard<'src> {
    fn new(tokens: Lexer<'src>) -> Self {
        Self {
            tokens,
            pending_nots: vec![0],
            depth: 0,
            too_deep_at: None,
        }
    }
}

impl<'src> Iterator for NestingGuard<'src> {
    type Item = (usize, Token<'src>, usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.too_deep_at.is_some() {
            return None;
        }
        let (start, token, end) = self.tokens.next()?;
        let level = self.pending_nots.len() - 1;
        match token {
            Token::LParen => {
                self.pending_nots.push(0);
                self.depth += 1;
            }
            Token::Not => {
                self.pending_nots[level] += 1;
                self.depth += 1;
            }
            Token::RParen | Token::And | Token::Or => {
                self.depth -= self.pending_nots[level];
                self.pending_nots[level] = 0;
                if token == Token::RParen && level > 0 {
                    self.pending_nots.pop();
                    self.depth -= 1;
                }
            }
            _ => {}
        }
        if self.depth > MAX_NESTING {
            self.too_deep_at = Some(Span::new(start, end));
            return None;
        }
        Some((start, token, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(source: &str) -> String {
        let parsed = parse_expression(source);
        assert!(parsed.errors.is_empty(), "{source}: {:?}", parsed.errors);
        parsed.expr.expect("tree").to_string()
    }

    #[test]
    fn precedence_is_or_and_not() {
        assert_eq!(
            canonical("a>=500 OR b>=400 AND method=='POST'"),
            "a >= 500 OR b >= 400 AND method == \"POST\""
        );
        assert_eq!(
            canonical("NOT status_code == 200 AND method == 'GET'"),
            "NOT status_code == 200 AND method == \"GET\""
        );
        assert_eq!(
            canonical("NOT (a == 1 AND b == 2)"),
            "NOT (a == 1 AND b == 2)"
        );
        assert_eq!(
            canonical("(a == 1 OR b == 2) AND c == 3"),
            "(a == 1 OR b == 2) AND c == 3"
        );
        assert_eq!(
            canonical("a == 1 AND (b == 2 AND c == 3)"),
            "a == 1 AND (b == 2 AND c == 3)"
        );
    }

    #[test]
    fn superset_forms() {
        assert_eq!(canonical("500 <= status_code"), "status_code >= 500");
        assert_eq!(
            canonical("http.route in ['/a', \"/b\",]"),
            "http.route in [\"/a\", \"/b\"]"
        );
        assert_eq!(
            canonical("Path Not Contains '/health'"),
            "path not contains \"/health\""
        );
        assert_eq!(
            canonical("exists(resource.service.name)"),
            "exists(resource.service.name)"
        );
        assert_eq!(
            canonical("attributes['odd key'] == 1"),
            "attributes[\"odd key\"] == 1"
        );
        assert_eq!(canonical("kind == SERVER"), "kind == SERVER");
        assert_eq!(canonical("duration > 1.5s"), "duration > 1.5s");
        assert_eq!(canonical("contains == 5"), "attributes[\"contains\"] == 5");
        assert_eq!(
            canonical("exists(exists) AND in in [1]"),
            "exists(attributes[\"exists\"]) AND attributes[\"in\"] in [1]"
        );
    }

    #[test]
    fn every_error_is_reported() {
        let parsed = parse_expression("status_code >>= 500 AND (method == 'GET' OR && x)");
        assert!(parsed.errors.len() >= 2, "{:?}", parsed.errors);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}a == 1{}", "(".repeat(100_000), ")".repeat(100_000));
        let parsed = parse_expression(&deep);
        assert!(matches!(
            parsed.errors.as_slice(),
            [SyntaxError::NestingTooDeep { .. }]
        ));
        let nots = format!("{}a == 1", "NOT ".repeat(100_000));
        let parsed = parse_expression(&nots);
        assert!(matches!(
            parsed.errors.as_slice(),
            [SyntaxError::NestingTooDeep { .. }]
        ));
        let ok = format!("{}a == 1{}", "(".repeat(200), ")".repeat(200));
        assert!(parse_expression(&ok).errors.is_empty());
        let long_chain = vec!["a == 1"; 20_000].join(" OR ");
        assert!(parse_expression(&long_chain).errors.is_empty());
    }
}
