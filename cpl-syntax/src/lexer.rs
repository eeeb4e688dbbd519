//! The CPL lexer: expression text -> `(start, Token, end)` triples for the parser.
//!
//! logos does the scanning. Bytes that do not form a token are not a hard stop:
//! they become an in-band [`Token::Error`] so the parser can recover and the user
//! sees every error of an expression in one run (the nickel pattern).
//!
//! Keywords are case-insensitive (clarvynn compatibility) and are recognised after
//! scanning an identifier, so `status_code.and` stays one dotted name while `AND`,
//! `And` and `and` are the keyword.

use logos::Logos;

/// A lexical mistake, carried in-band as [`Token::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexError {
    /// A character that starts no token.
    InvalidCharacter,
    /// A quote that is never closed on its line.
    UnterminatedString,
    /// Digits glued to letters or dots in a way no number or duration allows.
    InvalidNumber,
    /// A number that starts with a dot, like `.5`.
    LeadingDot,
    /// A quote opened, then a raw line break before it was closed.
    NewlineInString,
    /// `=` where `==` was meant.
    SingleEquals,
    /// `&&`, `||` or `!` from C-like languages.
    CStyleOperator,
    /// A duration literal that is not a whole number of nanoseconds or overflows.
    InvalidDuration,
}

/// A token as the grammar sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Token<'src> {
    /// A possibly dotted name: `status_code`, `http.route`, `resource.service.name`.
    Identifier(&'src str),
    /// An integer literal that fits in `i64`.
    Integer(i64),
    /// A float literal (or an integer literal too large for `i64`).
    Float(f64),
    /// A duration literal in nanoseconds, with the unit it was written in.
    Duration((i64, crate::ast::DurationUnit)),
    /// A string literal, escapes already decoded (a raw string's text as written).
    String(String),
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `NOT`
    Not,
    /// `contains`
    Contains,
    /// `in`
    In,
    /// `matches`
    Matches,
    /// `starts_with`
    StartsWith,
    /// `ends_with`
    EndsWith,
    /// `exists`
    Exists,
    /// `true`
    True,
    /// `false`
    False,
    /// `attributes` (as in `attributes["odd key"]`)
    Attributes,
    /// `resource` (as in `resource["odd key"]`)
    Resource,
    /// `trace_state` (as in `trace_state["ot"]`)
    TraceState,
    /// `is` (as in `x is int`)
    Is,
    /// `any` (as in `any(status == ERROR)`)
    Any,
    /// `fnv_sample` (as in `fnv_sample(10)`)
    FnvSample,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// Bytes that form no token.
    Error(LexError),
}

impl Token<'_> {
    /// How the token reads in "expected one of ..." messages and labels.
    pub fn describe(&self) -> String {
        match self {
            Token::Identifier(name) => format!("name `{name}`"),
            Token::Integer(_) | Token::Float(_) => "number".to_owned(),
            Token::Duration(..) => "duration".to_owned(),
            Token::String(_) => "string literal".to_owned(),
            Token::Error(_) => "invalid input".to_owned(),
            other => format!("`{}`", other.keyword_text()),
        }
    }

    fn keyword_text(&self) -> &'static str {
        match self {
            Token::And => "AND",
            Token::Or => "OR",
            Token::Not => "NOT",
            Token::Contains => "contains",
            Token::In => "in",
            Token::Matches => "matches",
            Token::StartsWith => "starts_with",
            Token::EndsWith => "ends_with",
            Token::Exists => "exists",
            Token::True => "true",
            Token::False => "false",
            Token::Attributes => "attributes",
            Token::Resource => "resource",
            Token::TraceState => "trace_state",
            Token::Is => "is",
            Token::Any => "any",
            Token::FnvSample => "fnv_sample",
            Token::Eq => "==",
            Token::Ne => "!=",
            Token::Lt => "<",
            Token::Le => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::Comma => ",",
            _ => "",
        }
    }
}

/// The keyword an identifier spells, compared case-insensitively; `None` for a name.
pub(crate) fn keyword(ident: &str) -> Option<Token<'static>> {
    // Keep in sync with spec/lexical.md, "Keywords".
    const KEYWORDS: [(&str, Token<'static>); 17] = [
        ("and", Token::And),
        ("or", Token::Or),
        ("not", Token::Not),
        ("contains", Token::Contains),
        ("in", Token::In),
        ("matches", Token::Matches),
        ("starts_with", Token::StartsWith),
        ("ends_with", Token::EndsWith),
        ("exists", Token::Exists),
        ("true", Token::True),
        ("false", Token::False),
        ("attributes", Token::Attributes),
        ("resource", Token::Resource),
        ("trace_state", Token::TraceState),
        ("is", Token::Is),
        ("any", Token::Any),
        ("fnv_sample", Token::FnvSample),
    ];
    if ident.len() > 11 || ident.contains('.') {
        return None;
    }
    KEYWORDS
        .iter()
        .find(|(text, _)| text.eq_ignore_ascii_case(ident))
        .map(|(_, token)| token.clone())
}

/// The raw scan. Priorities settle the ties between overlapping patterns.
#[derive(Logos, Debug, Clone, Copy, PartialEq)]
#[logos(skip r"[ \t\r\n]+")]
enum Raw {
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")]
    Identifier,
    #[regex(r"[+-]?[0-9]+", priority = 5)]
    Integer,
    #[regex(r"[+-]?[0-9]+\.[0-9]*([eE][+-]?[0-9]+)?", priority = 5)]
    #[regex(r"[+-]?[0-9]+[eE][+-]?[0-9]+", priority = 5)]
    Float,
    #[regex(r"[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h)", priority = 6)]
    Duration,
    // Digits glued to letters (`500AND`, `0x1F4`, `1_000`). Dots are left out so that
    // `5.AND` reads as `5.` then `AND`, as clarvynn reads it; `1.2.3` still fails on `.3`.
    #[regex(r"[+-]?[0-9][0-9A-Za-z_]*", priority = 1)]
    InvalidNumber,
    #[regex(r"\.[0-9]+")]
    LeadingDot,
    // A backslash escapes any character but a line feed, a raw carriage return
    // included (clarvynn reads `\<CR>` as CR).
    #[regex(r#"'([^'\\\n\r]|\\[^\n])*'"#)]
    #[regex(r#""([^"\\\n\r]|\\[^\n])*""#)]
    String,
    // A raw string (`r'\d+'`) keeps every character up to its closing quote as is.
    #[regex(r#"r'[^'\n\r]*'"#)]
    #[regex(r#"r"[^"\n\r]*""#)]
    Unescaped,
    #[regex(r#"'([^'\\\n\r]|\\[^\n])*\\?"#, priority = 1)]
    #[regex(r#""([^"\\\n\r]|\\[^\n])*\\?"#, priority = 1)]
    #[regex(r#"r'[^'\n\r]*"#, priority = 1)]
    #[regex(r#"r"[^"\n\r]*"#, priority = 1)]
    UnterminatedString,
    #[token("==")]
    Eq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token("=")]
    SingleEquals,
    #[token("&&")]
    #[token("||")]
    #[token("!")]
    CStyle,
}

/// Lexes `source` into `(start, token, end)` byte-offset triples.
pub struct Lexer<'src> {
    inner: logos::Lexer<'src, Raw>,
    /// A token read ahead while deciding whether a number is glued to a name.
    peeked: Option<(usize, Token<'src>, usize)>,
}

impl<'src> Lexer<'src> {
    /// A lexer over one expression.
    pub fn new(source: &'src str) -> Self {
        Self {
            inner: Raw::lexer(source),
            peeked: None,
        }
    }
}

impl<'src> Iterator for Lexer<'src> {
    type Item = (usize, Token<'src>, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let token = self.peeked.take().or_else(|| self.scan())?;
        if !matches!(token.1, Token::Integer(_) | Token::Float(_)) {
            return Some(token);
        }
        // `5.0e` or `1.s`: a number glued to a name is one malformed number. A number
        // glued to a keyword is two tokens, as clarvynn reads `5.AND`.
        match self.scan() {
            Some((start, Token::Identifier(_), end)) if start == token.2 => {
                Some((token.0, Token::Error(LexError::InvalidNumber), end))
            }
            next => {
                self.peeked = next;
                Some(token)
            }
        }
    }
}

impl<'src> Lexer<'src> {
    fn scan(&mut self) -> Option<(usize, Token<'src>, usize)> {
        let raw = self.inner.next()?;
        let span = self.inner.span();
        let text = self.inner.slice();
        let token = match raw {
            Ok(raw) => convert(raw, text),
            Err(()) => Token::Error(LexError::InvalidCharacter),
        };
        // An unterminated string followed by a raw line break reads better as such.
        let token = match token {
            Token::Error(LexError::UnterminatedString)
                if matches!(
                    self.inner.remainder().as_bytes().first(),
                    Some(b'\n' | b'\r')
                ) =>
            {
                Token::Error(LexError::NewlineInString)
            }
            other => other,
        };
        Some((span.start, token, span.end))
    }
}

fn convert(raw: Raw, text: &str) -> Token<'_> {
    match raw {
        Raw::Identifier => keyword(text).unwrap_or(Token::Identifier(text)),
        Raw::Integer => match text.parse::<i64>() {
            Ok(value) => Token::Integer(value),
            // Too large for i64: read it as clarvynn would, as a float.
            Err(_) => parse_float(text),
        },
        Raw::Float => parse_float(text),
        Raw::Duration => parse_duration(text),
        Raw::InvalidNumber => Token::Error(LexError::InvalidNumber),
        Raw::LeadingDot => Token::Error(LexError::LeadingDot),
        Raw::String => Token::String(unescape(&text[1..text.len() - 1])),
        Raw::Unescaped => Token::String(text[2..text.len() - 1].to_owned()),
        Raw::UnterminatedString => Token::Error(LexError::UnterminatedString),
        Raw::Eq => Token::Eq,
        Raw::Ne => Token::Ne,
        Raw::Lt => Token::Lt,
        Raw::Le => Token::Le,
        Raw::Gt => Token::Gt,
        Raw::Ge => Token::Ge,
        Raw::LParen => Token::LParen,
        Raw::RParen => Token::RParen,
        Raw::LBracket => Token::LBracket,
        Raw::RBracket => Token::RBracket,
        Raw::Comma => Token::Comma,
        Raw::SingleEquals => Token::Error(LexError::SingleEquals),
        Raw::CStyle => Token::Error(LexError::CStyleOperator),
    }
}

fn parse_float(text: &str) -> Token<'_> {
    // The regexes only admit what Rust's float parser reads (`5.`, `1e400` = inf, `+5`).
    text.parse::<f64>()
        .map_or(Token::Error(LexError::InvalidNumber), Token::Float)
}

fn parse_duration(text: &str) -> Token<'_> {
    use crate::ast::DurationUnit;
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let Some(unit) = DurationUnit::from_suffix(unit) else {
        return Token::Error(LexError::InvalidDuration);
    };
    match duration_nanos(number, unit.nanos()) {
        Some(nanos) => Token::Duration((nanos, unit)),
        None => Token::Error(LexError::InvalidDuration),
    }
}

/// `number` (digits, optionally `.digits`) times `unit` nanoseconds, exactly, or `None`
/// when the product is fractional or does not fit in `i64`.
fn duration_nanos(number: &str, unit: i64) -> Option<i64> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole: i64 = whole.parse().ok()?;
    let mut nanos = whole.checked_mul(unit)?;
    let mut scale = unit;
    for digit in fraction.bytes() {
        let digit = i64::from(digit - b'0');
        if scale % 10 != 0 {
            if digit != 0 {
                return None;
            }
            continue;
        }
        scale /= 10;
        nanos = nanos.checked_add(digit * scale)?;
    }
    Some(nanos)
}

/// Decodes clarvynn's escapes: `\t \n \r \f \0` are control characters and any other
/// `\X` stands for `X` itself (so `\\`, `\'`, `\"`, and `\q` is `q`).
pub(crate) fn unescape(body: &str) -> String {
    if !body.contains('\\') {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(source: &str) -> Vec<Token<'_>> {
        Lexer::new(source).map(|(_, token, _)| token).collect()
    }

    #[test]
    fn keywords_are_case_insensitive_but_dotted_names_are_not_keywords() {
        assert_eq!(
            tokens("AND and And status_code.and"),
            vec![
                Token::And,
                Token::And,
                Token::And,
                Token::Identifier("status_code.and")
            ]
        );
    }

    #[test]
    fn numbers_follow_clarvynn() {
        assert_eq!(tokens("+500"), vec![Token::Integer(500)]);
        assert_eq!(tokens("007"), vec![Token::Integer(7)]);
        assert_eq!(tokens("5."), vec![Token::Float(5.0)]);
        assert_eq!(tokens("1e3"), vec![Token::Float(1000.0)]);
        assert_eq!(tokens("1.5e+2"), vec![Token::Float(150.0)]);
        assert_eq!(tokens("1e400"), vec![Token::Float(f64::INFINITY)]);
        assert_eq!(tokens(".5"), vec![Token::Error(LexError::LeadingDot)]);
        assert_eq!(tokens("0x1F4"), vec![Token::Error(LexError::InvalidNumber)]);
        assert_eq!(tokens("1_000"), vec![Token::Error(LexError::InvalidNumber)]);
        assert_eq!(
            tokens("500AND"),
            vec![Token::Error(LexError::InvalidNumber)]
        );
    }

    #[test]
    fn durations_are_exact_nanoseconds() {
        use crate::ast::DurationUnit as U;
        assert_eq!(
            tokens("250ms"),
            vec![Token::Duration((250_000_000, U::Milliseconds))]
        );
        assert_eq!(
            tokens("1.5s"),
            vec![Token::Duration((1_500_000_000, U::Seconds))]
        );
        assert_eq!(
            tokens("2m"),
            vec![Token::Duration((120_000_000_000, U::Minutes))]
        );
        assert_eq!(
            tokens("1.5ns"),
            vec![Token::Error(LexError::InvalidDuration)]
        );
    }

    #[test]
    fn strings_decode_clarvynn_escapes() {
        assert_eq!(tokens(r"'it\'s'"), vec![Token::String("it's".into())]);
        assert_eq!(
            tokens(r#""say \"hi\"""#),
            vec![Token::String("say \"hi\"".into())]
        );
        assert_eq!(tokens(r"'\t\q\\'"), vec![Token::String("\tq\\".into())]);
        assert_eq!(
            tokens("'open"),
            vec![Token::Error(LexError::UnterminatedString)]
        );
        assert_eq!(
            tokens(r#"r'^/v\d+\' r"it's""#),
            vec![
                Token::String(r"^/v\d+\".into()),
                Token::String("it's".into())
            ]
        );
        assert_eq!(
            tokens("R'x' r\"open"),
            vec![
                Token::Identifier("R"),
                Token::String("x".into()),
                Token::Error(LexError::UnterminatedString)
            ]
        );
        assert_eq!(
            tokens("r 'x'"),
            vec![Token::Identifier("r"), Token::String("x".into())]
        );
        assert_eq!(
            tokens("r'open\n'"),
            vec![
                Token::Error(LexError::NewlineInString),
                Token::Error(LexError::UnterminatedString)
            ]
        );
        assert_eq!(
            tokens("'open\n'"),
            vec![
                Token::Error(LexError::NewlineInString),
                Token::Error(LexError::UnterminatedString)
            ]
        );
    }
}
