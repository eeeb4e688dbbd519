//! Diagnostic codes (the one registry) and the file-level [`Diagnostic`] record.
//!
//! Every finding CPL reports has a stable code and a kebab-case name from [`REGISTRY`]
//! (ruff's `F701 break-outside-loop`). spec/diagnostics.md mirrors the table; a test
//! keeps the two identical. Phase errors (`SyntaxError`, `LoadError`) carry spans
//! relative to what they parsed; the loader turns them into [`Diagnostic`]s whose spans
//! point into the policy file.

use std::fmt;
use std::ops::Range;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; does not fail `cpl lint`.
    Warning,
    /// The policy is wrong; `cpl lint` exits 1.
    Error,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One entry of the registry.
#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    /// Stable code, e.g. `E101`.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `unexpected-token`.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line: what the code means.
    pub summary: &'static str,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.code, self.name)
    }
}

macro_rules! registry {
    ($($ident:ident = $code:literal $name:literal $severity:ident $summary:literal;)*) => {
        /// The diagnostic codes, one `static` each: one address per code in every crate.
        pub mod codes {
            use super::{Code, Severity};
            $(
                #[doc = $summary]
                pub static $ident: Code = Code {
                    code: $code,
                    name: $name,
                    severity: Severity::$severity,
                    summary: $summary,
                };
            )*
        }

        /// Every code, in code order. Mirrored in spec/diagnostics.md.
        pub static REGISTRY: &[&Code] = &[$(&codes::$ident),*];
    };
}

// Keep in sync with spec/diagnostics.md (the test `registry_matches_spec` checks).
registry! {
    EMPTY_EXPRESSION = "E100" "empty-expression" Error "a `when` expression is empty or only whitespace";
    UNEXPECTED_TOKEN = "E101" "unexpected-token" Error "the parser met a token that cannot continue the expression";
    UNEXPECTED_END = "E102" "unexpected-end" Error "the expression ends where more was needed";
    INVALID_CHARACTER = "E103" "invalid-character" Error "a character that starts no token";
    UNTERMINATED_STRING = "E104" "unterminated-string" Error "a string literal is never closed";
    NEWLINE_IN_STRING = "E105" "newline-in-string" Error "a raw line break inside a string literal";
    INVALID_NUMBER = "E106" "invalid-number" Error "a malformed number literal";
    INVALID_DURATION = "E107" "invalid-duration" Error "a duration literal that is not a whole number of nanoseconds or overflows";
    SINGLE_EQUALS = "E108" "single-equals" Error "`=` where the equality operator `==` was meant";
    C_STYLE_OPERATOR = "E109" "c-style-operator" Error "a C-style logical operator instead of `AND`, `OR` or `NOT`";
    NESTING_TOO_DEEP = "E110" "nesting-too-deep" Error "an expression nests deeper than the limit of 256";
    EXPRESSION_TOO_LONG = "E111" "expression-too-long" Error "an expression longer than the limit of 1 MiB";
    INVALID_REGEX = "E112" "invalid-regex" Error "the pattern of `matches` is not a valid regular expression";
    UNKNOWN_FIELD = "E113" "unknown-field" Error "a name without dots that is a misspelt built-in field";
    UNDOTTED_ATTRIBUTE = "W114" "undotted-attribute" Warning "a name without dots that is no built-in field reads a span attribute";
    BARE_WORD_VALUE = "E115" "bare-word-value" Error "an unquoted word where a value was expected";
    UNKNOWN_ENUM_VALUE = "E116" "unknown-enum-value" Error "a span kind or status constant that does not exist";
    UNKNOWN_TYPE_NAME = "E117" "unknown-type-name" Error "a type test names a type other than `int`, `float`, `string` or `bool`";
    TYPE_TEST_ON_BUILTIN = "E118" "type-test-on-builtin" Error "a type test on a built-in field or a trace-state entry, whose type is fixed";
    YAML_SYNTAX = "E200" "yaml-syntax" Error "the file is not well-formed YAML";
    DUPLICATE_KEY = "E201" "duplicate-key" Error "a mapping has the same key twice";
    UNKNOWN_KEY = "E202" "unknown-key" Error "a key the policy schema does not define";
    WRONG_TYPE = "E203" "wrong-type" Error "a value of the wrong YAML type";
    MISSING_KEY = "E204" "missing-key" Error "a required key is absent";
    RATE_OUT_OF_RANGE = "E205" "rate-out-of-range" Error "a rate outside [0, 1]";
    YAML_ALIAS_LIMIT = "E206" "yaml-alias-limit" Error "YAML aliases expand beyond the limit (an alias bomb)";
    INVALID_UTF8 = "E207" "invalid-utf8" Error "the file is not valid UTF-8";
    YAML_TOO_DEEP = "E208" "yaml-too-deep" Error "YAML collections nest deeper than the limit of 64";
    INVALID_VALUE = "E209" "invalid-value" Error "a value outside the set the key allows";
    EMPTY_DOCUMENT = "E210" "empty-document" Error "the file holds no policy";
    MULTIPLE_DOCUMENTS = "E211" "multiple-documents" Error "the file holds more than one YAML document";
    MISSING_ENVIRONMENT_FILE = "E212" "missing-environment-file" Error "a project file names an environment whose policy file cannot be read";
    PROJECT_NAMES_ITSELF = "E213" "project-names-itself" Error "a project file names itself as an environment's policy";
    NO_TAIL_SAMPLING = "E400" "no-tail-sampling" Error "a collector config with no `tail_sampling` processor";
    COLLECTOR_UNKNOWN_KEY = "E401" "collector-unknown-key" Error "a key the `tail_sampling` processor does not define";
    COLLECTOR_WRONG_TYPE = "E402" "collector-wrong-type" Error "a `tail_sampling` setting of the wrong type";
    COLLECTOR_MISSING_KEY = "E403" "collector-missing-key" Error "a key the `tail_sampling` processor requires is absent";
    EMPTY_POLICY_NAME = "E404" "empty-policy-name" Error "a `tail_sampling` policy without a name";
    DUPLICATE_POLICY_NAME = "E405" "duplicate-policy-name" Error "two `tail_sampling` policies with the same name";
    UNKNOWN_POLICY_TYPE = "E406" "unknown-policy-type" Error "a policy `type` that `tail_sampling` v0.161.0 does not know";
    SUB_POLICY_NOT_ALLOWED = "E407" "sub-policy-not-allowed" Error "a policy type that cannot be nested where it is written";
    INVALID_STATUS_CODE = "E408" "invalid-status-code" Error "a `status_codes` entry other than `OK`, `ERROR` and `UNSET`, or none";
    NUMERIC_BOUNDS_UNSET = "E409" "numeric-bounds-unset" Error "a `numeric_attribute` policy with neither bound set (a bound of 0 is unset)";
    MIN_ABOVE_MAX = "E410" "min-above-max" Error "a lower bound above its upper bound";
    COLLECTOR_INVALID_REGEX = "E411" "collector-invalid-regex" Error "a `string_attribute` regex that does not compile";
    EMPTY_OTTL_CONDITION = "E412" "empty-ottl-condition" Error "an `ottl_condition` policy with no `span` and no `spanevent` condition";
    INVALID_ERROR_MODE = "E413" "invalid-error-mode" Error "an `error_mode` other than `propagate`, `ignore` and `silent`";
    UNRESOLVED_SUBSTITUTION = "E414" "unresolved-substitution" Error "a `${env:X}` or `${X}` substitution, which cannot be resolved offline";
    VALUE_OUT_OF_RANGE = "E415" "value-out-of-range" Error "a number the setting's Go type cannot hold, or that the collector cannot start with";
    UNANCHORED_REGEX = "L401" "unanchored-regex" Warning "a `string_attribute` regex that reads as an exact value but matches any value containing it";
    NUMERIC_ZERO_BOUND = "L402" "numeric-zero-bound" Warning "a `numeric_attribute` bound written as 0, which the collector reads as no bound";
    LATENCY_UPPER_BOUND = "L403" "latency-upper-bound" Warning "a `latency` policy with `upper_threshold_ms`, whose decision depends on span arrival order";
    PROBABILISTIC_WITH_THRESHOLDS = "L404" "probabilistic-with-thresholds" Warning "a `probabilistic` policy where traces carry OTEP 235 sampling thresholds it ignores";
    SUBSUMED_POLICY = "L405" "subsumed-policy" Warning "a `tail_sampling` policy that never changes a decision: another policy of its kind covers every trace it matches";
    NEVER_SAMPLES = "L406" "never-samples" Warning "a `tail_sampling` policy that no trace satisfies, or whose every trace a `drop` policy vetoes";
    TYPE_MISMATCH = "L301" "type-mismatch" Error "a field compared with a literal of a type its values never have";
    STRING_TEST_ON_NON_STRING = "L302" "string-test-on-non-string" Error "a string test on a field whose values are never strings, or with a literal that is not a string";
    ORDERING_ON_UNORDERED = "L303" "ordering-on-unordered" Error "`<`, `<=`, `>` or `>=` on a span kind, a span status or a boolean";
    MISSPELT_NAMESPACE = "L311" "misspelt-namespace" Warning "a dotted name whose first segment looks like a misspelt `resource` or `attributes`";
    NONSTANDARD_ATTRIBUTE = "L312" "nonstandard-attribute" Warning "an attribute key that no OpenTelemetry instrumentation sets under that name";
    MISSPELT_ATTRIBUTE = "L313" "misspelt-attribute" Warning "an attribute key one or two edits from a semantic-conventions key, and not itself one";
    DEPRECATED_ATTRIBUTE = "L314" "deprecated-attribute" Warning "an attribute key the semantic conventions deprecate";
    STATUS_CODE_OUT_OF_RANGE = "L321" "status-code-out-of-range" Warning "`status_code` compared with a number outside 100–599";
    IMPLAUSIBLE_DURATION = "L322" "implausible-duration" Warning "a duration threshold that is negative or longer than a day";
    COSTLY_BASE_RATE = "L323" "costly-base-rate" Warning "a `base_rate` above 0.5";
    UNITLESS_DURATION = "L324" "unitless-duration" Warning "a duration compared with a bare number below 60, which means milliseconds";
    LOST_REGEX_ESCAPE = "L325" "lost-regex-escape" Warning "a `matches` pattern whose string escape dropped a backslash the regex needed (`\\d` read as `d`)";
    UNSATISFIABLE_CONDITION = "L331" "unsatisfiable-condition" Error "a condition, or a part of one, that no span satisfies";
    ALWAYS_TRUE_CONDITION = "L332" "always-true-condition" Warning "a condition that every span satisfies";
    SUBSUMED_CONDITION = "L333" "subsumed-condition" Warning "a condition that never decides: earlier conditions match every span it matches";
    DROP_BEFORE_KEEP = "L334" "drop-before-keep" Warning "a `drop` rule placed before a `keep` rule that matches some of the same spans";
    DISABLED_CONDITION = "L335" "disabled-condition" Warning "a condition with `enabled: false`";
    IMPLICIT_EXISTS = "L341" "implicit-exists" Warning "a negated test on a field that is often missing, false for every span without it";
    CLARVYNN_UNSUPPORTED = "L351" "clarvynn-unsupported" Error "a construct clarvynn 0.3.1 cannot parse or does not know (`--target clarvynn`)";
    CLARVYNN_MISSING_AS_ZERO = "L352" "clarvynn-missing-as-zero" Warning "a predicate clarvynn 0.3.1 finds true on a missing value, which it reads as 0 or the empty string (`--target clarvynn`)";
    CLARVYNN_TYPE_SEMANTICS = "L353" "clarvynn-type-semantics" Warning "a comparison clarvynn 0.3.1 evaluates differently because of its number and type handling (`--target clarvynn`)";
    CLARVYNN_FIELD_SOURCE = "L354" "clarvynn-field-source" Warning "a field clarvynn 0.3.1 reads from other attributes than CPL (`--target clarvynn`)";
    CLARVYNN_IGNORED_KEY = "L355" "clarvynn-ignored-key" Warning "a policy key clarvynn 0.3.1 ignores (`--target clarvynn`)";
    CLARVYNN_REQUIRED_KEY = "L356" "clarvynn-required-key" Error "a top-level key clarvynn 0.3.1 requires is missing (`--target clarvynn`)";
    CLARVYNN_SERVICE_STRING = "L357" "clarvynn-service-string" Error "a `service` written as a string, which clarvynn 0.3.1 cannot load (`--target clarvynn`)";
    BASE_RATE_DRIFT = "L371" "base-rate-drift" Error "environments' base rates differ by more than the project allows";
    CONDITION_MISSING = "L372" "condition-missing" Error "a condition of the reference environment is missing or disabled in another";
    CONDITION_WEAKER = "L373" "condition-weaker" Error "a condition keeps fewer spans in an environment than in the reference";
    THRESHOLD_DRIFT = "L374" "threshold-drift" Warning "a condition reads differently in an environment than in the reference";
    TENANT_OVERRIDE_MISSING = "L375" "tenant-override-missing" Error "an expected tenant has no override in an environment";
    TENANT_OVERRIDE_LOOSER = "L376" "tenant-override-looser" Warning "a tenant override keeps less than the environment's default base rate";
    SLOW_THRESHOLD_ABOVE_SLO = "L377" "slow-threshold-above-slo" Error "a slow-request threshold above the latency objective of its service or route";
    BASE_RATE_CHANGED = "L381" "base-rate-changed" Warning "`cpl diff`: the base rate differs between the two policies";
    RULE_ADDED = "L382" "rule-added" Warning "`cpl diff`: a condition only in the second policy";
    RULE_REMOVED = "L383" "rule-removed" Warning "`cpl diff`: a condition only in the first policy";
    RULE_CHANGED = "L384" "rule-changed" Warning "`cpl diff`: a condition in both policies that decides differently";
    TENANTS_CHANGED = "L385" "tenants-changed" Warning "`cpl diff`: the tenant attribute or a tenant override differs";
    OTTL_SYNTAX = "E450" "ottl-syntax" Error "an OTTL condition the collector cannot parse";
    OTTL_UNSUPPORTED = "E451" "ottl-unsupported" Error "a valid OTTL construct outside the subset CPL evaluates";
    OTTL_INVALID_PATH = "E452" "ottl-invalid-path" Error "an OTTL path the span or span-event context does not have";
    OTTL_UNKNOWN_FUNCTION = "E453" "ottl-unknown-function" Error "an OTTL function name the collector does not know";
    OTTL_INVALID_ARGUMENTS = "E454" "ottl-invalid-arguments" Error "an OTTL converter called with the wrong number or kinds of arguments";
    OTTL_INVALID_REGEX = "E455" "ottl-invalid-regex" Error "an `IsMatch` pattern Go's regexp package rejects, or one CPL cannot evaluate as Go does";
    OTTL_UNKNOWN_ENUM = "E456" "ottl-unknown-enum" Error "an uppercase name that is no span kind or status code enum";
    OTTL_TOO_DEEP = "E457" "ottl-too-deep" Error "an OTTL condition nesting deeper than the limit of 256";
    REGEX_WORD_BOUNDARY = "E500" "regex-word-boundary" Error "`cpl compile`: a `matches` pattern with a Unicode word boundary or word start/end assertion, which the collector's RE2 lacks";
    APPROXIMATE_WORD_BOUNDARY = "W500" "approximate-word-boundary" Warning "`cpl compile --allow-approximate`: a Unicode word boundary compiled as RE2's ASCII `\\b`";
    REGEX_CRLF_ANCHOR = "E501" "regex-crlf-anchor" Error "`cpl compile`: a `matches` pattern with CRLF-aware line anchors (`(?R)`), which the collector's RE2 lacks";
    APPROXIMATE_CRLF_ANCHOR = "W501" "approximate-crlf-anchor" Warning "`cpl compile --allow-approximate`: CRLF-aware line anchors compiled as RE2's LF-only anchors";
    REGEX_BYTES = "E502" "regex-bytes" Error "`cpl compile`: a `matches` pattern that matches bytes outside ASCII, which the collector's RE2 reads as UTF-8 text";
    NOT_COMPILED = "E503" "not-compiled" Error "`cpl compile`: a construct the tail_sampling compilation has no exact form for (a `trace_duration` bound inside a millisecond, `sampled` with other tests on its span, an empty `fnv_sample` salt, ...)";
    TRACE_DURATION = "E504" "trace-duration" Error "`cpl compile`: a `trace_duration` comparison, which the collector's `latency` policy computes over every span's times";
    APPROXIMATE_TRACE_DURATION = "W504" "approximate-trace-duration" Warning "`cpl compile --allow-approximate`: `trace_duration` compiled as `latency`, exact when every span has a duration";
    NOT_IMPORTABLE = "E530" "not-importable" Error "`cpl import`: a tail_sampling policy with no CPL form (wall-clock `rate_limiting`, `bytes_limiting`, `composite`; a nested `drop`)";
    OTTL_NOT_IMPORTED = "E531" "ottl-not-imported" Error "`cpl import`: an `ottl_condition` policy with OTTL that has no exact CPL form (span events, scope, times, most converters)";
    APPROXIMATE_IMPORT = "W530" "approximate-import" Warning "`cpl import`: a policy imported with a CPL form that differs on some traces (values present but empty, the latency prefix quirk)";
    APPROXIMATE_ERROR_MODE = "W531" "approximate-error-mode" Warning "`cpl import`: an `ottl_condition` with `error_mode: propagate` whose conditions can fail at run time, imported as `ignore`";
    APPROXIMATE_OTTL = "W532" "approximate-ottl" Warning "`cpl import`: an OTTL `IsMatch` on an attribute, which the collector also applies to the text of non-string values";
    SCAN_INVALID_YAML = "E600" "scan-invalid-yaml" Error "`cpl scan`: a manifest, compose, values or config file that is not well-formed YAML or breaks a YAML limit";
    SCAN_INVALID_JSON = "E601" "scan-invalid-json" Error "`cpl scan`: a Jaeger strategies file that is not well-formed JSON";
    SAMPLING_DRIFT = "L601" "sampling-drift" Error "`cpl scan`: a service's effective root sampling probability differs between environments";
    NON_PARENT_BASED_DOWNSTREAM = "L602" "non-parent-based-downstream" Error "`cpl scan`: an internal service whose sampler ignores the parent's decision";
    MISSING_PROPAGATOR = "L603" "missing-propagator" Error "`cpl scan`: a Go service that builds a tracer provider but never sets a propagator (Go's default is a no-op)";
    MIXED_PROPAGATORS = "L604" "mixed-propagators" Error "`cpl scan`: services whose trace-context propagators share no format, or `OTEL_PROPAGATORS=none`";
    UNKNOWN_SAMPLER_NAME = "L605" "unknown-sampler-name" Error "`cpl scan`: an `OTEL_TRACES_SAMPLER` value the service's SDK does not know";
    INVALID_SAMPLER_ARGUMENT = "L606" "invalid-sampler-argument" Error "`cpl scan`: an `OTEL_TRACES_SAMPLER_ARG` that is not a number in [0, 1]";
    UNSUPPORTED_OPERATOR_SAMPLER = "L607" "unsupported-operator-sampler" Error "`cpl scan`: an `Instrumentation` sampler type outside the Operator CRD's enum";
    SHADOWED_SETTING = "L608" "shadowed-setting" Warning "`cpl scan`: a sampler setting that never takes effect because another one wins";
    SCAN_TENANT_OVERRIDE_MISSING = "L609" "scan-tenant-override-missing" Error "`cpl scan`: an expected tenant has no override file in an environment";
    SCAN_TENANT_OVERRIDE_LOOSER = "L610" "scan-tenant-override-looser" Warning "`cpl scan`: a tenant override samples less than the service's base";
    SCAN_TENANT_OVERRIDE_STRICTER = "L611" "scan-tenant-override-stricter" Warning "`cpl scan`: a tenant override samples more than the service's base";
    BASE_RATE_BEHIND_HEAD_SAMPLER = "L612" "base-rate-behind-head-sampler" Error "`cpl scan`: a CPL or clarvynn policy behind a head sampler that already drops traces";
    SDK_DEFAULT_SAMPLER = "L613" "sdk-default-sampler" Warning "`cpl scan`: nothing sets a service's sampler, so the SDK default `ParentBased(AlwaysOn)` applies";
    SDK_DISABLED = "L614" "sdk-disabled" Error "`cpl scan`: `OTEL_SDK_DISABLED=true` turns the SDK into a no-op";
    UNRESOLVED_SAMPLER_VALUE = "L615" "unresolved-sampler-value" Warning "`cpl scan`: a sampler setting whose value comes from a variable the scanned files do not set";
    NON_STRING_ENV_VALUE = "L616" "non-string-env-value" Error "`cpl scan`: a Kubernetes `env` value that is not a string, which the API server rejects";
}

/// Looks a code up by its code (`E101`) or its name (`unexpected-token`).
pub fn find_code(code_or_name: &str) -> Option<&'static Code> {
    REGISTRY
        .iter()
        .copied()
        .find(|code| code.code.eq_ignore_ascii_case(code_or_name) || code.name == code_or_name)
}

/// A finding located in a file: what every front end renders.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The registry entry.
    pub code: &'static Code,
    /// Severity; the code's default unless configuration overrode it.
    pub severity: Severity,
    /// A short lowercase clause, identifiers in backticks.
    pub message: String,
    /// Byte range in the file.
    pub span: Range<usize>,
    /// What is at the span.
    pub label: String,
    /// One imperative sentence, when there is something to do.
    pub help: Option<String>,
    /// Further places that explain the finding, each with its label.
    pub secondary: Vec<(Range<usize>, String)>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(
        code: &'static Code,
        message: impl Into<String>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: code.severity,
            message: message.into(),
            span,
            label: label.into(),
            help: None,
            secondary: Vec::new(),
        }
    }

    /// Adds a help sentence.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary labelled span.
    #[must_use]
    pub fn with_secondary(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }

    /// Adds a help sentence when there is one.
    #[must_use]
    pub fn with_optional_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let primary = miette::LabeledSpan::new_primary_with_span(
            Some(self.label.clone()),
            miette::SourceSpan::from(self.span.clone()),
        );
        let secondary = self.secondary.iter().map(|(span, label)| {
            miette::LabeledSpan::new_with_span(
                Some(label.clone()),
                miette::SourceSpan::from(span.clone()),
            )
        });
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

/// The closest candidate within a small edit distance, for "did you mean".
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input_lower = input.to_ascii_lowercase();
    let limit = (input.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&input_lower, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 3 {
        return usize::MAX;
    }
    let mut previous2 = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(previous2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut previous2, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for code in REGISTRY {
            assert!(seen.insert(code.code), "duplicate code {}", code.code);
            assert!(seen.insert(code.name), "duplicate name {}", code.name);
            assert!(code
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            // E codes are errors and W codes warnings; L codes (the semantic lints of
            // cpl-check) may have either severity.
            let allowed: &[char] = if code.severity == Severity::Error {
                &['E', 'L']
            } else {
                &['W', 'L']
            };
            assert!(code.code.starts_with(allowed), "{}", code.code);
        }
    }

    #[test]
    fn did_you_mean_finds_typos() {
        let fields = ["status_code", "duration_ms", "method"];
        assert_eq!(did_you_mean("stauts_code", fields), Some("status_code"));
        assert_eq!(did_you_mean("duration_sm", fields), Some("duration_ms"));
        assert_eq!(did_you_mean("tenant", fields), None);
    }
}
