//! The functions a CRD rule may call: CEL's standard library and the libraries the API server
//! enables, each with the Kubernetes version from which new CRD rules may use it (one minor after
//! it was introduced, since the API server compiles new rules for its own version minus one).

use super::types::{Ty, pattern};
use std::sync::OnceLock;

/// One overload.
#[derive(Debug)]
pub struct Overload {
    /// The function name (`size`, `_+_`, `sets.contains`).
    pub name: &'static str,
    /// A receiver-style call (`s.size()`), whose first parameter is the receiver.
    pub member: bool,
    /// Parameter types (the receiver first for member calls).
    pub params: Vec<Ty>,
    /// The result type.
    pub result: Ty,
    /// The first Kubernetes minor whose API server accepts it in a new CRD rule.
    pub since: u32,
    /// cel-go's overload id where the cost estimator needs it (`add_string`, `matches_string`, ...).
    pub id: &'static str,
}

/// `(name, member, "param, param -> result", since, cost id)`.
type Row = (&'static str, bool, &'static str, u32, &'static str);

const ALL: u32 = 0;
const OPTIONALS: u32 = 29;
const QUANTITY: u32 = 29;
const CROSS_NUMERIC: u32 = 29;
const STRINGS_V2: u32 = 30;
const SETS: u32 = 30;
const IP_CIDR: u32 = 31;
const FORMAT: u32 = 32;
const SEMVER: u32 = 34;

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // Logic and conditionals.
    ("_&&_", false, "bool, bool -> bool", ALL, "logical_and"),
    ("_||_", false, "bool, bool -> bool", ALL, "logical_or"),
    ("!_", false, "bool -> bool", ALL, ""),
    ("@not_strictly_false", false, "bool -> bool", ALL, ""),
    ("_?_:_", false, "bool, A, A -> A", ALL, "conditional"),
    // Equality and ordering.
    ("_==_", false, "A, A -> bool", ALL, "equals"),
    ("_!=_", false, "A, A -> bool", ALL, "not_equals"),
    ("_<_", false, "int, int -> bool", ALL, ""), ("_<_", false, "uint, uint -> bool", ALL, ""),
    ("_<_", false, "double, double -> bool", ALL, ""), ("_<_", false, "string, string -> bool", ALL, "less_string"),
    ("_<_", false, "bytes, bytes -> bool", ALL, "less_bytes"), ("_<_", false, "bool, bool -> bool", ALL, ""),
    ("_<_", false, "timestamp, timestamp -> bool", ALL, ""), ("_<_", false, "duration, duration -> bool", ALL, ""),
    ("_<_", false, "int, double -> bool", CROSS_NUMERIC, ""), ("_<_", false, "double, int -> bool", CROSS_NUMERIC, ""),
    ("_<_", false, "int, uint -> bool", CROSS_NUMERIC, ""), ("_<_", false, "uint, int -> bool", CROSS_NUMERIC, ""),
    ("_<_", false, "uint, double -> bool", CROSS_NUMERIC, ""), ("_<_", false, "double, uint -> bool", CROSS_NUMERIC, ""),
    // Arithmetic.
    ("_+_", false, "int, int -> int", ALL, ""), ("_+_", false, "uint, uint -> uint", ALL, ""),
    ("_+_", false, "double, double -> double", ALL, ""), ("_+_", false, "string, string -> string", ALL, "add_string"),
    ("_+_", false, "bytes, bytes -> bytes", ALL, "add_bytes"), ("_+_", false, "list(A), list(A) -> list(A)", ALL, "add_list"),
    ("_+_", false, "timestamp, duration -> timestamp", ALL, ""), ("_+_", false, "duration, timestamp -> timestamp", ALL, ""),
    ("_+_", false, "duration, duration -> duration", ALL, ""),
    ("_-_", false, "int, int -> int", ALL, ""), ("_-_", false, "uint, uint -> uint", ALL, ""),
    ("_-_", false, "double, double -> double", ALL, ""), ("_-_", false, "timestamp, timestamp -> duration", ALL, ""),
    ("_-_", false, "timestamp, duration -> timestamp", ALL, ""), ("_-_", false, "duration, duration -> duration", ALL, ""),
    ("_*_", false, "int, int -> int", ALL, ""), ("_*_", false, "uint, uint -> uint", ALL, ""),
    ("_*_", false, "double, double -> double", ALL, ""),
    ("_/_", false, "int, int -> int", ALL, ""), ("_/_", false, "uint, uint -> uint", ALL, ""),
    ("_/_", false, "double, double -> double", ALL, ""),
    ("_%_", false, "int, int -> int", ALL, ""), ("_%_", false, "uint, uint -> uint", ALL, ""),
    ("-_", false, "int -> int", ALL, ""), ("-_", false, "double -> double", ALL, ""),
    // Containers.
    ("_[_]", false, "list(A), int -> A", ALL, "index_list"), ("_[_]", false, "map(K, V), K -> V", ALL, "index_map"),
    ("_[?_]", false, "list(A), int -> optional(A)", OPTIONALS, "index_list"),
    ("_[?_]", false, "map(K, V), K -> optional(V)", OPTIONALS, "index_map"),
    ("@in", false, "A, list(A) -> bool", ALL, "in_list"), ("@in", false, "K, map(K, V) -> bool", ALL, ""),
    ("size", false, "string -> int", ALL, ""), ("size", false, "bytes -> int", ALL, ""),
    ("size", false, "list(A) -> int", ALL, ""), ("size", false, "map(K, V) -> int", ALL, ""),
    ("size", true, "string -> int", ALL, ""), ("size", true, "bytes -> int", ALL, ""),
    ("size", true, "list(A) -> int", ALL, ""), ("size", true, "map(K, V) -> int", ALL, ""),
    // Conversions.
    ("int", false, "int -> int", ALL, ""), ("int", false, "uint -> int", ALL, ""), ("int", false, "double -> int", ALL, ""),
    ("int", false, "string -> int", ALL, ""), ("int", false, "timestamp -> int", ALL, ""),
    ("uint", false, "uint -> uint", ALL, ""), ("uint", false, "int -> uint", ALL, ""),
    ("uint", false, "double -> uint", ALL, ""), ("uint", false, "string -> uint", ALL, ""),
    ("double", false, "double -> double", ALL, ""), ("double", false, "int -> double", ALL, ""),
    ("double", false, "uint -> double", ALL, ""), ("double", false, "string -> double", ALL, ""),
    ("string", false, "string -> string", ALL, ""), ("string", false, "int -> string", ALL, ""),
    ("string", false, "uint -> string", ALL, ""), ("string", false, "double -> string", ALL, ""),
    ("string", false, "bool -> string", ALL, ""), ("string", false, "bytes -> string", ALL, "bytes_to_string"),
    ("string", false, "timestamp -> string", ALL, ""), ("string", false, "duration -> string", ALL, ""),
    ("bytes", false, "bytes -> bytes", ALL, ""), ("bytes", false, "string -> bytes", ALL, "string_to_bytes"),
    ("bool", false, "bool -> bool", ALL, ""), ("bool", false, "string -> bool", ALL, ""),
    ("dyn", false, "A -> dyn", ALL, ""), ("type", false, "A -> type(A)", ALL, ""),
    ("duration", false, "string -> duration", ALL, ""), ("duration", false, "duration -> duration", ALL, ""),
    ("timestamp", false, "string -> timestamp", ALL, ""), ("timestamp", false, "timestamp -> timestamp", ALL, ""),
    ("timestamp", false, "int -> timestamp", ALL, ""),
    // Strings (standard).
    ("contains", true, "string, string -> bool", ALL, "contains_string"),
    ("startsWith", true, "string, string -> bool", ALL, "starts_with_string"),
    ("endsWith", true, "string, string -> bool", ALL, "ends_with_string"),
    ("matches", true, "string, string -> bool", ALL, "matches_string"),
    ("matches", false, "string, string -> bool", ALL, "matches_string"),
    // Time.
    ("getFullYear", true, "timestamp -> int", ALL, ""), ("getFullYear", true, "timestamp, string -> int", ALL, ""),
    ("getMonth", true, "timestamp -> int", ALL, ""), ("getMonth", true, "timestamp, string -> int", ALL, ""),
    ("getDayOfYear", true, "timestamp -> int", ALL, ""), ("getDayOfYear", true, "timestamp, string -> int", ALL, ""),
    ("getDayOfMonth", true, "timestamp -> int", ALL, ""), ("getDayOfMonth", true, "timestamp, string -> int", ALL, ""),
    ("getDate", true, "timestamp -> int", ALL, ""), ("getDate", true, "timestamp, string -> int", ALL, ""),
    ("getDayOfWeek", true, "timestamp -> int", ALL, ""), ("getDayOfWeek", true, "timestamp, string -> int", ALL, ""),
    ("getHours", true, "timestamp -> int", ALL, ""), ("getHours", true, "timestamp, string -> int", ALL, ""),
    ("getMinutes", true, "timestamp -> int", ALL, ""), ("getMinutes", true, "timestamp, string -> int", ALL, ""),
    ("getSeconds", true, "timestamp -> int", ALL, ""), ("getSeconds", true, "timestamp, string -> int", ALL, ""),
    ("getMilliseconds", true, "timestamp -> int", ALL, ""), ("getMilliseconds", true, "timestamp, string -> int", ALL, ""),
    ("getHours", true, "duration -> int", ALL, ""), ("getMinutes", true, "duration -> int", ALL, ""),
    ("getSeconds", true, "duration -> int", ALL, ""), ("getMilliseconds", true, "duration -> int", ALL, ""),
    // cel-go extended strings (version 0 from the start, version 2 from 1.29).
    ("charAt", true, "string, int -> string", ALL, ""),
    ("indexOf", true, "string, string -> int", ALL, ""), ("indexOf", true, "string, string, int -> int", ALL, ""),
    ("lastIndexOf", true, "string, string -> int", ALL, ""), ("lastIndexOf", true, "string, string, int -> int", ALL, ""),
    ("lowerAscii", true, "string -> string", ALL, ""), ("upperAscii", true, "string -> string", ALL, ""),
    ("replace", true, "string, string, string -> string", ALL, ""),
    ("replace", true, "string, string, string, int -> string", ALL, ""),
    ("split", true, "string, string -> list(string)", ALL, ""), ("split", true, "string, string, int -> list(string)", ALL, ""),
    ("substring", true, "string, int -> string", ALL, ""), ("substring", true, "string, int, int -> string", ALL, ""),
    ("trim", true, "string -> string", ALL, ""),
    ("join", true, "list(string) -> string", ALL, ""), ("join", true, "list(string), string -> string", ALL, ""),
    ("format", true, "string, list(dyn) -> string", STRINGS_V2, "string_format"),
    ("strings.quote", false, "string -> string", STRINGS_V2, "strings_quote"),
    // Kubernetes lists.
    ("isSorted", true, "list(A) -> bool", ALL, ""), ("sum", true, "list(A) -> A", ALL, ""),
    ("min", true, "list(A) -> A", ALL, ""), ("max", true, "list(A) -> A", ALL, ""),
    ("indexOf", true, "list(A), A -> int", ALL, ""), ("lastIndexOf", true, "list(A), A -> int", ALL, ""),
    // Kubernetes regex.
    ("find", true, "string, string -> string", ALL, ""),
    ("findAll", true, "string, string -> list(string)", ALL, ""),
    ("findAll", true, "string, string, int -> list(string)", ALL, ""),
    // Kubernetes URLs.
    ("url", false, "string -> URL", ALL, ""), ("isURL", false, "string -> bool", ALL, ""),
    ("getScheme", true, "URL -> string", ALL, ""), ("getHost", true, "URL -> string", ALL, ""),
    ("getHostname", true, "URL -> string", ALL, ""), ("getPort", true, "URL -> string", ALL, ""),
    ("getEscapedPath", true, "URL -> string", ALL, ""), ("getQuery", true, "URL -> map(string, list(string))", ALL, ""),
    // Optionals.
    ("optional.of", false, "A -> optional(A)", OPTIONALS, ""),
    ("optional.ofNonZeroValue", false, "A -> optional(A)", OPTIONALS, ""),
    ("optional.none", false, " -> optional(dyn)", OPTIONALS, ""),
    ("hasValue", true, "optional(A) -> bool", OPTIONALS, ""), ("value", true, "optional(A) -> A", OPTIONALS, ""),
    ("orValue", true, "optional(A), A -> A", OPTIONALS, ""),
    ("or", true, "optional(A), optional(A) -> optional(A)", OPTIONALS, ""),
    // Kubernetes quantities.
    ("quantity", false, "string -> Quantity", QUANTITY, ""), ("isQuantity", false, "string -> bool", QUANTITY, ""),
    ("sign", true, "Quantity -> int", QUANTITY, ""), ("isInteger", true, "Quantity -> bool", QUANTITY, ""),
    ("asInteger", true, "Quantity -> int", QUANTITY, ""), ("asApproximateFloat", true, "Quantity -> double", QUANTITY, ""),
    ("add", true, "Quantity, Quantity -> Quantity", QUANTITY, ""), ("add", true, "Quantity, int -> Quantity", QUANTITY, ""),
    ("sub", true, "Quantity, Quantity -> Quantity", QUANTITY, ""), ("sub", true, "Quantity, int -> Quantity", QUANTITY, ""),
    ("isGreaterThan", true, "Quantity, Quantity -> bool", QUANTITY, ""),
    ("isLessThan", true, "Quantity, Quantity -> bool", QUANTITY, ""),
    ("compareTo", true, "Quantity, Quantity -> int", QUANTITY, ""),
    // cel-go sets.
    ("sets.contains", false, "list(A), list(A) -> bool", SETS, ""),
    ("sets.equivalent", false, "list(A), list(A) -> bool", SETS, ""),
    ("sets.intersects", false, "list(A), list(A) -> bool", SETS, ""),
    // Kubernetes IP and CIDR.
    ("ip", false, "string -> IP", IP_CIDR, ""), ("isIP", false, "string -> bool", IP_CIDR, ""),
    ("ip.isCanonical", false, "string -> bool", IP_CIDR, ""),
    ("family", true, "IP -> int", IP_CIDR, ""), ("isUnspecified", true, "IP -> bool", IP_CIDR, ""),
    ("isLoopback", true, "IP -> bool", IP_CIDR, ""), ("isLinkLocalMulticast", true, "IP -> bool", IP_CIDR, ""),
    ("isLinkLocalUnicast", true, "IP -> bool", IP_CIDR, ""), ("isGlobalUnicast", true, "IP -> bool", IP_CIDR, ""),
    ("string", false, "IP -> string", IP_CIDR, ""), ("string", false, "CIDR -> string", IP_CIDR, ""),
    ("cidr", false, "string -> CIDR", IP_CIDR, ""), ("isCIDR", false, "string -> bool", IP_CIDR, ""),
    ("containsIP", true, "CIDR, IP -> bool", IP_CIDR, "cidr_contains_ip_ip"),
    ("containsIP", true, "CIDR, string -> bool", IP_CIDR, "cidr_contains_ip_string"),
    ("containsCIDR", true, "CIDR, CIDR -> bool", IP_CIDR, "cidr_contains_cidr"),
    ("containsCIDR", true, "CIDR, string -> bool", IP_CIDR, "cidr_contains_cidr_string"),
    ("ip", true, "CIDR -> IP", IP_CIDR, "cidr_ip"), ("masked", true, "CIDR -> CIDR", IP_CIDR, ""),
    ("prefixLength", true, "CIDR -> int", IP_CIDR, ""),
    // Kubernetes named formats.
    ("format.named", false, "string -> optional(Format)", FORMAT, ""),
    ("format.dns1123Label", false, " -> Format", FORMAT, ""), ("format.dns1123Subdomain", false, " -> Format", FORMAT, ""),
    ("format.dns1035Label", false, " -> Format", FORMAT, ""), ("format.qualifiedName", false, " -> Format", FORMAT, ""),
    ("format.dns1123LabelPrefix", false, " -> Format", FORMAT, ""),
    ("format.dns1123SubdomainPrefix", false, " -> Format", FORMAT, ""),
    ("format.dns1035LabelPrefix", false, " -> Format", FORMAT, ""), ("format.labelValue", false, " -> Format", FORMAT, ""),
    ("format.uri", false, " -> Format", FORMAT, ""), ("format.uuid", false, " -> Format", FORMAT, ""),
    ("format.byte", false, " -> Format", FORMAT, ""), ("format.date", false, " -> Format", FORMAT, ""),
    ("format.datetime", false, " -> Format", FORMAT, ""),
    ("validate", true, "Format, string -> optional(list(string))", FORMAT, ""),
    // Kubernetes semantic versions.
    ("semver", false, "string -> Semver", SEMVER, ""), ("semver", false, "string, bool -> Semver", SEMVER, ""),
    ("isSemver", false, "string -> bool", SEMVER, ""), ("isSemver", false, "string, bool -> bool", SEMVER, ""),
    ("major", true, "Semver -> int", SEMVER, ""), ("minor", true, "Semver -> int", SEMVER, ""),
    ("patch", true, "Semver -> int", SEMVER, ""),
    ("isGreaterThan", true, "Semver, Semver -> bool", SEMVER, ""), ("isLessThan", true, "Semver, Semver -> bool", SEMVER, ""),
    ("compareTo", true, "Semver, Semver -> int", SEMVER, ""),
];

/// Every overload (the ordering operators `_<=_`, `_>_` and `_>=_` share `_<_`'s signatures).
pub fn overloads() -> &'static [Overload] {
    static TABLE: OnceLock<Vec<Overload>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut out = Vec::new();
        for &(name, member, sig, since, id) in ROWS {
            let (params, result) = sig.split_once("->").expect("rows have ->");
            let params: Vec<Ty> = split_params(params).into_iter().map(pattern).collect();
            let names: &[&'static str] = if name == "_<_" {
                &["_<_", "_<=_", "_>_", "_>=_"]
            } else {
                &[name]
            };
            for &n in names {
                out.push(Overload {
                    name: n,
                    member,
                    params: params.clone(),
                    result: pattern(result),
                    since,
                    id: if n == "_<_" || name != "_<_" {
                        id
                    } else {
                        ordering_id(n, id)
                    },
                });
            }
        }
        out
    })
}

/// `a, map(K, V), b` → its three parameters.
fn split_params(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text[start..].trim());
    out.retain(|p| !p.is_empty());
    out
}

fn ordering_id(name: &str, less_id: &'static str) -> &'static str {
    match (name, less_id) {
        (_, "") => "",
        ("_<=_", "less_string") => "less_equals_string",
        ("_>_", "less_string") => "greater_string",
        ("_>=_", "less_string") => "greater_equals_string",
        ("_<=_", _) => "less_equals_bytes",
        ("_>_", _) => "greater_bytes",
        _ => "greater_equals_bytes",
    }
}

/// True when `name` is a function of the library (any version), for "undeclared" messages.
pub fn is_function(name: &str) -> bool {
    overloads().iter().any(|o| o.name == name)
}

/// The first minor from which a function name is usable in new rules, if it exists at all.
pub fn first_minor(name: &str) -> Option<u32> {
    overloads().iter().filter(|o| o.name == name).map(|o| o.since).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses() {
        let t = overloads();
        assert!(t.len() > 200);
        assert!(t.iter().any(|o| o.name == "_>=_" && o.id == "greater_equals_string"));
        assert_eq!(first_minor("semver"), Some(34));
        assert_eq!(first_minor("ip"), Some(31));
        assert!(is_function("sets.contains"));
    }
}
