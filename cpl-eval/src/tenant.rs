//! Tenant ids: how a span's tenant attribute becomes an id, and how a trace's spans
//! agree on one.
//!
//! The rule (spec/sampling.md, "The tenant of a trace") must give the same answer
//! whatever order spans arrive in, and on several threads that each saw part of a
//! trace. [`TraceTenant`] implements it as a fold with a total order, so observing spans
//! in any order, and merging partial results, gives the same tenant.

use std::cmp::Ordering;
use std::fmt;

/// A span's tenant id: a string attribute as is, or an int attribute in decimal.
///
/// Ids compare as the strings they stand for (by code point), so `Int(5)` equals
/// `Str("5")` and sorts after `Str("10")`.
#[derive(Debug, Clone, Copy)]
pub enum TenantId<'a> {
    /// A string attribute value.
    Str(&'a str),
    /// An int attribute value; its id is its decimal form.
    Int(i64),
}

impl<'a> TenantId<'a> {
    /// The id as a string; an int is written into `buf`.
    pub fn as_str<'b>(&self, buf: &'b mut [u8; 20]) -> &'b str
    where
        'a: 'b,
    {
        match *self {
            TenantId::Str(text) => text,
            TenantId::Int(number) => {
                // i64::MIN has 19 digits and a sign: 20 bytes.
                let mut digits = [0u8; 20];
                let mut len = 0;
                let mut rest = number.unsigned_abs();
                loop {
                    digits[len] = b'0' + (rest % 10) as u8;
                    len += 1;
                    rest /= 10;
                    if rest == 0 {
                        break;
                    }
                }
                let mut at = 0;
                if number < 0 {
                    buf[0] = b'-';
                    at = 1;
                }
                for digit in digits[..len].iter().rev() {
                    buf[at] = *digit;
                    at += 1;
                }
                // Only ASCII digits and '-' were written.
                std::str::from_utf8(&buf[..at]).unwrap_or_default()
            }
        }
    }
}

impl fmt::Display for TenantId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str(&mut [0; 20]))
    }
}

impl Ord for TenantId<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str(&mut [0; 20]).cmp(other.as_str(&mut [0; 20]))
    }
}

impl PartialOrd for TenantId<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for TenantId<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for TenantId<'_> {}

/// The tenant of a trace, accumulated over its spans.
///
/// A root span's tenant id beats any other span's; among equals, the smallest id by
/// code point wins. Feed it every span of a trace ([`TraceTenant::observe`] with
/// [`Evaluator::tenant_of`](crate::Evaluator::tenant_of)), in any order, then pass
/// [`TraceTenant::get`] to [`Evaluator::decide_trace`](crate::Evaluator::decide_trace).
///
/// ```
/// use cpl_eval::{TenantId, TraceTenant};
///
/// let mut tenant = TraceTenant::new();
/// tenant.observe(false, TenantId::Str("zeta"));
/// tenant.observe(false, TenantId::Str("acme"));
/// assert_eq!(tenant.get(), Some("acme"));
/// tenant.observe(true, TenantId::Int(123));
/// assert_eq!(tenant.get(), Some("123"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceTenant {
    from_root: bool,
    id: Option<String>,
}

impl TraceTenant {
    /// No tenant seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a span's tenant id into account; `root` says whether the span has no
    /// parent span id.
    pub fn observe(&mut self, root: bool, tenant: TenantId<'_>) {
        let mut buf = [0; 20];
        self.offer(root, tenant.as_str(&mut buf));
    }

    /// Combines with the tenant of other spans of the same trace.
    pub fn merge(&mut self, other: &TraceTenant) {
        if let Some(id) = &other.id {
            self.offer(other.from_root, id);
        }
    }

    /// The trace's tenant id so far, if any span carried one.
    pub fn get(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn offer(&mut self, root: bool, id: &str) {
        let better = match &self.id {
            None => true,
            Some(current) => {
                (root, std::cmp::Reverse(id))
                    > (self.from_root, std::cmp::Reverse(current.as_str()))
            }
        };
        if better {
            self.from_root = root;
            let current = self.id.get_or_insert_with(String::new);
            current.clear();
            current.push_str(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_are_decimal() {
        let mut buf = [0; 20];
        assert_eq!(TenantId::Int(123).as_str(&mut buf), "123");
        assert_eq!(TenantId::Int(0).as_str(&mut buf), "0");
        assert_eq!(TenantId::Int(-5).as_str(&mut buf), "-5");
        assert_eq!(
            TenantId::Int(i64::MIN).as_str(&mut buf),
            i64::MIN.to_string()
        );
        assert_eq!(TenantId::Int(i64::MAX).to_string(), i64::MAX.to_string());
        assert_eq!(TenantId::Int(5), TenantId::Str("5"));
        assert!(TenantId::Str("10") < TenantId::Int(5));
    }

    #[test]
    fn the_choice_does_not_depend_on_order() {
        let spans = [
            (false, TenantId::Str("zeta")),
            (true, TenantId::Str("m")),
            (false, TenantId::Str("acme")),
            (true, TenantId::Int(42)),
        ];
        let mut orders = vec![spans.to_vec()];
        let mut reversed = spans.to_vec();
        reversed.reverse();
        orders.push(reversed);
        orders.push(vec![spans[2], spans[0], spans[3], spans[1]]);
        for order in orders {
            let mut tenant = TraceTenant::new();
            for (root, id) in &order {
                tenant.observe(*root, *id);
            }
            assert_eq!(tenant.get(), Some("42"));
        }
        // Split across two workers, then merged.
        let (mut a, mut b) = (TraceTenant::new(), TraceTenant::new());
        a.observe(false, TenantId::Str("acme"));
        b.observe(true, TenantId::Str("m"));
        a.merge(&b);
        assert_eq!(a.get(), Some("m"));
        let mut empty = TraceTenant::new();
        empty.merge(&TraceTenant::new());
        assert_eq!(empty.get(), None);
    }
}
