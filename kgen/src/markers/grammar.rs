//! The argument grammar of doc-comment markers, as controller-gen reads it.
//!
//! Values are strings (double-quoted with Go escapes, single-quoted, back-quoted raw, or bare),
//! numbers, booleans, lists (`{a,b}` or legacy `a;b`), maps (`{k: v}`) and "any" values whose
//! type is guessed from their first characters. Parsed values are plain JSON values, which is
//! what the schema emitter needs for `default`, `example` and `enum`.

use serde_json::{Map, Number, Value};

/// The key under which a JSON value holds `ref(Name)` (code-generator's `+default=ref(...)`) until
/// the model resolves it to a const's value. It cannot clash with a real default: it starts with NUL.
pub const DEFAULT_REF_KEY: &str = "\u{0}kgen:ref";

/// `ref(Name)` or `ref(path::Name)`: the name.
fn default_ref(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("ref(")?.strip_suffix(')')?.trim();
    let ok = !inner.is_empty()
        && inner.split("::").all(|seg| {
            let mut c = seg.chars();
            c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        });
    ok.then_some(inner)
}

/// The type an argument expects; drives how its text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// A string: quoted, raw or bare.
    String,
    /// A whole number.
    Int,
    /// Any number, integral or not.
    Number,
    /// `true` or `false`.
    Bool,
    /// A list of strings: `{a,b}` or `a;b`.
    StringList,
    /// Comma-separated words up to the end of the marker, as code-generator's `+genclient:onlyVerbs=a,b`.
    CommaList,
    /// A value whose type is guessed (controller-gen's "any"): default, example, enum items.
    Any,
    /// A list of "any" values: `{a,b}` or `a;b` (enum).
    AnyList,
    /// Strict JSON up to the end of the marker (`+default=`).
    Json,
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
}

impl ArgType {
    /// A short human name for error messages and help.
    pub fn describe(&self) -> String {
        match self {
            ArgType::String => "string".into(),
            ArgType::Int => "integer".into(),
            ArgType::Number => "number".into(),
            ArgType::Bool => "boolean (true or false)".into(),
            ArgType::StringList => "list of strings ({a,b} or a;b)".into(),
            ArgType::CommaList => "comma-separated list".into(),
            ArgType::Any => "value (string, number, bool, {list} or {key: value} map)".into(),
            ArgType::AnyList => "list of values ({a,b} or a;b)".into(),
            ArgType::Json => "JSON value".into(),
            ArgType::OneOf(words) => format!("one of {}", words.join(", ")),
        }
    }
}

/// A grammar error: what went wrong and the character offset in the argument text where it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrammarError {
    /// Character offset from the start of the text given to the scanner.
    pub offset: usize,
    /// What was expected and what was found.
    pub message: String,
}

/// Characters that end a bare word, by context.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// The whole rest of the marker belongs to one anonymous value.
    Whole,
    /// Inside `key=value,key=value`: a comma ends the value.
    Args,
    /// Inside a list: `,` `;` `}` end an item.
    List,
    /// A map key: `:` ends it.
    MapKey,
    /// A map value: `,` `}` end it.
    MapValue,
}

impl Context {
    fn ends(self, c: char) -> bool {
        match self {
            Context::Whole => false,
            Context::Args => c == ',',
            Context::List => matches!(c, ',' | ';' | '}'),
            Context::MapKey => matches!(c, ':' | ',' | '}'),
            Context::MapValue => matches!(c, ',' | '}'),
        }
    }
}

/// How deeply `{...}` lists and maps may nest in a marker value (serde_json's limit is 128).
pub const MAX_VALUE_DEPTH: usize = 64;

/// A cursor over the argument text of one marker.
pub struct Scanner<'a> {
    chars: Vec<char>,
    pos: usize,
    _text: &'a str,
    /// Lists and maps open at the cursor.
    depth: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Scanner {
            chars: text.chars().collect(),
            pos: 0,
            _text: text,
            depth: 0,
        }
    }

    /// Current character offset.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// True at the end of the text.
    pub fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    /// The next character, if any.
    pub fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// Skips spaces and tabs.
    pub fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    /// Consumes `c` if it comes next (after white space).
    pub fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, GrammarError> {
        Err(GrammarError {
            offset: self.pos,
            message: message.into(),
        })
    }

    /// Reads an argument name: letters, digits and `_`, up to `=`.
    pub fn ident(&mut self) -> Result<String, GrammarError> {
        self.skip_ws();
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            self.pos += 1;
        }
        if self.pos == start {
            return self.err(format!("expected an argument name, found {}", self.found()));
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    /// Describes the text at the cursor for an error message.
    pub fn found(&self) -> String {
        match self.peek() {
            None => "the end of the marker".into(),
            Some(_) => {
                let rest: String = self.chars[self.pos..].iter().take(20).collect();
                format!("`{rest}`")
            }
        }
    }

    /// Reads one value of type `ty` for a `key=value` argument (a comma ends bare values).
    pub fn arg_value(&mut self, ty: ArgType) -> Result<Value, GrammarError> {
        self.value(ty, Context::Args)
    }

    /// Reads a value of type `ty` that spans the rest of the marker (an anonymous marker value).
    pub fn whole_value(&mut self, ty: ArgType) -> Result<Value, GrammarError> {
        let v = self.value(ty, Context::Whole)?;
        self.skip_ws();
        if !self.at_end() {
            return self.err(format!("unexpected trailing text {}", self.found()));
        }
        Ok(v)
    }

    fn value(&mut self, ty: ArgType, ctx: Context) -> Result<Value, GrammarError> {
        self.skip_ws();
        match ty {
            ArgType::String => self.string(ctx).map(Value::String),
            ArgType::Int => {
                let start = self.pos;
                match self.number_token(ctx)? {
                    Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Value::Number(n)),
                    _ => {
                        self.pos = start;
                        self.err(format!("expected an integer, found {}", self.found()))
                    }
                }
            }
            ArgType::Number => {
                let start = self.pos;
                match self.number_token(ctx)? {
                    Some(v) => Ok(v),
                    None => {
                        self.pos = start;
                        self.err(format!("expected a number, found {}", self.found()))
                    }
                }
            }
            ArgType::Bool => {
                let start = self.pos;
                let word = self.bare(ctx);
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    _ => {
                        self.pos = start;
                        self.err(format!("expected true or false, found {}", self.found()))
                    }
                }
            }
            ArgType::OneOf(words) => {
                let start = self.pos;
                let word = self.string(ctx)?;
                if words.contains(&word.as_str()) {
                    Ok(Value::String(word))
                } else {
                    self.pos = start;
                    let hint = words
                        .iter()
                        .find(|w| w.eq_ignore_ascii_case(&word))
                        .map(|w| format!(" (did you mean `{w}`?)"))
                        .unwrap_or_default();
                    self.err(format!("expected one of {}, found `{word}`{hint}", words.join(", ")))
                }
            }
            ArgType::StringList => self.list(ArgType::String, ctx),
            ArgType::AnyList => self.list(ArgType::Any, ctx),
            ArgType::CommaList => {
                let start = self.pos;
                let rest: String = self.chars[self.pos..].iter().collect();
                self.pos = self.chars.len();
                let items: Vec<Value> = rest
                    .split(',')
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.into()))
                    .collect();
                if items.is_empty() {
                    self.pos = start;
                    return self.err("expected a comma-separated list, found nothing");
                }
                Ok(Value::Array(items))
            }
            ArgType::Any => self.any(ctx),
            ArgType::Json => {
                let start = self.pos;
                let rest: String = self.chars[self.pos..].iter().collect();
                if let Some(name) = default_ref(rest.trim()) {
                    self.pos = self.chars.len();
                    let mut m = Map::new();
                    m.insert(DEFAULT_REF_KEY.into(), Value::String(name.into()));
                    return Ok(Value::Object(m));
                }
                match serde_json::from_str::<Value>(rest.trim()) {
                    Ok(v) => {
                        self.pos = self.chars.len();
                        Ok(v)
                    }
                    Err(e) => {
                        self.pos = start;
                        self.err(format!("expected a JSON value ({e})"))
                    }
                }
            }
        }
    }

    /// Enters a list or map, refusing to nest deeper than [`MAX_VALUE_DEPTH`].
    fn enter(&mut self) -> Result<(), GrammarError> {
        if self.depth >= MAX_VALUE_DEPTH {
            return self.err(format!("values nested more than {MAX_VALUE_DEPTH} levels deep"));
        }
        self.depth += 1;
        Ok(())
    }

    /// A list: `{a, b}` or, outside braces, `a;b;c`.
    fn list(&mut self, item: ArgType, ctx: Context) -> Result<Value, GrammarError> {
        self.enter()?;
        let v = self.list_items(item, ctx);
        self.depth -= 1;
        v
    }

    fn list_items(&mut self, item: ArgType, ctx: Context) -> Result<Value, GrammarError> {
        let mut items = Vec::new();
        if self.eat('{') {
            self.skip_ws();
            if self.eat('}') {
                return Ok(Value::Array(items));
            }
            loop {
                items.push(self.value(item, Context::List)?);
                self.skip_ws();
                match self.bump() {
                    Some(',') => continue,
                    Some('}') => break,
                    _ => {
                        self.pos = self.pos.saturating_sub(1);
                        return self.err(format!("expected `,` or `}}` in a list, found {}", self.found()));
                    }
                }
            }
            return Ok(Value::Array(items));
        }
        // Legacy form: items separated by `;`, ended by the argument's delimiter.
        loop {
            items.push(self.value(item, Context::List)?);
            self.skip_ws();
            if self.peek() == Some(';') {
                self.pos += 1;
                continue;
            }
            break;
        }
        if ctx == Context::Whole && !self.at_end() {
            return self.err(format!("expected `;` between list items, found {}", self.found()));
        }
        Ok(Value::Array(items))
    }

    /// A string in any of the four spellings.
    fn string(&mut self, ctx: Context) -> Result<String, GrammarError> {
        self.skip_ws();
        match self.peek() {
            Some('"') => self.double_quoted(),
            Some('`') => self.delimited('`'),
            Some('\'') => self.delimited('\''),
            _ => {
                let s = self.bare(ctx);
                if s.is_empty() && ctx != Context::Whole {
                    return self.err(format!("expected a string, found {}", self.found()));
                }
                Ok(s)
            }
        }
    }

    /// A bare word: everything up to the context's delimiter, trimmed.
    fn bare(&mut self, ctx: Context) -> String {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if ctx.ends(c) {
                break;
            }
            self.pos += 1;
        }
        self.chars[start..self.pos]
            .iter()
            .collect::<String>()
            .trim()
            .to_string()
    }

    fn delimited(&mut self, quote: char) -> Result<String, GrammarError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.bump() {
                Some(c) if c == quote => return Ok(out),
                Some(c) => out.push(c),
                None => {
                    self.pos = start;
                    return self.err(format!("unterminated {quote}-quoted string"));
                }
            }
        }
    }

    /// A Go-style double-quoted string with escapes.
    fn double_quoted(&mut self) -> Result<String, GrammarError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.bump() {
                Some('"') => return Ok(out),
                Some('\\') => {
                    let c = match self.bump() {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('\\') => '\\',
                        Some('"') => '"',
                        Some('\'') => '\'',
                        Some('/') => '/',
                        Some('u') => {
                            let hex: String = (0..4).filter_map(|_| self.bump()).collect();
                            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                Some(c) => c,
                                None => return self.err(format!("invalid \\u escape `\\u{hex}`")),
                            }
                        }
                        other => {
                            self.pos -= 1;
                            return self.err(format!(
                                "unknown escape `\\{}` in a quoted string (use a back-quoted string for regular expressions)",
                                other.map(String::from).unwrap_or_default()
                            ));
                        }
                    };
                    out.push(c);
                }
                Some(c) => out.push(c),
                None => {
                    self.pos = start;
                    return self.err("unterminated double-quoted string");
                }
            }
        }
    }

    /// A number if the text at the cursor is one followed by a delimiter (or the end); else `None` and no move.
    fn number_token(&mut self, ctx: Context) -> Result<Option<Value>, GrammarError> {
        let start = self.pos;
        let mut end = self.pos;
        while let Some(&c) = self.chars.get(end) {
            if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
                end += 1;
            } else {
                break;
            }
        }
        let token: String = self.chars[start..end].iter().collect();
        // A number only counts when a delimiter (or the end) follows: `100Mi` stays a string.
        let mut after = end;
        while matches!(self.chars.get(after), Some(' ' | '\t')) {
            after += 1;
        }
        let delimited = match self.chars.get(after) {
            None => true,
            Some(&c) => ctx.ends(c) || (ctx == Context::List && c == '}'),
        };
        if token.is_empty() || !delimited {
            return Ok(None);
        }
        let value = if let Ok(i) = token.parse::<i64>() {
            Value::Number(i.into())
        } else if let Ok(u) = token.parse::<u64>() {
            Value::Number(u.into())
        } else if let Ok(f) = token.parse::<f64>() {
            match Number::from_f64(f) {
                Some(n) if f.is_finite() => Value::Number(n),
                _ => return Ok(None),
            }
        } else {
            return Ok(None);
        };
        self.pos = after;
        Ok(Some(value))
    }

    /// A value whose type is guessed from how it starts.
    fn any(&mut self, ctx: Context) -> Result<Value, GrammarError> {
        self.skip_ws();
        match self.peek() {
            Some('"' | '`' | '\'') => self.string(ctx).map(Value::String),
            Some('{') => {
                if self.looks_like_map() {
                    self.map()
                } else {
                    self.list(ArgType::Any, ctx)
                }
            }
            _ => {
                if let Some(n) = self.number_token(ctx)? {
                    return Ok(n);
                }
                let start = self.pos;
                let word = self.bare(ctx);
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "" => {
                        self.pos = start;
                        self.err(format!("expected a value, found {}", self.found()))
                    }
                    _ => Ok(Value::String(word)),
                }
            }
        }
    }

    /// After `{`: is the first element a key followed by `:`? (Looks ahead and comes back.)
    fn looks_like_map(&mut self) -> bool {
        let start = self.pos;
        self.pos += 1;
        let answer = self.key_follows();
        self.pos = start;
        answer
    }

    fn key_follows(&mut self) -> bool {
        self.skip_ws();
        // `{}` is an empty list here (the schema turns it into `{}` on objects); `{{...}, ...}` is
        // a list of maps: a key never starts with a brace.
        if matches!(self.peek(), Some('}' | '{')) {
            return false;
        }
        if self.string(Context::MapKey).is_err() {
            return false;
        }
        self.skip_ws();
        self.peek() == Some(':')
    }

    fn map(&mut self) -> Result<Value, GrammarError> {
        self.enter()?;
        let v = self.map_entries();
        self.depth -= 1;
        v
    }

    fn map_entries(&mut self) -> Result<Value, GrammarError> {
        let mut map = Map::new();
        self.eat('{');
        loop {
            let key = self.string(Context::MapKey)?;
            if !self.eat(':') {
                return self.err(format!("expected `:` after map key `{key}`, found {}", self.found()));
            }
            let value = self.any(Context::MapValue)?;
            map.insert(key, value);
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some('}') => break,
                _ => {
                    self.pos = self.pos.saturating_sub(1);
                    return self.err(format!("expected `,` or `}}` in a map, found {}", self.found()));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn whole(text: &str, ty: ArgType) -> Result<Value, GrammarError> {
        Scanner::new(text).whole_value(ty)
    }

    #[test]
    fn strings_in_every_spelling() {
        assert_eq!(whole(r#""a\"b\n""#, ArgType::String).unwrap(), json!("a\"b\n"));
        assert_eq!(whole(r"`^\d+$`", ArgType::String).unwrap(), json!(r"^\d+$"));
        assert_eq!(whole("'x y'", ArgType::String).unwrap(), json!("x y"));
        assert_eq!(whole("kgen.dev", ArgType::String).unwrap(), json!("kgen.dev"));
        assert!(
            whole(r#""\d""#, ArgType::String)
                .unwrap_err()
                .message
                .contains("unknown escape")
        );
        assert!(
            whole(r#""open"#, ArgType::String)
                .unwrap_err()
                .message
                .contains("unterminated")
        );
    }

    #[test]
    fn numbers_are_typed_and_checked() {
        assert_eq!(whole("-5", ArgType::Int).unwrap(), json!(-5));
        assert_eq!(whole("1.5", ArgType::Number).unwrap(), json!(1.5));
        assert!(whole("1.5", ArgType::Int).is_err());
        assert!(
            whole("ten", ArgType::Int)
                .unwrap_err()
                .message
                .contains("expected an integer")
        );
        assert!(whole("yes", ArgType::Bool).is_err());
    }

    #[test]
    fn lists_in_both_spellings() {
        assert_eq!(
            whole("{a,b, \"c d\"}", ArgType::StringList).unwrap(),
            json!(["a", "b", "c d"])
        );
        assert_eq!(whole("a;b;c", ArgType::StringList).unwrap(), json!(["a", "b", "c"]));
        assert_eq!(whole("1;2;x", ArgType::AnyList).unwrap(), json!([1, 2, "x"]));
        assert_eq!(whole("{}", ArgType::AnyList).unwrap(), json!([]));
    }

    #[test]
    fn any_values_guess_their_type() {
        assert_eq!(whole("100Mi", ArgType::Any).unwrap(), json!("100Mi"));
        assert_eq!(whole("2024-01-15", ArgType::Any).unwrap(), json!("2024-01-15"));
        assert_eq!(whole("3", ArgType::Any).unwrap(), json!(3));
        assert_eq!(whole("true", ArgType::Any).unwrap(), json!(true));
        assert_eq!(
            whole("{a: 1, b: {c: x}}", ArgType::Any).unwrap(),
            json!({"a": 1, "b": {"c": "x"}})
        );
        assert_eq!(whole("{1,2}", ArgType::Any).unwrap(), json!([1, 2]));
        assert_eq!(whole("{\"k\": \"v\"}", ArgType::Any).unwrap(), json!({"k": "v"}));
        // A list of maps with nested maps (controller-gen's golden `default` values).
        assert_eq!(
            whole("{{nested: {a: 1}}, {nested: {b: 2}}}", ArgType::Any).unwrap(),
            json!([{"nested": {"a": 1}}, {"nested": {"b": 2}}])
        );
        assert_eq!(whole("{}", ArgType::Any).unwrap(), json!([]));
    }

    #[test]
    fn args_stop_at_commas() {
        let mut s = Scanner::new("name=Age,type=date");
        assert_eq!(s.ident().unwrap(), "name");
        assert!(s.eat('='));
        assert_eq!(s.arg_value(ArgType::String).unwrap(), json!("Age"));
        assert!(s.eat(','));
    }

    #[test]
    fn json_and_word_sets() {
        assert_eq!(whole(r#"{"a": [1, 2]}"#, ArgType::Json).unwrap(), json!({"a": [1, 2]}));
        assert!(whole("{a: 1}", ArgType::Json).is_err());
        const W: &[&str] = &["atomic", "set", "map"];
        assert_eq!(whole("set", ArgType::OneOf(W)).unwrap(), json!("set"));
        assert!(
            whole("Set", ArgType::OneOf(W))
                .unwrap_err()
                .message
                .contains("did you mean `set`")
        );
        assert_eq!(whole("a, b", ArgType::CommaList).unwrap(), json!(["a", "b"]));
    }

    #[test]
    fn trailing_text_is_an_error() {
        assert!(whole("3 4", ArgType::Int).is_err());
    }
}
