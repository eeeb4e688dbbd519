//! The OTTL lexer: condition text -> `(start, Token, end)` triples.
//!
//! It reproduces the token rules of `pkg/ottl/grammar.go` (`buildLexer`), a
//! participle "simple" lexer whose rules are tried *in order* at each position:
//! `Bytes`, `Float`, `Int`, `String`, `OpNot`, `OpOr`, `OpAnd`, `OpComparison`,
//! `OpAddSub`, `OpMultDiv`, `Boolean`, `Equal`, parentheses, braces, `Colon`,
//! `Punct`, `Uppercase`, `Lowercase`, whitespace. logos picks the longest match
//! instead; the two agree on every input except the keywords, whose patterns
//! are `\b(not)\b` and so on: a keyword is only a keyword when no ASCII word
//! character touches it on either side (`notX` is the name `not` then `X`). The
//! keyword check therefore runs on each lowercase word after scanning.
//!
//! Signs belong to number literals, as in OTTL: `x -1` is a name then the
//! number `-1` (a syntax error), while `x - 1` is a subtraction.

use logos::Logos;

/// A lexical mistake, carried in-band as [`Token::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LexError {
    /// A character that starts no OTTL token (`'`, `!`, `&`, `_`, non-ASCII...).
    InvalidCharacter,
    /// A `"` that is never closed (or a backslash before a line break).
    UnterminatedString,
}

/// A token as the grammar sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token<'src> {
    /// `0x` and hex digits, as written (decoded by the checker).
    Bytes(&'src str),
    /// A float literal as written (`1.5`, `-.5`, `2.0e3`).
    Float(&'src str),
    /// An integer literal as written, sign included (`-1`, `500`).
    Int(&'src str),
    /// A string literal as written, quotes included (unquoted by the checker).
    Str(&'src str),
    /// `[A-Z][A-Z0-9_]*`: an enum, or a piece of a converter name.
    Upper(&'src str),
    /// `[a-z][a-z0-9_]*` that is no keyword: a path segment.
    Lower(&'src str),
    /// `nil`
    Nil,
    /// `not`
    Not,
    /// `or`
    Or,
    /// `and`
    And,
    /// `true`
    True,
    /// `false`
    False,
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
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `=` (named arguments)
    Assign,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `:`
    Colon,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// Bytes that form no token.
    Error(LexError),
}

impl Token<'_> {
    /// How the token reads in "expected one of ..." messages and labels.
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::Bytes(_) => "byte slice literal".to_owned(),
            Token::Float(_) | Token::Int(_) => "number".to_owned(),
            Token::Str(_) => "string literal".to_owned(),
            Token::Upper(text) | Token::Lower(text) => format!("name `{text}`"),
            Token::Error(_) => "invalid input".to_owned(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Token::Nil => "nil",
            Token::Not => "not",
            Token::Or => "or",
            Token::And => "and",
            Token::True => "true",
            Token::False => "false",
            Token::Eq => "==",
            Token::Ne => "!=",
            Token::Lt => "<",
            Token::Le => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::Assign => "=",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBrace => "{",
            Token::RBrace => "}",
            Token::Colon => ":",
            Token::Comma => ",",
            Token::Dot => ".",
            Token::LBracket => "[",
            Token::RBracket => "]",
            _ => "",
        }
    }
}

/// The raw scan. Go's `\s` is `[\t\n\f\r ]` (no vertical tab).
#[derive(Logos, Debug, Clone, Copy, PartialEq)]
#[logos(skip r"[\t\n\x0C\r ]+")]
enum Raw {
    #[regex(r"0x[a-fA-F0-9]+")]
    Bytes,
    #[regex(r"[-+]?[0-9]*\.[0-9]+([eE][-+]?[0-9]+)?")]
    Float,
    #[regex(r"[-+]?[0-9]+")]
    Int,
    // `\\.`: Go's `.` does not match a line feed, so a backslash before a line
    // break ends the match and the quote is unterminated.
    #[regex(r#""([^"\\]|\\[^\n])*""#)]
    Str,
    #[regex(r#""([^"\\]|\\[^\n])*\\?"#, priority = 1)]
    UnterminatedStr,
    #[regex(r"[A-Z][A-Z0-9_]*")]
    Upper,
    #[regex(r"[a-z][a-z0-9_]*")]
    Lower,
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
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("=")]
    Assign,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(":")]
    Colon,
    #[token(",")]
    Comma,
    #[token(".")]
    Dot,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Lexes `source` into `(start, token, end)` byte-offset triples.
pub(crate) struct Lexer<'src> {
    source: &'src str,
    inner: logos::Lexer<'src, Raw>,
}

impl<'src> Lexer<'src> {
    /// A lexer over one condition.
    pub(crate) fn new(source: &'src str) -> Self {
        Self {
            source,
            inner: Raw::lexer(source),
        }
    }

    fn keyword(&self, text: &'src str, start: usize, end: usize) -> Token<'src> {
        let bytes = self.source.as_bytes();
        let free_before = start == 0 || !is_word_byte(bytes[start - 1]);
        let free_after = end >= bytes.len() || !is_word_byte(bytes[end]);
        // `nil` is no lexer rule in OTTL but the grammar literal `'nil'`,
        // matched by value on a `Lowercase` token.
        if text == "nil" {
            return Token::Nil;
        }
        if !(free_before && free_after) {
            return Token::Lower(text);
        }
        match text {
            "not" => Token::Not,
            "or" => Token::Or,
            "and" => Token::And,
            "true" => Token::True,
            "false" => Token::False,
            _ => Token::Lower(text),
        }
    }
}

impl<'src> Iterator for Lexer<'src> {
    type Item = (usize, Token<'src>, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let raw = self.inner.next()?;
        let span = self.inner.span();
        let text = self.inner.slice();
        let token = match raw {
            Err(()) => {
                // logos reports one byte; take the whole character.
                let end = self.source[span.start..]
                    .chars()
                    .next()
                    .map_or(span.end, |c| span.start + c.len_utf8());
                if end > span.end {
                    self.inner.bump(end - span.end);
                }
                return Some((span.start, Token::Error(LexError::InvalidCharacter), end));
            }
            Ok(Raw::Bytes) => Token::Bytes(text),
            Ok(Raw::Float) => Token::Float(text),
            Ok(Raw::Int) => Token::Int(text),
            Ok(Raw::Str) => Token::Str(text),
            Ok(Raw::UnterminatedStr) => Token::Error(LexError::UnterminatedString),
            Ok(Raw::Upper) => Token::Upper(text),
            Ok(Raw::Lower) => self.keyword(text, span.start, span.end),
            Ok(Raw::Eq) => Token::Eq,
            Ok(Raw::Ne) => Token::Ne,
            Ok(Raw::Lt) => Token::Lt,
            Ok(Raw::Le) => Token::Le,
            Ok(Raw::Gt) => Token::Gt,
            Ok(Raw::Ge) => Token::Ge,
            Ok(Raw::Plus) => Token::Plus,
            Ok(Raw::Minus) => Token::Minus,
            Ok(Raw::Star) => Token::Star,
            Ok(Raw::Slash) => Token::Slash,
            Ok(Raw::Assign) => Token::Assign,
            Ok(Raw::LParen) => Token::LParen,
            Ok(Raw::RParen) => Token::RParen,
            Ok(Raw::LBrace) => Token::LBrace,
            Ok(Raw::RBrace) => Token::RBrace,
            Ok(Raw::Colon) => Token::Colon,
            Ok(Raw::Comma) => Token::Comma,
            Ok(Raw::Dot) => Token::Dot,
            Ok(Raw::LBracket) => Token::LBracket,
            Ok(Raw::RBracket) => Token::RBracket,
        };
        Some((span.start, token, span.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(source: &str) -> Vec<Token<'_>> {
        Lexer::new(source).map(|(_, token, _)| token).collect()
    }

    #[test]
    fn keywords_need_word_boundaries() {
        assert_eq!(tokens("not x"), vec![Token::Not, Token::Lower("x")]);
        assert_eq!(tokens("notX"), vec![Token::Lower("not"), Token::Upper("X")]);
        assert_eq!(tokens("Xnot"), vec![Token::Upper("X"), Token::Lower("not")]);
        assert_eq!(tokens("nothing"), vec![Token::Lower("nothing")]);
        assert_eq!(
            tokens("a.and"),
            vec![Token::Lower("a"), Token::Dot, Token::And]
        );
    }

    #[test]
    fn signs_belong_to_numbers() {
        assert_eq!(tokens("x -1"), vec![Token::Lower("x"), Token::Int("-1")]);
        assert_eq!(
            tokens("x - 1"),
            vec![Token::Lower("x"), Token::Minus, Token::Int("1")]
        );
        assert_eq!(tokens("-.5"), vec![Token::Float("-.5")]);
        assert_eq!(tokens("1."), vec![Token::Int("1"), Token::Dot]);
        assert_eq!(tokens("1e5"), vec![Token::Int("1"), Token::Lower("e5")]);
        assert_eq!(
            tokens("0x1fg"),
            vec![Token::Bytes("0x1f"), Token::Lower("g")]
        );
    }

    #[test]
    fn converter_names_split_into_case_runs() {
        assert_eq!(
            tokens("IsMatch("),
            vec![
                Token::Upper("I"),
                Token::Lower("s"),
                Token::Upper("M"),
                Token::Lower("atch"),
                Token::LParen
            ]
        );
        assert_eq!(tokens("SHA256"), vec![Token::Upper("SHA256")]);
    }

    #[test]
    fn strings_and_errors() {
        assert_eq!(tokens(r#""a\"b""#), vec![Token::Str(r#""a\"b""#)]);
        assert_eq!(
            tokens("\"open"),
            vec![Token::Error(LexError::UnterminatedString)]
        );
        assert_eq!(tokens("'x'")[0], Token::Error(LexError::InvalidCharacter));
        assert_eq!(tokens("é"), vec![Token::Error(LexError::InvalidCharacter)]);
        // A raw line break inside a string is allowed; a backslash before one is not.
        assert_eq!(tokens("\"a\nb\""), vec![Token::Str("\"a\nb\"")]);
        assert_eq!(
            tokens("\"a\\\nb\"")[0],
            Token::Error(LexError::UnterminatedString)
        );
    }
}
