//! A quick scan for nesting deep enough to exhaust the stack while syn parses a file.
//!
//! syn parses brackets, generic arguments, prefix operators (`&&&&x`, `- - -1`, `*const *const
//! T`), closures, `return`/`break` and assignments (`a = b = c`) recursively. This scan counts
//! them as one depth, roughly as syn nests them, without building anything and without recursion.
//! It skips comments, string and character literals. Real code stays far below [`MAX_NESTING`];
//! a file above it is refused with the position where the limit is crossed.

/// How deeply source may nest. syn, in a debug build, needs several KiB of stack a level: the
/// pipeline's thread (see [`super::STACK_SIZE`]) holds this many with room to spare.
pub const MAX_NESTING: usize = 256;

/// One open bracket (or the file itself) and what is pending inside it.
#[derive(Default)]
struct Frame {
    /// Generic argument lists opened and not closed (`Vec<Option<`).
    angles: usize,
    /// Prefix operators, closures and `return`s waiting for their operand.
    prefixes: usize,
    /// Assignments in the current expression (`a = b = c` nests to the right).
    assigns: usize,
}

impl Frame {
    fn pending(&self) -> usize {
        self.angles + self.prefixes + self.assigns
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Keywords after which an expression nests one level (`return return x`).
const NESTING_KEYWORDS: &[&[u8]] = &[b"return", b"break", b"yield", b"box", b"become"];

/// Words that are operands (end a run of prefixes); any other keyword leaves an operand to come.
const OPERAND_KEYWORDS: &[&[u8]] = &[b"self", b"Self", b"super", b"crate", b"true", b"false", b"continue"];

const KEYWORDS: &[&[u8]] = &[
    b"as", b"async", b"await", b"const", b"dyn", b"else", b"enum", b"extern", b"fn", b"for", b"if", b"impl", b"in",
    b"let", b"loop", b"match", b"mod", b"move", b"mut", b"pub", b"ref", b"static", b"struct", b"trait", b"type",
    b"unsafe", b"use", b"where", b"while",
];

/// The 1-based line and column (in characters) where `text` nests deeper than [`MAX_NESTING`].
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    too_deep_at(text, MAX_NESTING).map(|offset| position(text, offset))
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}

/// The byte offset where the nesting first exceeds `max`.
fn too_deep_at(text: &str, max: usize) -> Option<usize> {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut frames: Vec<Frame> = vec![Frame::default()];
    // Brackets open plus everything pending in every frame.
    let mut depth = 0usize;
    // True where an operand (or a type) is expected: a `&` there is a prefix, not a binary and.
    let mut expect_operand = true;
    let mut i = 0;
    macro_rules! deeper {
        ($field:ident) => {{
            if let Some(f) = frames.last_mut() {
                f.$field += 1;
            }
            depth += 1;
            if depth > max {
                return Some(i);
            }
        }};
    }
    // An operand ends every prefix waiting in the current frame.
    macro_rules! operand {
        () => {{
            if let Some(f) = frames.last_mut() {
                depth -= f.prefixes;
                f.prefixes = 0;
            }
            expect_operand = false;
        }};
    }
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'/' if at(i + 1) == b'/' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if at(i + 1) == b'*' => {
                let mut open = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && at(i + 1) == b'*' {
                        open += 1;
                        i += 2;
                    } else if b[i] == b'*' && at(i + 1) == b'/' {
                        open -= 1;
                        i += 2;
                        if open == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i = skip_string(b, i + 1);
                operand!();
            }
            b'\'' => {
                if at(i + 1) == b'\\' {
                    // An escaped character literal: `'\n'`, `'\''`, `'\u{1F600}'`.
                    i += 3;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                    operand!();
                } else {
                    let len = utf8_len(at(i + 1));
                    if at(i + 1 + len) == b'\'' {
                        i += 2 + len;
                        operand!();
                    } else {
                        // A lifetime or label: changes nothing.
                        i += 1;
                        while i < b.len() && is_ident_byte(b[i]) {
                            i += 1;
                        }
                    }
                }
            }
            b'0'..=b'9' => {
                while i < b.len() && (is_ident_byte(b[i]) || (b[i] == b'.' && at(i + 1).is_ascii_digit())) {
                    i += 1;
                }
                operand!();
            }
            c if is_ident_byte(c) => {
                // Raw strings (`r"…"`, `br#"…"#`, `cr"…"`), byte strings and byte characters.
                let mut j = i;
                if matches!(c, b'b' | b'c') && matches!(at(i + 1), b'r' | b'"' | b'\'') {
                    j += 1;
                }
                if at(j) == b'r' && matches!(at(j + 1), b'"' | b'#') && (j > i || c == b'r') {
                    let mut hashes = 0;
                    let mut k = j + 1;
                    while at(k) == b'#' {
                        hashes += 1;
                        k += 1;
                    }
                    if at(k) == b'"' {
                        i = skip_raw_string(b, k + 1, hashes);
                        operand!();
                        continue;
                    }
                    if hashes == 1 && is_ident_byte(at(k)) {
                        // A raw identifier: `r#type`.
                        i = k;
                        while i < b.len() && is_ident_byte(b[i]) {
                            i += 1;
                        }
                        operand!();
                        continue;
                    }
                } else if j > i && at(j) == b'"' {
                    i = skip_string(b, j + 1);
                    operand!();
                    continue;
                } else if j > i && at(j) == b'\'' {
                    i = j;
                    continue; // the character literal is read as one
                }
                let start = i;
                while i < b.len() && is_ident_byte(b[i]) {
                    i += 1;
                }
                let word = &b[start..i];
                if NESTING_KEYWORDS.contains(&word) {
                    let at_word = i;
                    i = start;
                    deeper!(prefixes);
                    i = at_word;
                    expect_operand = true;
                } else if OPERAND_KEYWORDS.contains(&word) || !KEYWORDS.contains(&word) {
                    operand!();
                } else {
                    expect_operand = true;
                }
            }
            b'(' | b'[' | b'{' => {
                frames.push(Frame::default());
                depth += 1;
                if depth > max {
                    return Some(i);
                }
                i += 1;
                expect_operand = true;
            }
            b')' | b']' | b'}' => {
                if frames.len() > 1
                    && let Some(f) = frames.pop()
                {
                    depth -= 1 + f.pending();
                }
                i += 1;
                operand!();
            }
            b';' => {
                if let Some(f) = frames.last_mut() {
                    depth -= f.pending();
                    *f = Frame::default();
                }
                i += 1;
                expect_operand = true;
            }
            b',' => {
                if let Some(f) = frames.last_mut() {
                    depth -= f.assigns + f.prefixes;
                    f.assigns = 0;
                    f.prefixes = 0;
                }
                i += 1;
                expect_operand = true;
            }
            b'-' | b'=' if at(i + 1) == b'>' => {
                // `->` and `=>`.
                i += 2;
                expect_operand = true;
            }
            b'<' if at(i + 1) == b'=' => {
                i += 2;
                expect_operand = true;
            }
            b'<' => {
                // A generic argument list follows a name or `::` without a space (`Vec<`, `::<`),
                // or starts a qualified path (`<T as Trait>::X`); otherwise a comparison or shift.
                let before = if i > 0 { b[i - 1] } else { b' ' };
                if expect_operand || is_ident_byte(before) || before == b':' || before == b'>' {
                    deeper!(angles);
                } else if at(i + 1) == b'<' {
                    i += 1;
                }
                i += 1;
                expect_operand = true;
            }
            b'>' => {
                let open = frames.last().map_or(0, |f| f.angles);
                if open > 0 {
                    if let Some(f) = frames.last_mut() {
                        f.angles -= 1;
                    }
                    depth -= 1;
                    i += 1;
                    expect_operand = false;
                } else {
                    i += if at(i + 1) == b'=' { 2 } else { 1 };
                    expect_operand = true;
                }
            }
            b'=' if at(i + 1) == b'=' => {
                i += 2;
                expect_operand = true;
            }
            b'=' => {
                deeper!(assigns);
                i += 1;
                expect_operand = true;
            }
            b'!' if at(i + 1) == b'=' => {
                i += 2;
                expect_operand = true;
            }
            b'&' | b'|' if !expect_operand => {
                // Binary `&`, `&&`, `|`, `||`.
                i += if at(i + 1) == c { 2 } else { 1 };
                expect_operand = true;
            }
            b'&' | b'*' | b'!' | b'-' if expect_operand => {
                deeper!(prefixes);
                i += 1;
            }
            b'|' if expect_operand => {
                // A closure: `||` or `|params|`; its body nests one level.
                deeper!(prefixes);
                if at(i + 1) == b'|' {
                    i += 2;
                } else {
                    i = skip_closure_params(b, i + 1);
                }
            }
            b'.' if at(i + 1) == b'.' => {
                i += 2;
                while matches!(at(i), b'.' | b'=') {
                    i += 1;
                }
                expect_operand = true;
            }
            b'?' => {
                i += 1;
                expect_operand = false;
            }
            _ => {
                // Binary operators, `.`, `:`, `#`, `$`, `@`, `~` and anything else: an operand
                // (or a name, a type) comes next.
                i += 1;
                expect_operand = true;
            }
        }
    }
    None
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// The offset after the `"` that ends a string whose text starts at `i`.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The offset after `"` plus `hashes` `#`s, for a raw string whose text starts at `i`.
fn skip_raw_string(b: &[u8], mut i: usize, hashes: usize) -> usize {
    while i < b.len() {
        if b[i] == b'"' && b.len() - i > hashes && b[i + 1..=i + hashes].iter().all(|c| *c == b'#') {
            return i + 1 + hashes;
        }
        i += 1;
    }
    b.len()
}

/// The offset after the `|` that closes a closure's parameters starting at `i` (a `|` inside
/// brackets belongs to an or-pattern).
fn skip_closure_params(b: &[u8], mut i: usize) -> usize {
    let mut open = 0usize;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => open += 1,
            b')' | b']' | b'}' => {
                if open == 0 {
                    return i; // not a closure after all; let the bracket close its frame
                }
                open -= 1;
            }
            b'|' if open == 0 => return i + 1,
            b'"' => {
                i = skip_string(b, i + 1);
                continue;
            }
            b';' => return i,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, max: usize) -> bool {
        too_deep_at(text, max).is_none()
    }

    #[test]
    fn deep_types_are_found_where_the_limit_is_crossed() {
        let deep = format!("struct A {{ x: {}String{} }}", "Option<".repeat(300), ">".repeat(300));
        let offset = too_deep_at(&deep, MAX_NESTING).expect("too deep");
        // `{` is one level, then 255 `Option<` fit: the 256th `<` crosses.
        assert_eq!(offset, "struct A { x: ".len() + 255 * "Option<".len() + "Option".len());
        assert_eq!(too_deep(&deep), Some((1, offset + 1)));
        let map = format!("type A = {}String{};", "BTreeMap<String, ".repeat(300), ">".repeat(300));
        assert!(!depth_ok(&map, MAX_NESTING));
        for deep in [
            format!("const A: i32 = {}1{};", "(".repeat(300), ")".repeat(300)),
            format!("const A: &&i32 = {}1;", "&".repeat(300)),
            format!("const A: i32 = {}1;", "- ".repeat(300)),
            format!("type A = {}u8;", "*const ".repeat(300)),
            format!("fn f() {{ {}1 }}", "return ".repeat(300)),
            format!("fn f() {{ let f = {}1; }}", "|a| ".repeat(300)),
            format!("fn f() {{ {}1; }}", "a = ".repeat(300)),
            format!("fn f() {{ {}1; }}", "&(".repeat(200)),
        ] {
            assert!(!depth_ok(&deep, MAX_NESTING), "{}", &deep[..60]);
        }
    }

    #[test]
    fn ordinary_code_is_shallow() {
        let src = r####"
            //! Docs with < and ( and "quotes
            use std::collections::BTreeMap;
            /* block /* nested < */ ( */
            pub struct A<'a, T: Clone + 'a> where T: Into<Vec<u8>> {
                pub m: BTreeMap<String, Vec<Option<&'a T>>>,
                pub s: &'static str,
                r#type: Option<String>,
            }
            const C: char = '(';
            const D: char = '\'';
            const E: &str = r#"((((<<<<"#;
            const F: &[u8] = br"(((";
            fn f(x: i32) -> Vec<u8> {
                let a = if x < 3 && x > -1 { !true } else { false };
                let v: Vec<_> = (0..10).map(|i| i * 2).filter(|i| *i > 3).collect::<Vec<_>>();
                let w = x << 2 >> 1;
                match x { n if n <= 1 => {}, _ => {} }
                'outer: loop { break 'outer; }
                v
            }
        "####;
        assert!(depth_ok(src, 12), "{:?}", too_deep_at(src, 12).map(|o| &src[o..]));
        // Many statements and arms with comparisons do not add up.
        let arms: String = (0..1000).map(|i| format!("n if n < {i} => {i},\n")).collect();
        let many = format!("fn f(n: u32) -> u32 {{ match n {{ {arms} _ => 0 }} }}");
        assert!(depth_ok(&many, 16));
        let statements: String = (0..1000).map(|i| format!("let a{i} = &&x < -y;\n")).collect();
        assert!(depth_ok(&format!("fn f() {{ {statements} }}"), 16));
        let refs: String = (0..1000).map(|i| format!("&a{i}, ")).collect();
        assert!(depth_ok(&format!("const A: &[&u8] = &[{refs}];"), 16));
    }
}
