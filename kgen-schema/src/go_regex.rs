//! Go's regular expressions, as the API server reads them, checked and translated for the `regex`
//! crate.
//!
//! The API server compiles a schema's `pattern` with Go's `regexp` (package `regexp/syntax` with
//! its Perl flags, Go 1.22 to 1.24 for Kubernetes 1.30 to 1.34), and so do CEL's `matches()`,
//! `find()` and `findAll()`. That dialect of RE2 is not the `regex` crate's:
//!
//! - Go rejects repeat counts above 1000 (also when nested counts multiply past 1000), doubled
//!   repetition operators (`a**`, `a{2}{3}`), flags other than `i m s U`, `\u`, `\Z`, `\C`, Unicode
//!   class names other than case-exact categories and scripts, look-around and back-references;
//! - Go accepts what Rust rejects: `\Q...\E`, octal escapes (`\012`), `a{,5}` (literal text),
//!   `[\d-z]`, capture names starting with a digit;
//! - some patterns mean different things: in Go, `\d \w \s \b` are ASCII only, `\pC` leaves out
//!   unassigned code points, `\<` is a literal `<`, `\b{start}` is `\b` then the text `{start}`,
//!   and `&&`, `--`, `~~` and `[` inside a class are plain class characters.
//!
//! [`check`] parses a pattern with Go's rules and says what Go says ([`GoRegexError`], with Go's
//! wording) or warns where Go's reading differs from Rust's ([`GoRegexWarning`]). [`translate`]
//! rewrites a pattern Go accepts into the `regex` crate's syntax with Go's meaning, and
//! [`compile`] builds it. Matching stays unanchored, as Go's `MatchString`.
//!
//! ```
//! use kgen_schema::go_regex;
//!
//! let re = go_regex::compile(r"^\d+$").unwrap();
//! assert!(re.is_match("42"));
//! assert!(!re.is_match("٣")); // Go's \d is ASCII only
//!
//! let err = go_regex::check("a{1001}").unwrap_err();
//! assert_eq!(err.to_string(), "error parsing regexp: invalid repeat count: `{1001}`");
//!
//! let warnings = go_regex::check("[a-z&&[^aeiou]]").unwrap();
//! assert_eq!(warnings.len(), 1);
//! ```
//!
//! Known gaps: Go's limit on the number of runes in classes (64 Mi runes, "expression too large")
//! is not modelled, the nesting-depth estimate follows Go's parse tree closely but not exactly
//! (Go factors common prefixes of alternatives), and Unicode tables follow the `regex` crate's
//! Unicode version rather than Go's (15.0).

use regex::{Regex, RegexBuilder};
use std::collections::HashSet;
use std::fmt;

/// Go's limit on repeat counts (`{n}`, `{n,}`, `{n,m}`), also on nested counts multiplied.
const MAX_REPEAT: i64 = 1000;
/// Go's `maxHeight`: the deepest parse tree it accepts.
const MAX_HEIGHT: u32 = 1000;
/// Go's `maxSize`: 128 MiB of 40-byte instructions.
const MAX_SIZE: u64 = (128 << 20) / 40;
/// The `regex` crate's compiled-size limit. Its default (10 MiB) refuses patterns Go accepts: a
/// Unicode class repeated 1000 times (`\pL{1000}`) takes about 40 MiB.
const RUST_SIZE_LIMIT: usize = 512 << 20;
/// The `regex` crate's nesting limit (default 250). [`MAX_HEIGHT`] bounds the nesting first.
const RUST_NEST_LIMIT: u32 = 10_000;
/// Trees deeper than this are compiled on a thread with a large stack: the `regex` crate's
/// compiler recurses on the nesting.
const DEEP: u32 = 48;
/// An empty class: matches nothing (used for surrogates, which no `&str` holds).
const NOTHING: &str = r"[^\x00-\x{10FFFF}]";
/// A class of every scalar value.
const EVERYTHING: &str = r"[\x00-\x{10FFFF}]";

/// Go's general categories (`unicode.Categories` up to Go 1.24: no `Cn`, no `LC`, no long names).
const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P",
    "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs",
];

/// Go's script names (`unicode.Scripts`, Unicode 15.0, Go 1.21 to 1.24).
const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

type Ranges = &'static [(u32, u32)];

const DIGIT: Ranges = &[(0x30, 0x39)];
const SPACE: Ranges = &[(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)];
const WORD: Ranges = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];

/// Go's POSIX classes (`[:alpha:]`), all ASCII.
const POSIX: &[(&str, Ranges)] = &[
    ("alnum", &[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)]),
    ("alpha", &[(0x41, 0x5A), (0x61, 0x7A)]),
    ("ascii", &[(0x00, 0x7F)]),
    ("blank", &[(0x09, 0x09), (0x20, 0x20)]),
    ("cntrl", &[(0x00, 0x1F), (0x7F, 0x7F)]),
    ("digit", DIGIT),
    ("graph", &[(0x21, 0x7E)]),
    ("lower", &[(0x61, 0x7A)]),
    ("print", &[(0x20, 0x7E)]),
    ("punct", &[(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)]),
    ("space", &[(0x09, 0x0D), (0x20, 0x20)]),
    ("upper", &[(0x41, 0x5A)]),
    ("word", WORD),
    ("xdigit", &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)]),
];

// ---------------------------------------------------------------------------------------------
// Errors and warnings

/// What Go's parser rejects, by Go's error code (`regexp/syntax.ErrorCode`), plus the case of a
/// pattern Go accepts but the `regex` crate cannot build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GoRegexErrorKind {
    /// "invalid character class range": `z-a`, an unknown `\p{...}` or `[:name:]`.
    InvalidCharRange,
    /// "invalid escape sequence": `\u`, `\Z`, `\C`, `\1`, `\e`, ...
    InvalidEscape,
    /// "invalid named capture": a bad group name, or look-behind `(?<=`, `(?<!`.
    InvalidNamedCapture,
    /// "invalid or unsupported Perl syntax": `(?x)`, `(?u)`, look-ahead `(?=`, `(?#`, ...
    InvalidPerlOp,
    /// "invalid nested repetition operator": `a**`, `a++`, `a{2}{3}`.
    InvalidRepeatOp,
    /// "invalid repeat count": a count above 1000, `{3,2}`, nested counts whose product passes 1000.
    InvalidRepeatSize,
    /// "missing closing ]".
    MissingBracket,
    /// "missing closing )".
    MissingParen,
    /// "missing argument to repetition operator": `*a`, `(+)`, `a|?`.
    MissingRepeatArgument,
    /// "trailing backslash at end of expression".
    TrailingBackslash,
    /// "unexpected )".
    UnexpectedParen,
    /// "expression nests too deeply": a parse tree deeper than 1000.
    NestingDepth,
    /// "expression too large": a program of more than 128 MiB.
    TooLarge,
    /// Go accepts the pattern but the `regex` crate could not build it (a kgen limitation).
    Unsupported,
}

impl GoRegexErrorKind {
    /// Go's text for the error code (`Unsupported` has none: it is not a Go error).
    pub fn go_code(self) -> &'static str {
        match self {
            Self::InvalidCharRange => "invalid character class range",
            Self::InvalidEscape => "invalid escape sequence",
            Self::InvalidNamedCapture => "invalid named capture",
            Self::InvalidPerlOp => "invalid or unsupported Perl syntax",
            Self::InvalidRepeatOp => "invalid nested repetition operator",
            Self::InvalidRepeatSize => "invalid repeat count",
            Self::MissingBracket => "missing closing ]",
            Self::MissingParen => "missing closing )",
            Self::MissingRepeatArgument => "missing argument to repetition operator",
            Self::TrailingBackslash => "trailing backslash at end of expression",
            Self::UnexpectedParen => "unexpected )",
            Self::NestingDepth => "expression nests too deeply",
            Self::TooLarge => "expression too large",
            Self::Unsupported => "",
        }
    }
}

/// A pattern Go's `regexp` rejects; displays as Go's `regexp.Compile` error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoRegexError {
    /// Go's error code.
    pub kind: GoRegexErrorKind,
    /// The part of the pattern Go quotes (the whole pattern for `)`, nesting and size errors);
    /// for [`GoRegexErrorKind::Unsupported`], the `regex` crate's message.
    pub expr: String,
}

impl GoRegexError {
    fn new(kind: GoRegexErrorKind, expr: &str) -> Self {
        GoRegexError {
            kind,
            expr: expr.to_string(),
        }
    }

    /// What Go accepts instead, for a help line.
    pub fn help(&self) -> String {
        use GoRegexErrorKind::*;
        let e = self.expr.as_str();
        match self.kind {
            InvalidRepeatSize => "Go allows repeat counts {n}, {n,} and {n,m} up to 1000, and nested counted \
                 repetitions only while their counts multiplied stay within 1000; use `*` or `+` (with \
                 maxLength) for longer runs"
                .into(),
            InvalidRepeatOp => "Go rejects a repetition operator applied directly to another one (`a**`, `a++`, \
                 `a{2}{3}`), and has no possessive quantifiers; group the inner repetition, as in `(?:a{2}){3}`"
                .into(),
            InvalidPerlOp if e.starts_with("(?=") || e.starts_with("(?!") => {
                "Go's regexp has no look-ahead; match the text itself, or express the rule in CEL \
                 (x-kubernetes-validations)"
                    .into()
            }
            InvalidPerlOp => "Go's regexp knows the groups (re), (?:re), (?P<name>re) and (?<name>re), and only \
                 the flags i, m, s and U, as in (?i), (?i:re) or (?-s); it has no (?x), (?u), comments, \
                 recursion, atomic groups or look-around"
                .into(),
            InvalidNamedCapture if e.starts_with("(?<=") || e.starts_with("(?<!") => {
                "Go's regexp has no look-behind; match the text itself, or express the rule in CEL \
                 (x-kubernetes-validations)"
                    .into()
            }
            InvalidNamedCapture => {
                "Go's group names are ASCII letters, digits and `_`, as in (?P<name>re) or (?<name>re)".into()
            }
            InvalidEscape => escape_help(e),
            InvalidCharRange if e.starts_with("\\p") || e.starts_with("\\P") => {
                "Go's Unicode classes are \\pX or \\p{Name} with a case-exact one- or two-letter general \
                 category (L, Lu, Nd, ...; not Cn, LC or long names like Letter), a script name (Greek, \
                 Latin, Han, ...) or Any; no `=` forms and no binary properties"
                    .into()
            }
            InvalidCharRange if e.starts_with("[:") => "Go's POSIX classes are [:alnum:] [:alpha:] [:ascii:] \
                 [:blank:] [:cntrl:] [:digit:] [:graph:] [:lower:] [:print:] [:punct:] [:space:] [:upper:] \
                 [:word:] [:xdigit:] (and [:^name:]), inside a class"
                .into(),
            InvalidCharRange => "the range's end comes before its start; write ranges low to high, and put a \
                 literal `-` first or last in the class or escape it as `\\-`"
                .into(),
            MissingBracket => {
                "close the class with `]`; a literal `]` goes first in the class or is written `\\]`".into()
            }
            MissingParen => "close every group with `)`; a literal `(` is written `\\(`".into(),
            UnexpectedParen => "a `)` closes no group; a literal `)` is written `\\)`".into(),
            MissingRepeatArgument => {
                "a repetition operator needs something before it; a literal `*`, `+` or `?` is written `\\*`, \
                 `\\+`, `\\?`"
                    .into()
            }
            TrailingBackslash => "a pattern cannot end in `\\`; a literal backslash is written `\\\\`".into(),
            NestingDepth => "Go allows at most 1000 levels of nesting".into(),
            TooLarge => "Go refuses patterns whose compiled program would pass 128 MiB".into(),
            Unsupported => "the API server accepts this pattern, but kgen cannot evaluate it".into(),
        }
    }
}

fn escape_help(e: &str) -> String {
    let c = e.chars().nth(1);
    let specific = match c {
        Some('u' | 'U') => "Go has no \\u or \\U escapes: write \\x{e9} (any number of hex digits in braces). ",
        Some('Z') => "Go has no \\Z: use \\z for the end of the text (without m, $ also means the end of the text). ",
        Some('C') => "Go does not support \\C (any byte). ",
        Some('1'..='9') => "Go has no back-references (\\1 to \\7 followed by octal digits are octal escapes). ",
        Some('k' | 'g') => "Go has no back-references. ",
        Some('x') => "\\x takes two hex digits (\\x41) or hex digits in braces (\\x{41}, at most \\x{10FFFF}). ",
        Some('b' | 'd' | 'D' | 's' | 'S' | 'w' | 'W' | 'p' | 'P' | 'A' | 'z' | 'B' | 'Q') => {
            "inside a class, and as a range end, Go allows only single characters. "
        }
        _ => "",
    };
    format!(
        "{specific}Go's escapes are \\a \\f \\n \\r \\t \\v, octal \\0 to \\777, \\xHH, \\x{{H...}}, \\d \\s \\w \
         (ASCII) and their negations, \\pX and \\p{{Name}}, \\A \\z \\b \\B, \\Q...\\E, and a backslash before \
         punctuation"
    )
}

impl fmt::Display for GoRegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            GoRegexErrorKind::Unsupported => write!(
                f,
                "Go's regexp accepts this pattern but kgen cannot build a matcher for it: {}",
                self.expr
            ),
            kind => write!(f, "error parsing regexp: {}: `{}`", kind.go_code(), self.expr),
        }
    }
}

impl std::error::Error for GoRegexError {}

/// A construct Go accepts but reads differently from Rust's `regex` (and most other dialects).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GoRegexWarningKind {
    /// `&&`, `--` or `~~` in a class: no set operations in Go, just class characters.
    ClassSetOperation,
    /// `[` inside a class: a literal in Go (no nested classes); the class ends at the first `]`.
    ClassBracket,
    /// `\<` or `\>`: the literal `<` or `>` in Go, not a word-start or word-end assertion.
    WordEdge,
    /// `\b{...}`: a word boundary followed by literal text in Go, not a special boundary.
    WordBoundaryBraces,
    /// `{,n}` or a count with leading zeros (`{01}`): literal text in Go, not a repetition.
    LiteralBraces,
}

/// A construct Go accepts with a meaning other than the one Rust's `regex` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoRegexWarning {
    /// What it is.
    pub kind: GoRegexWarningKind,
    /// The construct, as written in the pattern.
    pub expr: String,
    /// Its byte offset in the pattern.
    pub offset: usize,
}

impl GoRegexWarning {
    /// How to write what Go does explicitly, for a help line.
    pub fn help(&self) -> &'static str {
        match self.kind {
            GoRegexWarningKind::ClassSetOperation | GoRegexWarningKind::ClassBracket => {
                "escape literal class characters (`\\&`, `\\-`, `\\~`, `\\[`), or spell the class out, e.g. \
                 [b-df-hj-np-tv-z] for consonants"
            }
            GoRegexWarningKind::WordEdge => {
                "write `<` or `>` without the backslash for the literal; Go has no \
                 word-start or word-end assertion (only \\b and \\B)"
            }
            GoRegexWarningKind::WordBoundaryBraces => {
                "write `\\b\\{` for the literal text; Go has only the plain \
                 word boundaries \\b and \\B"
            }
            GoRegexWarningKind::LiteralBraces => {
                "write the count as {0,n} or without leading zeros for a \
                 repetition, or escape the brace (`\\{`) for the literal text"
            }
        }
    }
}

impl fmt::Display for GoRegexWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.expr;
        match self.kind {
            GoRegexWarningKind::ClassSetOperation => write!(
                f,
                "`{e}` in a character class: Go's regexp has no class set operations and reads `{e}` as plain \
                 class characters (Rust's regex reads `&&`, `--` and `~~` as intersection, difference and \
                 symmetric difference); a `[` in the class is a literal too, and the class ends at the first `]`"
            ),
            GoRegexWarningKind::ClassBracket => write!(
                f,
                "`[` inside a character class: Go's regexp reads it as a literal `[` and ends the class at the \
                 first `]`, so a later `]` is a literal character to match (Rust's regex opens a nested class)"
            ),
            GoRegexWarningKind::WordEdge => {
                let (lit, what) = if e.ends_with('<') { ('<', "start") } else { ('>', "end") };
                write!(
                    f,
                    "`{e}`: Go's regexp reads it as the literal `{lit}` (Rust's regex reads it as a word-{what} \
                     assertion)"
                )
            }
            GoRegexWarningKind::WordBoundaryBraces => write!(
                f,
                "`{e}`: Go's regexp reads it as a word boundary `\\b` followed by the literal text `{}` (Rust's \
                 regex reads `\\b{{...}}` as a special word boundary)",
                &e[2..]
            ),
            GoRegexWarningKind::LiteralBraces => write!(
                f,
                "`{e}`: Go's regexp reads it as the literal text `{e}`, not as a repetition (Go's counts are {{n}}, \
                 {{n,}} and {{n,m}}, without leading zeros)"
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/// Parses `pattern` as Go's `regexp.Compile` does: the error Go reports, or the constructs Go
/// accepts with another meaning than Rust's `regex` gives them (empty for most patterns).
pub fn check(pattern: &str) -> Result<Vec<GoRegexWarning>, GoRegexError> {
    parse(pattern).map(|(_, warnings)| warnings)
}

/// Rewrites a pattern Go accepts into the `regex` crate's syntax, with Go's meaning: ASCII-only
/// `\d \w \s \b`, `\Q...\E` and octal escapes as literals, `{,n}` as text, Go's `\pC`, and every
/// literal escaped. Errors as [`check`].
pub fn translate(pattern: &str) -> Result<String, GoRegexError> {
    let (tree, _) = parse(pattern)?;
    Ok(Emitter::default().run(&tree))
}

/// Compiles a pattern with Go's syntax and meaning into a `regex::Regex` (unanchored, like Go's
/// `MatchString`), with size and nesting limits raised so that what Go accepts is not refused.
pub fn compile(pattern: &str) -> Result<Regex, GoRegexError> {
    let (tree, _) = parse(pattern)?;
    let rust = Emitter::default().run(&tree);
    build(rust, tree.height).map_err(|e| GoRegexError::new(GoRegexErrorKind::Unsupported, &e))
}

fn build(rust: String, height: u32) -> Result<Regex, String> {
    let go = move || {
        RegexBuilder::new(&rust)
            .size_limit(RUST_SIZE_LIMIT)
            .nest_limit(RUST_NEST_LIMIT)
            .build()
            .map_err(|e| e.to_string())
    };
    if height <= DEEP {
        return go();
    }
    // The regex crate's compiler recurses on the nesting: give it room.
    std::thread::Builder::new()
        .name("go-regex-compile".into())
        .stack_size(256 << 20)
        .spawn(go)
        .map_err(|e| format!("cannot start a thread to compile a deeply nested pattern: {e}"))?
        .join()
        .unwrap_or_else(|_| Err("the regex compiler failed on this deeply nested pattern".into()))
}

// ---------------------------------------------------------------------------------------------
// Parse tree (the shape of Go's, with Go's flags already applied to each node)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RepeatOp {
    Star,
    Plus,
    Quest,
    /// `{min}`, `{min,}` (max `None`), `{min,max}`.
    Count {
        min: u32,
        max: Option<u32>,
    },
}

#[derive(Debug)]
enum Kind {
    Empty,
    /// Code points (a surrogate can be written `\x{D800}`; it matches nothing), case-folded or not.
    Literal(Vec<u32>, bool),
    /// A class in the `regex` crate's syntax, case-folded or not.
    Class(String, bool),
    AnyNotNl,
    Any,
    BeginLine,
    EndLine,
    BeginText,
    EndText,
    WordBoundary,
    NoWordBoundary,
    Capture(Option<String>, Box<Tree>),
    Concat(Vec<Tree>),
    Alternate(Vec<Tree>),
    Repeat {
        op: RepeatOp,
        greedy: bool,
        sub: Box<Tree>,
    },
}

/// A node with Go's height and program-size estimate (`calcHeight`, `calcSize`).
#[derive(Debug)]
struct Tree {
    kind: Kind,
    height: u32,
    size: u64,
}

impl Tree {
    fn new(kind: Kind) -> Tree {
        let (height, size) = match &kind {
            Kind::Literal(cs, _) => (1, cs.len() as u64),
            Kind::Capture(_, sub) => (sub.height + 1, sub.size.saturating_add(2)),
            Kind::Concat(subs) | Kind::Alternate(subs) => {
                let h = subs.iter().map(|s| s.height).max().unwrap_or(0) + 1;
                let mut size = subs.iter().fold(0u64, |a, s| a.saturating_add(s.size));
                if matches!(kind, Kind::Alternate(_)) {
                    size = size.saturating_add(subs.len().saturating_sub(1) as u64);
                }
                (h, size)
            }
            Kind::Repeat { op, sub, .. } => {
                let s = sub.size;
                let size = match *op {
                    RepeatOp::Star => s.saturating_add(2),
                    RepeatOp::Plus | RepeatOp::Quest => s.saturating_add(1),
                    RepeatOp::Count { min: 0, max: None } => s.saturating_add(2),
                    RepeatOp::Count { min, max: None } => (min as u64).saturating_mul(s).saturating_add(1),
                    RepeatOp::Count { min, max: Some(max) } => {
                        (max as u64).saturating_mul(s).saturating_add((max - min) as u64)
                    }
                };
                (sub.height + 1, size)
            }
            _ => (1, 1),
        };
        Tree {
            kind,
            height,
            size: size.max(1),
        }
    }

    fn children(&self) -> &[Tree] {
        match &self.kind {
            Kind::Capture(_, sub) | Kind::Repeat { sub, .. } => std::slice::from_ref(sub),
            Kind::Concat(subs) | Kind::Alternate(subs) => subs,
            _ => &[],
        }
    }
}

/// Go's `repeatIsValid`: the counted repetitions nested in `t` multiply to at most `n`.
fn repeat_is_valid(t: &Tree, mut n: i64) -> bool {
    if let Kind::Repeat {
        op: RepeatOp::Count { min, max },
        ..
    } = t.kind
    {
        let m = match max {
            Some(0) => return true,
            Some(m) => m as i64,
            None => min as i64,
        };
        if m > n {
            return false;
        }
        if m > 0 {
            n /= m;
        }
    }
    t.children().iter().all(|c| repeat_is_valid(c, n))
}

// ---------------------------------------------------------------------------------------------
// Parser (Go's `regexp/syntax.parse` with the `Perl` flags)

#[derive(Clone, Copy, Debug, Default)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
    ungreedy: bool,
}

enum FrameKind {
    Top,
    Group,
    Capture(Option<String>),
}

/// An open group: the flags to restore at its `)`, the finished alternatives, the current one.
struct Frame {
    kind: FrameKind,
    saved: Flags,
    branches: Vec<Tree>,
    items: Vec<Tree>,
}

struct Parser<'a> {
    src: &'a str,
    flags: Flags,
    frames: Vec<Frame>,
    warnings: Vec<GoRegexWarning>,
    /// Go's `numRegexp` (nodes allocated; a run of literals reuses its nodes).
    allocs: u64,
    /// Go's `repeats`: the product of every count seen so far, capped at [`MAX_SIZE`].
    repeats: u64,
    /// Whether Go has started measuring program sizes (it does once `allocs * repeats` could
    /// pass [`MAX_SIZE`]).
    track_size: bool,
}

type PResult<T> = Result<T, GoRegexError>;

fn err<T>(kind: GoRegexErrorKind, expr: &str) -> PResult<T> {
    Err(GoRegexError::new(kind, expr))
}

fn parse(src: &str) -> PResult<(Tree, Vec<GoRegexWarning>)> {
    let mut p = Parser {
        src,
        flags: Flags::default(),
        frames: vec![Frame {
            kind: FrameKind::Top,
            saved: Flags::default(),
            branches: Vec::new(),
            items: Vec::new(),
        }],
        warnings: Vec::new(),
        allocs: 0,
        repeats: 1,
        track_size: false,
    };
    let bytes = src.as_bytes();
    let mut i = 0;
    // Where the previous token, if it was a repetition operator, started (Go's `lastRepeat`).
    let mut last_repeat: Option<usize> = None;
    while i < src.len() {
        let mut repeat = None;
        match bytes[i] {
            b'(' if bytes.get(i + 1) == Some(&b'?') => i = p.perl_flags(i)?,
            b'(' => {
                p.open(FrameKind::Capture(None), p.flags);
                i += 1;
            }
            b'|' => {
                p.bar()?;
                i += 1;
            }
            b')' => {
                p.close()?;
                i += 1;
            }
            b'^' => {
                p.push(Tree::new(if p.flags.multi_line {
                    Kind::BeginLine
                } else {
                    Kind::BeginText
                }))?;
                i += 1;
            }
            b'$' => {
                p.push(Tree::new(if p.flags.multi_line {
                    Kind::EndLine
                } else {
                    Kind::EndText
                }))?;
                i += 1;
            }
            b'.' => {
                p.push(Tree::new(if p.flags.dot_nl { Kind::Any } else { Kind::AnyNotNl }))?;
                i += 1;
            }
            b'[' => i = p.class(i)?,
            op @ (b'*' | b'+' | b'?') => {
                let op = match op {
                    b'*' => RepeatOp::Star,
                    b'+' => RepeatOp::Plus,
                    _ => RepeatOp::Quest,
                };
                let after = p.repeat(op, i, i + 1, last_repeat)?;
                repeat = Some(i);
                i = after;
            }
            b'{' => match parse_repeat(&bytes[i..]) {
                None => {
                    p.literal_braces(i);
                    p.literal('{' as u32)?;
                    i += 1;
                }
                Some((min, max, len)) => {
                    if !(0..=MAX_REPEAT).contains(&min) || max > MAX_REPEAT || (max >= 0 && min > max) {
                        return err(GoRegexErrorKind::InvalidRepeatSize, &src[i..i + len]);
                    }
                    let op = RepeatOp::Count {
                        min: min as u32,
                        max: (max >= 0).then_some(max as u32),
                    };
                    let after = p.repeat(op, i, i + len, last_repeat)?;
                    repeat = Some(i);
                    i = after;
                }
            },
            b'\\' => i = p.backslash(i)?,
            _ => {
                let c = src[i..].chars().next().unwrap_or_default();
                p.literal(c as u32)?;
                i += c.len_utf8();
            }
        }
        last_repeat = repeat;
    }
    p.finish()
}

/// Go's `parseRepeat` on the text at a `{`: `(min, max, length)` with max -1 for `{n,}` and
/// min -1 for a number too big; `None` when the text is not a repetition (then `{` is a literal).
fn parse_repeat(b: &[u8]) -> Option<(i64, i64, usize)> {
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut k = 1;
    let (mut min, n) = parse_int(&b[k..])?;
    k += n;
    let max;
    match b.get(k)? {
        b',' => {
            k += 1;
            if *b.get(k)? == b'}' {
                max = -1;
            } else {
                let (m, n) = parse_int(&b[k..])?;
                k += n;
                max = m;
                if m < 0 {
                    min = -1;
                }
            }
        }
        _ => max = min,
    }
    if b.get(k) != Some(&b'}') {
        return None;
    }
    Some((min, max, k + 1))
}

/// Go's `parseInt`: digits without leading zeros; -1 when too big.
fn parse_int(b: &[u8]) -> Option<(i64, usize)> {
    if !b.first()?.is_ascii_digit() {
        return None;
    }
    if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
        return None;
    }
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut v: i64 = 0;
    for d in &b[..n] {
        if v >= 100_000_000 {
            v = -1;
            break;
        }
        v = v * 10 + (d - b'0') as i64;
    }
    Some((v, n))
}

/// Go's `parsePerlClassEscape`: `\d \D \s \S \w \W` at the start of `t`.
fn perl_class(t: &str) -> Option<(Ranges, bool)> {
    let b = t.as_bytes();
    if b.len() < 2 || b[0] != b'\\' {
        return None;
    }
    Some(match b[1] {
        b'd' => (DIGIT, false),
        b'D' => (DIGIT, true),
        b's' => (SPACE, false),
        b'S' => (SPACE, true),
        b'w' => (WORD, false),
        b'W' => (WORD, true),
        _ => return None,
    })
}

/// The `regex` crate's class item for Go's Unicode class `name` (case-exact), or `None` if Go
/// does not know the name.
fn unicode_item(name: &str, negated: bool) -> Option<String> {
    let pick = |yes: &str, no: &str| Some(if negated { no } else { yes }.to_string());
    match name {
        "Any" => pick(EVERYTHING, NOTHING),
        // Go's C is Cc, Cf, Co and Cs, without the unassigned code points Rust's \pC has.
        "C" => pick(r"[\p{Cc}\p{Cf}\p{Co}]", r"[^\p{Cc}\p{Cf}\p{Co}]"),
        // Surrogates: no `&str` holds one.
        "Cs" => pick(NOTHING, EVERYTHING),
        _ if CATEGORIES.contains(&name) || SCRIPTS.contains(&name) => {
            Some(format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' }))
        }
        _ => None,
    }
}

/// Renders code-point ranges as class items; surrogates are left out (no `&str` holds one).
fn push_ranges(out: &mut String, ranges: &[(u32, u32)]) {
    for &(lo, hi) in ranges {
        let lo = if (0xD800..=0xDFFF).contains(&lo) { 0xE000 } else { lo };
        let hi = if (0xD800..=0xDFFF).contains(&hi) { 0xD7FF } else { hi };
        if lo > hi {
            continue;
        }
        push_char(out, lo);
        if hi > lo {
            out.push('-');
            push_char(out, hi);
        }
    }
}

/// A literal character: ASCII letters and digits as they are, everything else as `\x{...}`.
fn push_char(out: &mut String, c: u32) {
    match char::from_u32(c) {
        Some(ch) if ch.is_ascii_alphanumeric() => out.push(ch),
        _ => out.push_str(&format!("\\x{{{c:X}}}")),
    }
}

fn class_of(ranges: &[(u32, u32)], negated: bool) -> String {
    let mut s = String::from(if negated { "[^" } else { "[" });
    push_ranges(&mut s, ranges);
    s.push(']');
    s
}

impl Parser<'_> {
    fn whole(&self) -> &str {
        self.src
    }

    fn frame(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("the top frame is never popped")
    }

    fn warn(&mut self, kind: GoRegexWarningKind, offset: usize, len: usize) {
        let expr = self.src[offset..offset + len].to_string();
        if !self.warnings.iter().any(|w| w.kind == kind && w.expr == expr) {
            self.warnings.push(GoRegexWarning { kind, expr, offset });
        }
    }

    /// Go's `checkLimits` on a new node (`new`: Go allocates one for it): program size (once Go
    /// measures it, see `checkSize`), then tree height.
    fn limits(&mut self, t: &Tree, new: bool) -> PResult<()> {
        if new {
            self.allocs += 1;
        }
        if !self.track_size {
            if let Kind::Repeat {
                op: RepeatOp::Count { min, max },
                ..
            } = t.kind
            {
                let n = max.unwrap_or(min).max(1) as u64;
                self.repeats = if n > MAX_SIZE / self.repeats {
                    MAX_SIZE
                } else {
                    self.repeats * n
                };
            }
            if self.allocs >= MAX_SIZE / self.repeats {
                self.track_size = true;
                let on_stack = self.frames.iter().flat_map(|f| f.branches.iter().chain(&f.items));
                if on_stack.map(|t| t.size).max().unwrap_or(0) > MAX_SIZE {
                    return err(GoRegexErrorKind::TooLarge, self.whole());
                }
            }
        }
        if self.track_size && t.size > MAX_SIZE {
            return err(GoRegexErrorKind::TooLarge, self.whole());
        }
        if t.height > MAX_HEIGHT {
            return err(GoRegexErrorKind::NestingDepth, self.whole());
        }
        Ok(())
    }

    fn push(&mut self, t: Tree) -> PResult<()> {
        self.push_node(t, true)
    }

    fn push_node(&mut self, t: Tree, new: bool) -> PResult<()> {
        self.limits(&t, new)?;
        self.frame().items.push(t);
        Ok(())
    }

    fn literal(&mut self, c: u32) -> PResult<()> {
        let fold = self.flags.fold;
        // Go merges a literal into the one before it and reuses the node.
        let reused = matches!(self.frame().items.last(), Some(Tree { kind: Kind::Literal(_, f), .. }) if *f == fold);
        self.push_node(Tree::new(Kind::Literal(vec![c], fold)), !reused)
    }

    fn class_node(&mut self, rust: String) -> PResult<()> {
        let fold = self.flags.fold;
        self.push(Tree::new(Kind::Class(rust, fold)))
    }

    fn open(&mut self, kind: FrameKind, saved: Flags) {
        self.frames.push(Frame {
            kind,
            saved,
            branches: Vec::new(),
            items: Vec::new(),
        });
    }

    /// Go's `concat`: the current alternative as one node (adjacent literals merged, nested
    /// concatenations flattened, as Go's parse tree has them).
    fn concat(&mut self) -> PResult<Tree> {
        let items = std::mem::take(&mut self.frame().items);
        let mut out: Vec<Tree> = Vec::with_capacity(items.len());
        for t in items {
            let subs = match t.kind {
                Kind::Concat(subs) => subs,
                kind => vec![Tree { kind, ..t }],
            };
            for t in subs {
                if let (
                    Some(Tree {
                        kind: Kind::Literal(prev, f1),
                        ..
                    }),
                    Kind::Literal(next, f2),
                ) = (out.last_mut(), &t.kind)
                    && *f1 == *f2
                {
                    prev.extend_from_slice(next);
                    let merged = out.pop().expect("just matched");
                    out.push(Tree::new(merged.kind));
                    continue;
                }
                out.push(t);
            }
        }
        let new = out.len() != 1;
        let t = match out.len() {
            0 => Tree::new(Kind::Empty),
            1 => out.pop().expect("one item"),
            _ => Tree::new(Kind::Concat(out)),
        };
        self.limits(&t, new)?;
        Ok(t)
    }

    fn bar(&mut self) -> PResult<()> {
        let t = self.concat()?;
        self.frame().branches.push(t);
        Ok(())
    }

    /// Go's `alternate` on the open group: its alternatives as one node.
    fn alternate(&mut self) -> PResult<Tree> {
        let last = self.concat()?;
        let mut branches = std::mem::take(&mut self.frame().branches);
        if branches.is_empty() {
            return Ok(last);
        }
        branches.push(last);
        let mut flat = Vec::with_capacity(branches.len());
        for b in branches {
            match b.kind {
                Kind::Alternate(subs) => flat.extend(subs),
                kind => flat.push(Tree { kind, ..b }),
            }
        }
        let t = Tree::new(Kind::Alternate(flat));
        self.limits(&t, true)?;
        Ok(t)
    }

    fn close(&mut self) -> PResult<()> {
        if self.frames.len() < 2 {
            return err(GoRegexErrorKind::UnexpectedParen, self.whole());
        }
        let body = self.alternate()?;
        let frame = self.frames.pop().expect("checked above");
        self.flags = frame.saved;
        match frame.kind {
            FrameKind::Capture(name) => self.push(Tree::new(Kind::Capture(name, Box::new(body)))),
            FrameKind::Group | FrameKind::Top => self.push_node(body, false),
        }
    }

    fn finish(mut self) -> PResult<(Tree, Vec<GoRegexWarning>)> {
        let t = self.alternate()?;
        if self.frames.len() != 1 {
            return err(GoRegexErrorKind::MissingParen, self.whole());
        }
        Ok((t, self.warnings))
    }

    /// Go's `repeat`: applies `op` (text `start..after`) to the last item.
    fn repeat(&mut self, op: RepeatOp, start: usize, mut after: usize, last_repeat: Option<usize>) -> PResult<usize> {
        let mut lazy = false;
        if self.src.as_bytes().get(after) == Some(&b'?') {
            after += 1;
            lazy = true;
        }
        if let Some(last) = last_repeat {
            return err(GoRegexErrorKind::InvalidRepeatOp, &self.src[last..after]);
        }
        let Some(sub) = self.frame().items.pop() else {
            return err(GoRegexErrorKind::MissingRepeatArgument, &self.src[start..after]);
        };
        let t = Tree::new(Kind::Repeat {
            op,
            greedy: self.flags.ungreedy == lazy,
            sub: Box::new(sub),
        });
        self.limits(&t, true)?;
        if let RepeatOp::Count { min, max } = op
            && (min >= 2 || max.is_some_and(|m| m >= 2))
            && !repeat_is_valid(&t, MAX_REPEAT)
        {
            return err(GoRegexErrorKind::InvalidRepeatSize, &self.src[start..after]);
        }
        self.frame().items.push(t);
        Ok(after)
    }

    /// A `{` Go reads as a literal: warn when it looks like a repetition another dialect takes.
    fn literal_braces(&mut self, i: usize) {
        let b = &self.src.as_bytes()[i + 1..];
        let body = b.iter().take_while(|c| c.is_ascii_digit() || **c == b',').count();
        let digits = b[..body].iter().filter(|c| c.is_ascii_digit()).count();
        let commas = body - digits;
        if b.get(body) == Some(&b'}') && digits > 0 && commas <= 1 {
            self.warn(GoRegexWarningKind::LiteralBraces, i, body + 2);
        }
    }

    /// Go's `parsePerlFlags` at `(?`: named groups, non-capturing groups, flags.
    fn perl_flags(&mut self, i: usize) -> PResult<usize> {
        let t = &self.src[i..];
        let tb = t.as_bytes();
        if (t.len() > 4 && tb[2] == b'P' && tb[3] == b'<') || (t.len() > 3 && tb[2] == b'<') {
            let begin = if tb[2] == b'<' { 3 } else { 4 };
            let Some(end) = t.find('>') else {
                return err(GoRegexErrorKind::InvalidNamedCapture, t);
            };
            let name = &t[begin..end];
            if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                return err(GoRegexErrorKind::InvalidNamedCapture, &t[..=end]);
            }
            self.open(FrameKind::Capture(Some(name.to_string())), self.flags);
            return Ok(i + end + 1);
        }
        let mut j = i + 2;
        let mut flags = self.flags;
        let mut negated = false;
        let mut saw_flag = false;
        while let Some(c) = self.src[j..].chars().next() {
            j += c.len_utf8();
            let on = !negated;
            match c {
                'i' => flags.fold = on,
                'm' => flags.multi_line = on,
                's' => flags.dot_nl = on,
                'U' => flags.ungreedy = on,
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                    continue;
                }
                ':' | ')' => {
                    if negated && !saw_flag {
                        break;
                    }
                    if c == ':' {
                        self.open(FrameKind::Group, self.flags);
                    }
                    self.flags = flags;
                    return Ok(j);
                }
                _ => break,
            }
            saw_flag = true;
        }
        err(GoRegexErrorKind::InvalidPerlOp, &self.src[i..j])
    }

    /// A backslash outside a class.
    fn backslash(&mut self, i: usize) -> PResult<usize> {
        let t = &self.src[i..];
        let tb = t.as_bytes();
        if tb.len() >= 2 {
            match tb[1] {
                b'A' => return self.push(Tree::new(Kind::BeginText)).map(|_| i + 2),
                b'z' => return self.push(Tree::new(Kind::EndText)).map(|_| i + 2),
                b'B' => return self.push(Tree::new(Kind::NoWordBoundary)).map(|_| i + 2),
                b'b' => {
                    if tb.get(2) == Some(&b'{') && parse_repeat(&tb[2..]).is_none() {
                        let len = t[2..].find('}').map_or(3, |k| k + 3);
                        self.warn(GoRegexWarningKind::WordBoundaryBraces, i, len);
                    }
                    return self.push(Tree::new(Kind::WordBoundary)).map(|_| i + 2);
                }
                b'C' => return err(GoRegexErrorKind::InvalidEscape, &t[..2]),
                b'Q' => {
                    let rest = &t[2..];
                    let (lit, next) = match rest.find("\\E") {
                        Some(k) => (&rest[..k], i + 2 + k + 2),
                        None => (rest, self.src.len()),
                    };
                    for c in lit.chars() {
                        self.literal(c as u32)?;
                    }
                    return Ok(next);
                }
                b'p' | b'P' => {
                    let (item, len) = self.unicode_class(t)?;
                    self.class_node(item)?;
                    return Ok(i + len);
                }
                _ => {}
            }
        }
        if let Some((ranges, negated)) = perl_class(t) {
            self.class_node(class_of(ranges, negated))?;
            return Ok(i + 2);
        }
        let (c, len) = self.escape(t)?;
        if c == '<' as u32 || c == '>' as u32 {
            self.warn(GoRegexWarningKind::WordEdge, i, 2);
        }
        self.literal(c)?;
        Ok(i + len)
    }

    /// Go's `parseUnicodeClass` at `\p` or `\P`: the class item and the length of its text.
    fn unicode_class(&self, t: &str) -> PResult<(String, usize)> {
        let mut negated = t.as_bytes()[1] == b'P';
        let (len, name) = match t[2..].chars().next() {
            Some('{') => match t.find('}') {
                Some(end) => (end + 1, &t[3..end]),
                None => return err(GoRegexErrorKind::InvalidCharRange, t),
            },
            Some(c) => (2 + c.len_utf8(), &t[2..2 + c.len_utf8()]),
            None => (2, ""),
        };
        let name = match name.strip_prefix('^') {
            Some(n) => {
                negated = !negated;
                n
            }
            None => name,
        };
        match unicode_item(name, negated) {
            Some(item) => Ok((item, len)),
            None => err(GoRegexErrorKind::InvalidCharRange, &t[..len]),
        }
    }

    /// Go's `parseEscape` on `s` (which starts with `\`): the code point and the text's length.
    fn escape(&self, s: &str) -> PResult<(u32, usize)> {
        let b = s.as_bytes();
        let Some(c) = s[1..].chars().next() else {
            return err(GoRegexErrorKind::TrailingBackslash, "");
        };
        let mut pos = 1 + c.len_utf8();
        let invalid = |end: usize| err(GoRegexErrorKind::InvalidEscape, &s[..end]);
        let is_octal = |k: usize| b.get(k).is_some_and(|d| (b'0'..=b'7').contains(d));
        match c {
            // A single non-zero digit would be a back-reference: Go has none.
            '1'..='7' if !is_octal(pos) => invalid(pos),
            '0'..='7' => {
                let mut r = c as u32 - '0' as u32;
                for _ in 1..3 {
                    if !is_octal(pos) {
                        break;
                    }
                    r = r * 8 + (b[pos] - b'0') as u32;
                    pos += 1;
                }
                Ok((r, pos))
            }
            'x' => {
                let Some(c2) = s[pos..].chars().next() else {
                    return invalid(pos);
                };
                pos += c2.len_utf8();
                if c2 == '{' {
                    let mut digits = 0;
                    let mut r: u32 = 0;
                    loop {
                        let Some(d) = s[pos..].chars().next() else {
                            return invalid(pos);
                        };
                        pos += d.len_utf8();
                        if d == '}' {
                            break;
                        }
                        let Some(v) = d.to_digit(16) else {
                            return invalid(pos);
                        };
                        r = r * 16 + v;
                        if r > 0x10FFFF {
                            return invalid(pos);
                        }
                        digits += 1;
                    }
                    return if digits == 0 { invalid(pos) } else { Ok((r, pos)) };
                }
                let c3 = s[pos..].chars().next();
                pos += c3.map_or(0, char::len_utf8);
                match (c2.to_digit(16), c3.and_then(|c| c.to_digit(16))) {
                    (Some(x), Some(y)) => Ok((x * 16 + y, pos)),
                    _ => invalid(pos),
                }
            }
            'a' => Ok((0x07, pos)),
            'f' => Ok((0x0C, pos)),
            'n' => Ok((0x0A, pos)),
            'r' => Ok((0x0D, pos)),
            't' => Ok((0x09, pos)),
            'v' => Ok((0x0B, pos)),
            // Escaped punctuation is itself (also `\_`).
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c as u32, pos)),
            _ => invalid(pos),
        }
    }

    /// Go's `parseClassChar`: one class character (maybe escaped).
    fn class_char(&self, j: usize, class_start: usize) -> PResult<(u32, usize)> {
        let t = &self.src[j..];
        match t.chars().next() {
            None => err(GoRegexErrorKind::MissingBracket, &self.src[class_start..]),
            Some('\\') => self.escape(t),
            Some(c) => Ok((c as u32, c.len_utf8())),
        }
    }

    /// Go's `parseClass` at `[`: pushes the class, returns the index after its `]`.
    fn class(&mut self, i: usize) -> PResult<usize> {
        let src = self.src;
        let mut j = i + 1;
        let negated = src[j..].starts_with('^');
        if negated {
            j += 1;
        }
        let mut items = String::new();
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut set_op = false;
        let mut first = true;
        loop {
            let t = &src[j..];
            if t.starts_with(']') && !first {
                break;
            }
            first = false;
            if t.len() > 2
                && t.starts_with("[:")
                && let Some(k) = t[2..].find(":]")
            {
                let name = &t[..k + 4];
                let inner = &name[2..name.len() - 2];
                let (neg, base) = match inner.strip_prefix('^') {
                    Some(b) => (true, b),
                    None => (false, inner),
                };
                let Some((_, r)) = POSIX.iter().find(|(n, _)| *n == base) else {
                    return err(GoRegexErrorKind::InvalidCharRange, name);
                };
                if neg {
                    items.push_str(&class_of(r, true));
                } else {
                    ranges.extend_from_slice(r);
                }
                j += name.len();
                continue;
            }
            if t.len() >= 2 && t.starts_with('\\') && matches!(t.as_bytes()[1], b'p' | b'P') {
                let (item, len) = self.unicode_class(t)?;
                items.push_str(&item);
                j += len;
                continue;
            }
            if let Some((r, neg)) = perl_class(t) {
                if neg {
                    items.push_str(&class_of(r, true));
                } else {
                    ranges.extend_from_slice(r);
                }
                j += 2;
                continue;
            }
            // Set operations and nested classes of other dialects: plain characters in Go.
            if ["&&", "--", "~~"].iter().any(|op| t.starts_with(op)) {
                set_op = true;
                self.warn(GoRegexWarningKind::ClassSetOperation, j, 2);
            } else if t.starts_with('[') && !set_op {
                self.warn(GoRegexWarningKind::ClassBracket, j, 1);
            }
            let start = j;
            let (lo, len) = self.class_char(j, i)?;
            j += len;
            let mut hi = lo;
            let tb = &src.as_bytes()[j..];
            if tb.len() >= 2 && tb[0] == b'-' && tb[1] != b']' {
                j += 1;
                let (h, len) = self.class_char(j, i)?;
                j += len;
                if h < lo {
                    return err(GoRegexErrorKind::InvalidCharRange, &src[start..j]);
                }
                hi = h;
            }
            ranges.push((lo, hi));
        }
        j += 1;
        push_ranges(&mut items, &ranges);
        if items.is_empty() {
            items.push_str(NOTHING);
        }
        self.class_node(format!("[{}{items}]", if negated { "^" } else { "" }))?;
        Ok(j)
    }
}

// ---------------------------------------------------------------------------------------------
// Emitter: the tree in the `regex` crate's syntax. Every flag is resolved per node, so the output
// has no flag state: folding is `(?i:...)` around the node, `^`/`$` are `\A`/`\z` or `(?m:^)`.

#[derive(Default)]
struct Emitter {
    out: String,
    names: HashSet<String>,
}

impl Emitter {
    fn run(mut self, t: &Tree) -> String {
        self.emit(t);
        self.out
    }

    fn emit(&mut self, t: &Tree) {
        match &t.kind {
            Kind::Empty => self.out.push_str("(?:)"),
            Kind::Literal(cs, fold) => {
                if *fold {
                    self.out.push_str("(?i:");
                }
                for &c in cs {
                    if (0xD800..=0xDFFF).contains(&c) {
                        self.out.push_str(NOTHING);
                    } else {
                        push_char(&mut self.out, c);
                    }
                }
                if *fold {
                    self.out.push(')');
                }
            }
            Kind::Class(rust, fold) => {
                if *fold {
                    self.out.push_str("(?i:");
                    self.out.push_str(rust);
                    self.out.push(')');
                } else {
                    self.out.push_str(rust);
                }
            }
            Kind::AnyNotNl => self.out.push_str(r"[^\x{A}]"),
            Kind::Any => self.out.push_str(EVERYTHING),
            Kind::BeginLine => self.out.push_str("(?m:^)"),
            Kind::EndLine => self.out.push_str("(?m:$)"),
            Kind::BeginText => self.out.push_str(r"\A"),
            Kind::EndText => self.out.push_str(r"\z"),
            Kind::WordBoundary => self.out.push_str(r"(?-u:\b)"),
            Kind::NoWordBoundary => self.out.push_str(r"(?-u:\B)"),
            Kind::Capture(name, sub) => {
                self.out.push('(');
                // Go allows names starting with a digit and repeated names; Rust does not.
                if let Some(n) = name
                    && !n.starts_with(|c: char| c.is_ascii_digit())
                    && self.names.insert(n.clone())
                {
                    self.out.push_str(&format!("?P<{n}>"));
                }
                self.emit(sub);
                self.out.push(')');
            }
            Kind::Concat(subs) => {
                for s in subs {
                    if matches!(s.kind, Kind::Alternate(_)) {
                        self.out.push_str("(?:");
                        self.emit(s);
                        self.out.push(')');
                    } else {
                        self.emit(s);
                    }
                }
            }
            Kind::Alternate(subs) => {
                for (k, s) in subs.iter().enumerate() {
                    if k > 0 {
                        self.out.push('|');
                    }
                    self.emit(s);
                }
            }
            Kind::Repeat { op, greedy, sub } => {
                self.out.push_str("(?:");
                self.emit(sub);
                self.out.push(')');
                match *op {
                    RepeatOp::Star => self.out.push('*'),
                    RepeatOp::Plus => self.out.push('+'),
                    RepeatOp::Quest => self.out.push('?'),
                    RepeatOp::Count { min, max: None } => self.out.push_str(&format!("{{{min},}}")),
                    RepeatOp::Count { min, max: Some(max) } if max == min => self.out.push_str(&format!("{{{min}}}")),
                    RepeatOp::Count { min, max: Some(max) } => self.out.push_str(&format!("{{{min},{max}}}")),
                }
                if !greedy {
                    self.out.push('?');
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn go_err(p: &str) -> String {
        match check(p) {
            Ok(w) => panic!("{p:?}: Go rejects it, but check accepted it (warnings {w:?})"),
            Err(e) => e.to_string(),
        }
    }

    fn ok(p: &str) -> Regex {
        let w = check(p).unwrap_or_else(|e| panic!("{p:?}: Go accepts it, but check says {e}"));
        assert!(w.is_empty(), "{p:?}: unexpected warnings {w:?}");
        compile(p).unwrap_or_else(|e| panic!("{p:?}: {e} (translated: {:?})", translate(p)))
    }

    fn warns(p: &str) -> Vec<GoRegexWarning> {
        let w = check(p).unwrap_or_else(|e| panic!("{p:?}: Go accepts it, but check says {e}"));
        assert!(!w.is_empty(), "{p:?}: expected a warning");
        compile(p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        w
    }

    // --- the reference table, Go's side -------------------------------------------------------

    #[test]
    fn repeat_counts_above_1000_are_errors() {
        assert_eq!(
            go_err("a{1001}"),
            "error parsing regexp: invalid repeat count: `{1001}`"
        );
        assert_eq!(
            go_err("a{2,1001}"),
            "error parsing regexp: invalid repeat count: `{2,1001}`"
        );
        assert_eq!(
            go_err("a{1001,}"),
            "error parsing regexp: invalid repeat count: `{1001,}`"
        );
        assert_eq!(go_err("a{3,2}"), "error parsing regexp: invalid repeat count: `{3,2}`");
        assert_eq!(
            go_err("a{99999999999}"),
            "error parsing regexp: invalid repeat count: `{99999999999}`"
        );
        ok("a{1000}");
        ok("a{0,1000}");
        ok("a{1000,}");
        ok("a{0}");
    }

    #[test]
    fn nested_counts_multiply() {
        assert_eq!(
            go_err("(a{100}){100}"),
            "error parsing regexp: invalid repeat count: `{100}`"
        );
        assert_eq!(
            go_err("(?:a{2}b){501}"),
            "error parsing regexp: invalid repeat count: `{501}`"
        );
        assert_eq!(
            go_err("((a{10}){10}){11}?"),
            "error parsing regexp: invalid repeat count: `{11}?`"
        );
        ok("(a{10}){100}");
        ok("((a{10}){10}){10}");
        // Unlimited repetitions do not count; {0} stops the walk.
        ok("(a*){1000}");
        ok("(a{1000}){0}");
        ok("(a{1000})+");
    }

    #[test]
    fn nesting_deeper_than_1000_is_an_error() {
        let deep = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(
            go_err(&deep(1000)),
            format!("error parsing regexp: expression nests too deeply: `{}`", deep(1000))
        );
        // 999 groups and the literal: height 1000, which Go (and kgen) accepts.
        let re = ok(&deep(999));
        assert!(re.is_match("a"));
        // Non-capturing groups add no node to Go's tree.
        let flat = format!("{}a{}", "(?:".repeat(3000), ")".repeat(3000));
        assert!(ok(&flat).is_match("xa"));
    }

    #[test]
    fn unsupported_flags_are_errors() {
        assert_eq!(
            go_err("(?x)a"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"
        );
        assert_eq!(
            go_err("(?u)a"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?u`"
        );
        assert_eq!(
            go_err("(?R)"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?R`"
        );
        assert_eq!(
            go_err("(?ix:a)"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?ix`"
        );
        assert_eq!(
            go_err("(?i-)a"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"
        );
        assert_eq!(
            go_err("(?--i)a"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?--`"
        );
        assert_eq!(
            go_err("(?#note)a"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?#`"
        );
        assert_eq!(
            go_err("(?i"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?i`"
        );
        assert_eq!(
            go_err("(?P=n)"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?P`"
        );
        for p in [
            "(?i)a", "(?m)^a$", "(?s).", "(?U)a+", "(?i:a)", "(?i-s:a)", "(?-i)a", "(?imsU)a", "(?)a",
        ] {
            ok(p);
        }
    }

    #[test]
    fn unicode_escapes_are_errors() {
        assert_eq!(
            go_err(r"\u00e9"),
            r"error parsing regexp: invalid escape sequence: `\u`"
        );
        assert_eq!(
            go_err(r"\U0001F600"),
            r"error parsing regexp: invalid escape sequence: `\U`"
        );
        assert_eq!(
            go_err(r"[\u00e9]"),
            r"error parsing regexp: invalid escape sequence: `\u`"
        );
        assert!(check(r"\u00e9").unwrap_err().help().contains(r"\x{e9}"));
        assert!(ok(r"\x{e9}").is_match("é"));
        assert!(ok(r"\xe9").is_match("é"));
    }

    #[test]
    fn doubled_repetition_operators_are_errors() {
        assert_eq!(
            go_err("a**"),
            "error parsing regexp: invalid nested repetition operator: `**`"
        );
        assert_eq!(
            go_err("a++"),
            "error parsing regexp: invalid nested repetition operator: `++`"
        );
        assert_eq!(
            go_err("a?+b"),
            "error parsing regexp: invalid nested repetition operator: `?+`"
        );
        assert_eq!(
            go_err("a{2}{3}"),
            "error parsing regexp: invalid nested repetition operator: `{2}{3}`"
        );
        assert_eq!(
            go_err("a*??"),
            "error parsing regexp: invalid nested repetition operator: `*??`"
        );
        // Lazy forms are one operator; a group in between makes it legal.
        ok("a*?");
        ok("a{2}?");
        ok("(?:a{2}){3}");
        ok("(a*)*");
        // Go resets its memory of the last repetition after a flag group or \Q\E.
        ok("a*(?i)*");
    }

    #[test]
    fn unicode_class_names_go_lacks_are_errors() {
        for (p, quoted) in [
            (r"\p{greek}", r"\p{greek}"),
            (r"\p{Letter}", r"\p{Letter}"),
            (r"\p{Alphabetic}", r"\p{Alphabetic}"),
            (r"\p{Script=Greek}", r"\p{Script=Greek}"),
            (r"\p{gc=L}", r"\p{gc=L}"),
            (r"\p{Cn}", r"\p{Cn}"),
            (r"\p{LC}", r"\p{LC}"),
            (r"[\p{Latn}]", r"\p{Latn}"),
            (r"\pX", r"\pX"),
            (r"\p", r"\p"),
            (r"\p{Greek", r"\p{Greek"),
        ] {
            assert_eq!(
                go_err(p),
                format!("error parsing regexp: invalid character class range: `{quoted}`"),
                "{p}"
            );
        }
        assert!(check(r"\p{greek}").unwrap_err().help().contains("case-exact"));
    }

    #[test]
    fn go_unicode_classes_are_accepted() {
        for p in [
            r"\p{Greek}",
            r"\pL",
            r"\p{Lu}",
            r"\p{Any}",
            r"\PL",
            r"\P{Greek}",
            r"\p{^Greek}",
            r"\P{^Greek}",
            r"[\p{L}\p{Nd}_]",
            r"[^\pN]",
        ] {
            ok(p);
        }
        assert!(ok(r"^\p{Greek}+$").is_match("αβγ"));
        assert!(!ok(r"^\p{^Greek}+$").is_match("αβγ"));
        assert!(ok(r"^\P{^Greek}+$").is_match("αβγ"));
        assert!(ok(r"^\p{Any}$").is_match("\u{10FFFF}"));
    }

    #[test]
    fn every_go_category_and_script_compiles() {
        for name in CATEGORIES.iter().chain(SCRIPTS) {
            for p in [
                format!(r"\p{{{name}}}"),
                format!(r"[^\P{{{name}}}x]"),
                format!(r"(?i)\p{{^{name}}}"),
            ] {
                ok(&p);
            }
        }
        ok(r"\pC\pL\pM\pN\pP\pS\pZ");
    }

    #[test]
    fn go_c_category_has_no_unassigned_code_points() {
        let re = ok(r"^\pC$");
        assert!(re.is_match("\u{7}")); // Cc
        assert!(re.is_match("\u{200B}")); // Cf
        assert!(re.is_match("\u{E000}")); // Co
        assert!(!re.is_match("\u{378}")); // unassigned: in Rust's \pC, not in Go's
        assert!(ok(r"^\PC$").is_match("\u{378}"));
        assert!(!ok(r"\p{Cs}").is_match("\u{D7FF}\u{E000}"));
    }

    #[test]
    fn quoting_and_octal_are_accepted() {
        assert!(ok(r"\Q.\E").is_match("."));
        assert!(!ok(r"\Q.\E").is_match("a"));
        assert!(ok(r"^\Qa.b*c\E$").is_match("a.b*c"));
        assert!(!ok(r"^\Qa.b*c\E$").is_match("aXbbc"));
        // Without \E, the rest of the pattern is literal; a repetition after \E takes the last char.
        assert!(ok(r"^\Q(x)").is_match("(x)"));
        assert!(ok(r"^\Qab\E+$").is_match("abbb"));
        assert!(ok(r"\012").is_match("\n"));
        assert!(ok(r"^\0$").is_match("\0"));
        assert!(ok(r"^\101\1012$").is_match("AA2"));
        assert!(ok(r"^\08$").is_match("\u{0}8"));
        assert!(ok(r"^[\0-\011]$").is_match("\t"));
    }

    #[test]
    fn braces_that_are_not_counts_are_literal() {
        let re = compile("^a{,5}$").unwrap();
        assert!(re.is_match("a{,5}"));
        assert!(!re.is_match("aaa"));
        let w = check("a{,5}").unwrap();
        assert_eq!(w[0].kind, GoRegexWarningKind::LiteralBraces);
        assert_eq!(w[0].expr, "{,5}");
        assert!(w[0].to_string().contains("literal text `{,5}`"), "{}", w[0]);
        // Leading zeros: literal in Go (Rust would read a count).
        assert!(compile("^a{01}$").unwrap().is_match("a{01}"));
        assert_eq!(check("a{01}").unwrap()[0].kind, GoRegexWarningKind::LiteralBraces);
        // Other braces are literal without a warning.
        for p in ["a{", "a{}", "a{x}", "{1", "x{1,2,3}", "}", "a{ 1}"] {
            assert!(ok(p).is_match(p.trim_start_matches('^')), "{p}");
        }
        assert_eq!(
            go_err("{2}"),
            "error parsing regexp: missing argument to repetition operator: `{2}`"
        );
    }

    #[test]
    fn perl_classes_in_ranges() {
        let re = ok(r"^[\d-z]+$");
        assert!(re.is_match("0-9z"));
        assert!(!re.is_match("a"));
        assert!(ok(r"^[\w.-]+$").is_match("a_b.c-d"));
        assert!(ok(r"^[^\D]$").is_match("7"));
        assert!(!ok(r"^[\S]$").is_match(" "));
        assert_eq!(
            go_err(r"[a-\d]"),
            r"error parsing regexp: invalid escape sequence: `\d`"
        );
    }

    #[test]
    fn named_groups_are_accepted() {
        assert!(ok(r"(?P<n>a)").is_match("a"));
        assert!(ok(r"(?<n>a)").is_match("a"));
        // Go allows digits first and repeated names.
        assert!(ok(r"(?P<1x>a)(?P<1x>b)").is_match("ab"));
        let re = ok(r"(?P<major>\d+)\.(?P<minor>\d+)");
        assert_eq!(&re.captures("v1.22").unwrap()["minor"], "22");
        assert_eq!(
            go_err(r"(?P<a-b>x)"),
            "error parsing regexp: invalid named capture: `(?P<a-b>`"
        );
        assert_eq!(
            go_err(r"(?P<>x)"),
            "error parsing regexp: invalid named capture: `(?P<>`"
        );
        assert_eq!(go_err(r"(?P<x"), "error parsing regexp: invalid named capture: `(?P<x`");
    }

    #[test]
    fn look_around_and_back_references_are_errors() {
        assert_eq!(
            go_err("(?=a)b"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
        );
        assert_eq!(
            go_err("(?!a)b"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"
        );
        // Go takes `(?<` for a named group, so look-behind is reported as a bad name.
        assert_eq!(
            go_err("(?<=a)b"),
            "error parsing regexp: invalid named capture: `(?<=a)b`"
        );
        assert_eq!(
            go_err("(?<!a)b>"),
            "error parsing regexp: invalid named capture: `(?<!a)b>`"
        );
        assert!(check("(?<=a)b").unwrap_err().help().contains("look-behind"));
        assert!(check("(?=a)b").unwrap_err().help().contains("look-ahead"));
        for (p, e) in [
            (r"(a)\1", r"\1"),
            (r"\K", r"\K"),
            (r"\h", r"\h"),
            (r"\e", r"\e"),
            (r"\C", r"\C"),
            (r"\Z", r"\Z"),
            (r"\k<n>", r"\k"),
            (r"\G", r"\G"),
            (r"\8", r"\8"),
            (r"\é", r"\é"),
            (r"[\b]", r"\b"),
            (r"\x{110000}", r"\x{110000"),
            (r"\x{}", r"\x{}"),
            (r"\xg0", r"\xg0"),
            (r"\x4", r"\x4"),
        ] {
            assert_eq!(
                go_err(p),
                format!("error parsing regexp: invalid escape sequence: `{e}`"),
                "{p}"
            );
        }
        assert!(check(r"\Z").unwrap_err().help().contains(r"\z"));
        ok(r"\Aa\z");
        ok(r"a$");
    }

    #[test]
    fn structural_errors_use_go_wording() {
        assert_eq!(go_err("^[a-z("), "error parsing regexp: missing closing ]: `[a-z(`");
        assert_eq!(go_err("[]"), "error parsing regexp: missing closing ]: `[]`");
        assert_eq!(go_err("(a"), "error parsing regexp: missing closing ): `(a`");
        assert_eq!(go_err("a)b"), "error parsing regexp: unexpected ): `a)b`");
        assert_eq!(
            go_err("*a"),
            "error parsing regexp: missing argument to repetition operator: `*`"
        );
        assert_eq!(
            go_err("(+)"),
            "error parsing regexp: missing argument to repetition operator: `+`"
        );
        assert_eq!(
            go_err("a|??"),
            "error parsing regexp: missing argument to repetition operator: `??`"
        );
        assert_eq!(
            go_err("(?i)*"),
            "error parsing regexp: missing argument to repetition operator: `*`"
        );
        assert_eq!(
            go_err("a\\"),
            "error parsing regexp: trailing backslash at end of expression: ``"
        );
        assert_eq!(
            go_err("[z-a]"),
            "error parsing regexp: invalid character class range: `z-a`"
        );
        assert_eq!(
            go_err("[[:foo:]]"),
            "error parsing regexp: invalid character class range: `[:foo:]`"
        );
        assert!(ok("^[]a]+$").is_match("]a"));
        assert!(ok("^[^]a]$").is_match("b"));
        assert!(ok("^[a-]+$").is_match("a-"));
        assert!(ok(r"^[[:alpha:][:^digit:]]$").is_match("x"));
        assert!(!ok(r"^[[:^alpha:]]$").is_match("x"));
    }

    #[test]
    fn empty_pieces_are_accepted() {
        for p in ["", "a|", "|", "()", "(?:)", "()*", "(|a)+", "^*", r"\b+", "$?"] {
            ok(p);
        }
    }

    #[test]
    fn size_limit_is_raised() {
        // Rust's default 10 MiB refuses this; Go accepts it.
        assert!(regex::Regex::new(r"\pL{1000}").is_err());
        assert!(ok(r"^\pL{1000}$").is_match(&"é".repeat(1000)));
        // Go's own limit: 128 MiB of program (3400 copies of a 1000-instruction repetition).
        let big = "a{1000}".repeat(3400);
        assert_eq!(
            go_err(&big),
            format!("error parsing regexp: expression too large: `{big}`")
        );
    }

    // --- the reference table, Rust's side: accepted by Go, read differently ------------------

    #[test]
    fn class_set_operations_warn_and_keep_go_meaning() {
        let w = warns("[a-z&&[^aeiou]]");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].kind, GoRegexWarningKind::ClassSetOperation);
        assert_eq!(w[0].expr, "&&");
        assert_eq!(w[0].offset, 4);
        assert!(
            w[0].to_string().contains("Go's regexp has no class set operations"),
            "{}",
            w[0]
        );
        // Go: one of a-z & [ ^ followed by a literal `]`.
        let re = compile("^[a-z&&[^aeiou]]$").unwrap();
        assert!(re.is_match("e]"));
        assert!(re.is_match("&]"));
        assert!(re.is_match("[]"));
        assert!(!re.is_match("b"));
        assert_eq!(warns("[a-z--aeiou]")[0].expr, "--");
        assert_eq!(warns("[a-z~~aeiou]")[0].expr, "~~");
        assert!(compile("^[a~~b]$").unwrap().is_match("~"));
        // A nested class of other dialects.
        let w = warns("[a[bc]]");
        assert_eq!(w[0].kind, GoRegexWarningKind::ClassBracket);
        assert!(compile("^[a[bc]]$").unwrap().is_match("[]"));
        // Escaped, or a range through `-`: no warning.
        ok(r"[a-z\&\&]");
        ok(r"[+--]");
        ok(r"[\[\]]");
    }

    #[test]
    fn word_edges_warn_and_are_literal() {
        let w = warns(r"\<word\>");
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].kind, GoRegexWarningKind::WordEdge);
        assert!(w[0].to_string().contains("literal `<`"), "{}", w[0]);
        assert!(w[1].to_string().contains("word-end"), "{}", w[1]);
        let re = compile(r"^\<word\>$").unwrap();
        assert!(re.is_match("<word>"));
        assert!(!re.is_match("word"));
    }

    #[test]
    fn special_word_boundaries_warn_and_are_literal() {
        let w = warns(r"\b{start}a");
        assert_eq!(w[0].kind, GoRegexWarningKind::WordBoundaryBraces);
        assert_eq!(w[0].expr, r"\b{start}");
        assert!(w[0].to_string().contains("literal text `{start}`"), "{}", w[0]);
        assert!(compile(r"\b{start}a").unwrap().is_match("x{start}a"));
        assert!(!compile(r"\b{start}a").unwrap().is_match("a"));
        // A count after \b is a repetition, not braces.
        ok(r"\b{2}a");
    }

    #[test]
    fn perl_classes_are_ascii() {
        assert!(ok(r"^\d$").is_match("7"));
        assert!(!ok(r"\d").is_match("٣"));
        assert!(ok(r"\D").is_match("٣"));
        assert!(!ok(r"\s").is_match("\u{A0}"));
        assert!(!ok(r"\s").is_match("\u{B}")); // Go's \s has no \v
        assert!(ok(r"^\s+$").is_match(" \t\n\r\u{C}"));
        assert!(!ok(r"\w").is_match("é"));
        assert!(ok(r"^[\W]$").is_match("é"));
        // \b is an ASCII word boundary: none between a space and é.
        assert!(!ok(r"\bé").is_match(" é"));
        assert!(ok(r"\Bé").is_match(" é"));
        assert!(ok(r"\bx\b").is_match("éxé"));
        assert!(!ok(r"[[:alpha:]]").is_match("é"));
    }

    #[test]
    fn flags_keep_go_meaning() {
        let re = ok("(?i)^abc$");
        assert!(re.is_match("ABC"));
        assert!(ok("^a(?i)b$").is_match("aB"));
        assert!(!ok("^a(?i)b$").is_match("AB"));
        assert!(ok("^(?i:a)b$").is_match("Ab"));
        assert!(!ok("^(?i:a)b$").is_match("AB"));
        // Flags set inside a group end with it.
        assert!(!ok("^(a(?i)b)c$").is_match("aBC"));
        assert!(ok("(?i)k").is_match("\u{212A}"));
        assert!(ok("(?i)[k]").is_match("K"));
        assert!(!ok("(?i)[^k]").is_match("K"));
        assert!(ok("(?m)^b$").is_match("a\nb\nc"));
        assert!(!ok("^b$").is_match("a\nb\nc"));
        assert!(!ok("^a$").is_match("a\n"));
        assert!(ok("(?s)a.b").is_match("a\nb"));
        assert!(!ok("a.b").is_match("a\nb"));
        assert_eq!(ok("(?U)a+").find("aaa").unwrap().as_str(), "a");
        assert_eq!(ok("(?U)a+?").find("aaa").unwrap().as_str(), "aaa");
        assert_eq!(ok("a{2,3}?").find("aaa").unwrap().as_str(), "aa");
    }

    #[test]
    fn surrogates_match_nothing() {
        assert!(!ok(r"\x{D800}").is_match("\u{FFFD}"));
        assert!(ok(r"^[\x{D800}a]$").is_match("a"));
        assert!(ok(r"^[^\x{D800}]$").is_match("a"));
        assert!(ok(r"^[\x{D7FF}-\x{E000}]+$").is_match("\u{D7FF}\u{E000}"));
    }

    #[test]
    fn matching_is_unanchored() {
        assert!(ok("b").is_match("abc"));
        assert!(ok("[0-9]").is_match("x1y"));
    }

    #[test]
    fn translation_examples() {
        assert_eq!(translate(r"^\d+$").unwrap(), r"\A(?:[0-9])+\z");
        assert_eq!(translate(r"\Q.\E").unwrap(), r"\x{2E}");
        assert_eq!(translate(r"a{,5}").unwrap(), r"a\x{7B}\x{2C}5\x{7D}");
        assert_eq!(translate(r"[\d-z]").unwrap(), r"[0-9\x{2D}z]");
        assert_eq!(translate(r"(?i)a|b").unwrap(), r"(?i:a)|(?i:b)");
    }

    #[test]
    fn error_display_and_help() {
        let e = check("a{1001}").unwrap_err();
        assert_eq!(e.kind, GoRegexErrorKind::InvalidRepeatSize);
        assert_eq!(e.expr, "{1001}");
        assert!(e.help().contains("1000"));
        assert!(check("(?x)a").unwrap_err().help().contains("i, m, s and U"));
        let w = &check(r"\<").unwrap()[0];
        assert!(w.help().contains("word-start"));
    }

    // --- real-world Kubernetes patterns must stay accepted -----------------------------------

    /// (pattern, a value it matches, a value it does not match)
    const KUBERNETES_PATTERNS: &[(&str, &str, &str)] = &[
        // DNS-1123 label and subdomain, RFC 1035 label (apimachinery validation).
        (r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "my-app-1", "My_App"),
        (
            r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
            "widgets.example.com",
            "-bad.example.com",
        ),
        (r"^[a-z]([-a-z0-9]*[a-z0-9])?$", "svc-a", "1svc"),
        (r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", "a", "a-"),
        // Resource quantity.
        (
            r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
            "500Mi",
            "5 Gi",
        ),
        // metav1.Condition type and reason.
        (
            r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
            "example.com/Ready",
            "Ready!",
        ),
        (
            r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
            "MinimumReplicasAvailable",
            "1Bad",
        ),
        // Label values and qualified names.
        (r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", "v1.2_beta", "-x"),
        (
            r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$",
            "app.kubernetes.io",
            "app/",
        ),
        // Semantic versions.
        (
            r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
            "v1.30.2-rc.1+build.5",
            "1.02.3",
        ),
        (r"^(\^|~|>=?|<=?)?v?[0-9]+(\.[0-9]+){0,2}$", ">=1.2", "=>1"),
        // Email-ish, URL-ish.
        (
            r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$",
            "ops@example.com",
            "ops@localhost",
        ),
        (r"^https?://[^\s/$.?#].[^\s]*$", "https://example.com/x", "ftp://x"),
        // IPv4, CIDR, IPv6, MAC.
        (
            r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$",
            "192.168.0.1",
            "256.1.1.1",
        ),
        (
            r"^([0-9]{1,3}\.){3}[0-9]{1,3}(\/([0-9]|[1-2][0-9]|3[0-2]))$",
            "10.0.0.0/8",
            "10.0.0.0/33",
        ),
        (
            r"^([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}$",
            "2001:db8:0:0:0:0:2:1",
            "2001:db8::1",
        ),
        (
            r"^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$",
            "00:1A:2b:3C:4d:5E",
            "00:1A:2b",
        ),
        // Gateway API.
        (
            r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
            "*.example.com",
            "*example.com",
        ),
        (
            r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
            "",
            "A",
        ),
        (r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$", "HTTPRoute", "9Route"),
        (r"^([0-9]{1,5}(h|m|s|ms)){1,4}$", "1h30m", "1d"),
        (r"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$", "X-Request-Id", "bad header"),
        (
            r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$",
            "/api/v1%2Fx",
            "/a b",
        ),
        (r"^/[a-zA-Z0-9\-._~%!$&'()*+,;=:@/]*$", "/foo/bar", "foo"),
        // Durations (Prometheus operator, cert-manager, Flux).
        (
            r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
            "1d12h",
            "12x",
        ),
        (r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$", "1.5h30m", "1.5"),
        (
            r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
            "2024-05-01T12:00:00Z",
            "2024-05-01",
        ),
        // Cron schedules.
        (
            r"^(@(annually|yearly|monthly|weekly|daily|hourly))|((((\d+,)+\d+|(\d+(\/|-)\d+)|\d+|\*) ?){5,7})$",
            "*/5 * * * *",
            "every day",
        ),
        // Identifiers.
        (
            r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            "123e4567-e89b-12d3-a456-426614174000",
            "123e4567",
        ),
        (
            r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
            "aGVsbG8=",
            "aGVsbG8",
        ),
        (r"^#(?:[0-9a-fA-F]{3}){1,2}$", "#ff8800", "#ff88"),
        (r"^[-._a-zA-Z][-._a-zA-Z0-9]*$", "MY_VAR", "1VAR"),
        (r"^[-._a-zA-Z0-9]+$", "config.yaml", "a/b"),
        (r"^[a-zA-Z_][a-zA-Z0-9_.-]*$", "param_1", "1param"),
        (r"^[a-zA-Z0-9][-a-zA-Z0-9_.]{0,62}$", "build-42", "_build"),
        (
            r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$",
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:iam::1:role/x",
        ),
        (r"^[a-z]{2}(-gov)?-[a-z]+-\d$", "us-gov-west-1", "us-west"),
        (
            r"^([a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$",
            "registry.example.com:5000/team/app:v1.2",
            "Registry/App",
        ),
        (r"^(100|[1-9]?[0-9])%$", "25%", "101%"),
        (r"^[^\x00-\x1f]*$", "plain text", "tab\there"),
        (r"(?i)^(true|false|yes|no)$", "TRUE", "maybe"),
        (r"(?m)^key=.*$", "a=1\nkey=2", "a=1"),
        (
            r"(?s)^-----BEGIN [A-Z ]+-----\n.*\n-----END [A-Z ]+-----\n?$",
            "-----BEGIN CERTIFICATE-----\nMII\nAB\n-----END CERTIFICATE-----\n",
            "BEGIN",
        ),
        (r"^[\p{L}\p{N}_-]+$", "größe_1", "a b"),
        (r"^(?P<major>\d+)\.(?P<minor>\d+)$", "1.30", "1"),
        (r"^[a-z]+(?:_[a-z]+)*$", "snake_case", "camelCase"),
    ];

    #[test]
    fn kubernetes_patterns_stay_accepted() {
        assert!(KUBERNETES_PATTERNS.len() >= 40);
        for &(p, yes, no) in KUBERNETES_PATTERNS {
            let re = ok(p);
            assert!(re.is_match(yes), "{p:?} should match {yes:?}");
            assert!(!re.is_match(no), "{p:?} should not match {no:?}");
            // On ASCII text, Go's reading and Rust's agree for these patterns.
            let rust = Regex::new(p).unwrap();
            assert_eq!(rust.is_match(yes), re.is_match(yes), "{p:?}");
            assert_eq!(rust.is_match(no), re.is_match(no), "{p:?}");
        }
    }
}
