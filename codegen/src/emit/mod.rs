//! The type model as Rust tokens (quote), one module per service and entity, formatted with prettyplease.

mod file;

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::model::{Def, Field, Ty, TypeDef, TypeId};
use crate::names::{is_keyword, is_reserved, snake};
use crate::{DateTimeCrate, Options};

pub(crate) use file::{format, render, with_helpers};

/// One routing key's generated items.
#[derive(Debug, Clone)]
pub(crate) struct SubjectGen {
    pub key: String,
    pub module: Vec<String>,
    /// `UserCreated`: the version enum's name.
    pub base: String,
    pub versions: Vec<(u32, TypeId, Option<u64>)>,
    pub exchange: String,
}

/// The topology constants.
#[derive(Debug, Clone, Default)]
pub(crate) struct Topology {
    pub queues: Vec<QueueGen>,
}

/// One queue: its dead-letter queue, (exchange, pattern) bindings, and consuming services.
#[derive(Debug, Clone)]
pub(crate) struct QueueGen {
    pub name: String,
    pub dead_letter: Option<String>,
    pub bindings: Vec<(String, String)>,
    pub consumers: Vec<String>,
}

/// What every generated struct and union derives.
const DATA_DERIVES: &[&str] = &[
    "Debug",
    "Clone",
    "PartialEq",
    "serde::Serialize",
    "serde::Deserialize",
];

pub(crate) fn ident(name: &str) -> Ident {
    if is_reserved(name) {
        format_ident!("{}_", name)
    } else if is_keyword(name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

pub(crate) struct Emitter<'a> {
    pub types: &'a [TypeDef],
    pub opts: &'a Options,
}

impl Emitter<'_> {
    /// The path to type `id` as seen from `from`.
    fn path(&self, from: &[String], id: TypeId) -> TokenStream {
        let t = &self.types[id];
        // Up to the common ancestor module, then down.
        let common = from
            .iter()
            .zip(&t.module)
            .take_while(|(a, b)| a == b)
            .count();
        let mut segs: Vec<TokenStream> = from[common..].iter().map(|_| quote!(super)).collect();
        segs.extend(t.module[common..].iter().map(|m| {
            let m = ident(m);
            quote!(#m)
        }));
        let name = ident(&t.name);
        segs.push(quote!(#name));
        quote!(#(#segs)::*)
    }

    pub fn root_path(from: &[String], item: &str) -> TokenStream {
        let supers = from.iter().map(|_| quote!(super));
        let item = ident(item);
        quote!(#(#supers ::)* #item)
    }

    /// A type as written in module `from`.
    pub fn ty_from(&self, ty: &Ty, from: &[String]) -> TokenStream {
        self.ty(ty, from, false)
    }

    fn ty(&self, ty: &Ty, from: &[String], nested: bool) -> TokenStream {
        match ty {
            Ty::Unit => quote!(()),
            Ty::Bool => quote!(bool),
            Ty::Int(w) => {
                let w = ident(w);
                quote!(#w)
            }
            Ty::F64 => quote!(f64),
            Ty::String => quote!(String),
            Ty::DateTime => match self.opts.datetime {
                DateTimeCrate::Chrono => quote!(chrono::DateTime<chrono::Utc>),
                DateTimeCrate::Time if !nested => quote!(time::OffsetDateTime),
                _ => quote!(String),
            },
            Ty::Date => quote!(chrono::NaiveDate),
            Ty::Uuid => quote!(uuid::Uuid),
            Ty::Url => quote!(url::Url),
            Ty::Value => quote!(serde_json::Value),
            Ty::Vec(t) => {
                let t = self.ty(t, from, true);
                quote!(Vec<#t>)
            }
            Ty::Map(t) => {
                let t = self.ty(t, from, true);
                quote!(std::collections::BTreeMap<String, #t>)
            }
            Ty::Option(t) => {
                let t = self.ty(t, from, nested);
                quote!(Option<#t>)
            }
            Ty::Boxed(t) => {
                let t = self.ty(t, from, true);
                quote!(Box<#t>)
            }
            Ty::Tuple(ts) => {
                let ts = ts.iter().map(|t| self.ty(t, from, true));
                quote!((#(#ts),*))
            }
            Ty::Named(id) => self.path(from, *id),
            Ty::Payload => quote!(P),
        }
    }

    fn derives(&self, base: &[&str]) -> TokenStream {
        let mut all: Vec<String> = base.iter().map(|s| (*s).to_owned()).collect();
        for d in &self.opts.derives {
            if !all.iter().any(|a| a == d || a.ends_with(&format!("::{d}"))) {
                all.push(d.clone());
            }
        }
        if self.opts.schemars && !all.iter().any(|a| a.contains("JsonSchema")) {
            all.push("schemars::JsonSchema".to_owned());
        }
        let paths: Vec<syn::Path> = all.iter().filter_map(|d| syn::parse_str(d).ok()).collect();
        let attrs: Vec<TokenStream> = self
            .opts
            .attributes
            .iter()
            .filter_map(|a| a.parse::<TokenStream>().ok())
            .collect();
        quote! {
            #[derive(#(#paths),*)]
            #(#attrs)*
        }
    }

    /// Doc attributes for an optional description.
    fn doc(doc: &Option<String>) -> TokenStream {
        match doc {
            Some(d) => {
                // A lone carriage return is not allowed in a doc comment: it ends a line here too.
                let d = d.replace("\r\n", "\n").replace('\r', "\n");
                let lines = d.lines().map(|l| format!(" {}", l.trim_end()));
                quote!(#(#[doc = #lines])*)
            }
            None => quote!(),
        }
    }

    /// The derives for a type whose `JsonSchema` is written by hand.
    fn derives_without_schemars(&self, base: &[&str]) -> TokenStream {
        let plain = Options {
            schemars: false,
            ..self.opts.clone()
        };
        Emitter {
            types: self.types,
            opts: &plain,
        }
        .derives(base)
    }

    /// A hand-written `JsonSchema` impl returning `schema` (nothing without `schemars`).
    fn schema_impl(&self, t: &TypeDef, schema: TokenStream) -> TokenStream {
        if !self.opts.schemars {
            return quote!();
        }
        let name = ident(&t.name);
        let title = t.name.clone();
        quote! {
            impl schemars::JsonSchema for #name {
                fn schema_name() -> std::borrow::Cow<'static, str> { #title.into() }
                fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                    #schema
                }
            }
        }
    }

    pub fn type_def(&self, t: &TypeDef) -> TokenStream {
        let name = ident(&t.name);
        let doc = Self::doc(&t.doc);
        let deprecated = if t.deprecated {
            quote!(#[deprecated])
        } else {
            quote!()
        };
        let from = &t.module;
        match &t.def {
            Def::Struct { fields } => {
                let generic = fields.iter().any(|f| f.ty == Ty::Payload);
                let params = if generic { quote!(<P>) } else { quote!() };
                // A generic envelope deserializes by hand, dispatching on its event_version.
                let derives = if generic {
                    self.derives(&["Debug", "Clone", "PartialEq", "serde::Serialize"])
                } else {
                    self.derives(DATA_DERIVES)
                };
                let (field_tokens, defaults): (Vec<TokenStream>, Vec<TokenStream>) =
                    fields.iter().map(|f| self.field(&t.name, f, from)).unzip();
                let defaults: Vec<TokenStream> =
                    defaults.into_iter().filter(|d| !d.is_empty()).collect();
                let default_impl = if defaults.is_empty() {
                    quote!()
                } else {
                    quote! {
                        impl #name {
                            #(#defaults)*
                        }
                    }
                };
                let closed = if self.opts.schemars && t.closed {
                    quote!(#[schemars(deny_unknown_fields)])
                } else {
                    quote!()
                };
                // schemars leaves `Option` fields out of `required`; a required
                // property that may be null is required all the same.
                let required = if self.opts.schemars
                    && fields
                        .iter()
                        .any(|f| f.required && !f.flatten && matches!(f.ty, Ty::Option(_)))
                {
                    let names = fields
                        .iter()
                        .filter(|f| f.required && !f.flatten)
                        .map(|f| &f.json);
                    quote!(#[schemars(extend("required" = [#(#names),*]))])
                } else {
                    quote!()
                };
                quote! {
                    #doc
                    #derives
                    #closed
                    #required
                    #deprecated
                    pub struct #name #params {
                        #(#field_tokens)*
                    }
                    #default_impl
                }
            }
            Def::StrEnum(variants) => {
                let derives = self.derives(&[
                    "Debug",
                    "Clone",
                    "Copy",
                    "PartialEq",
                    "Eq",
                    "Hash",
                    "PartialOrd",
                    "Ord",
                    "serde::Serialize",
                    "serde::Deserialize",
                ]);
                let vs = variants.iter().map(|(json, id)| {
                    let id = ident(id);
                    quote!(#[serde(rename = #json)] #id,)
                });
                let arms = variants.iter().map(|(json, id)| {
                    let id = ident(id);
                    quote!(Self::#id => #json,)
                });
                quote! {
                    #doc
                    #derives
                    #deprecated
                    pub enum #name { #(#vs)* }
                    impl #name {
                        /// The value as it appears in JSON.
                        pub fn as_str(self) -> &'static str {
                            match self { #(#arms)* }
                        }
                    }
                }
            }
            Def::IntEnum(variants) => {
                let base = [
                    "Debug",
                    "Clone",
                    "Copy",
                    "PartialEq",
                    "Eq",
                    "Hash",
                    "PartialOrd",
                    "Ord",
                ];
                // JsonSchema is implemented by hand below: the derive would describe strings.
                let derives = self.derives_without_schemars(&base);
                let ids: Vec<Ident> = variants.iter().map(|(_, id)| ident(id)).collect();
                let nums: Vec<Literal> = variants
                    .iter()
                    .map(|(n, _)| Literal::i64_unsuffixed(*n))
                    .collect();
                let vals: Vec<i64> = variants.iter().map(|(n, _)| *n).collect();
                let schema_impl = self.schema_impl(
                    t,
                    quote!(schemars::json_schema!({"type": "integer", "enum": [#(#vals),*]})),
                );
                quote! {
                    #doc
                    #derives
                    #deprecated
                    pub enum #name { #(#ids,)* }
                    impl #name {
                        /// The value as it appears in JSON.
                        pub fn value(self) -> i64 {
                            match self { #(Self::#ids => #nums,)* }
                        }
                    }
                    impl serde::Serialize for #name {
                        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                            s.serialize_i64(self.value())
                        }
                    }
                    impl<'de> serde::Deserialize<'de> for #name {
                        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                            match <i64 as serde::Deserialize>::deserialize(d)? {
                                #(#nums => Ok(Self::#ids),)*
                                other => Err(serde::de::Error::custom(format!("unexpected value {other}"))),
                            }
                        }
                    }
                    #schema_impl
                }
            }
            Def::ValueEnum(variants) => {
                let base = ["Debug", "Clone", "Copy", "PartialEq", "Eq", "Hash"];
                // Serialize, Deserialize and JsonSchema by hand: no derive reads mixed scalars.
                let derives = self.derives_without_schemars(&base);
                let ids: Vec<Ident> = variants.iter().map(|v| ident(&v.ident)).collect();
                let writes = variants.iter().map(|v| {
                    let id = ident(&v.ident);
                    // Integers past 64 bits, written whole where serde has a type for them.
                    let w = match v.digits.as_deref() {
                        Some(d) if d.parse::<u128>().is_ok() => {
                            let n: u128 = d.parse().unwrap_or_default();
                            quote!(s.serialize_u128(#n))
                        }
                        Some(d) if d.parse::<i128>().is_ok() => {
                            let n: i128 = d.parse().unwrap_or_default();
                            quote!(s.serialize_i128(#n))
                        }
                        _ => write_scalar(&v.reads[0]),
                    };
                    quote!(Self::#id => #w,)
                });
                let variant_docs = variants.iter().map(|v| match &v.digits {
                    Some(d) => {
                        let text = format!(
                            " `{d}`: read as any number whose nearest `f64` is its own (serde_json reads integers past 64 bits so){}",
                            if d.parse::<i128>().is_ok() || d.parse::<u128>().is_ok() {
                                ""
                            } else {
                                ", and written as that `f64` (serde has no type for it)"
                            }
                        );
                        quote!(#[doc = #text])
                    }
                    None => quote!(),
                });
                let reads = variants.iter().map(|v| {
                    let id = ident(&v.ident);
                    let tests = v.reads.iter().map(read_scalar);
                    quote!(if #(#tests)||* { return Ok(Self::#id); })
                });
                let listed: Vec<String> = variants
                    .iter()
                    .flat_map(|v| match &v.digits {
                        Some(d) => vec![d.clone()],
                        None => v.reads.iter().map(Value::to_string).collect(),
                    })
                    .collect();
                let expected = format!("one of {}", listed.join(", "));
                let all: Vec<TokenStream> = variants
                    .iter()
                    .flat_map(|v| v.reads.iter())
                    .map(|v| {
                        let text = v.to_string();
                        quote!(serde_json::from_str::<serde_json::Value>(#text).unwrap_or_default())
                    })
                    .collect();
                let schema_impl =
                    self.schema_impl(t, quote!(schemars::json_schema!({"enum": [#(#all),*]})));
                quote! {
                    #doc
                    #derives
                    #deprecated
                    pub enum #name { #(#variant_docs #ids,)* }
                    impl serde::Serialize for #name {
                        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                            match self { #(#writes)* }
                        }
                    }
                    impl<'de> serde::Deserialize<'de> for #name {
                        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                            let v = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                            #(#reads)*
                            Err(serde::de::Error::custom(format!("expected {}, got {v}", #expected)))
                        }
                    }
                    #schema_impl
                }
            }
            Def::Tagged { tag, variants } => {
                let derives = self.derives(DATA_DERIVES);
                let vs = variants.iter().map(|(json, id, sid)| {
                    let id = ident(id);
                    let p = self.path(from, *sid);
                    quote!(#[serde(rename = #json)] #id(#p),)
                });
                quote! {
                    #doc
                    #derives
                    #deprecated
                    #[serde(tag = #tag)]
                    #[allow(clippy::large_enum_variant)]
                    pub enum #name { #(#vs)* }
                }
            }
            Def::Untagged(variants) => {
                let derives = self.derives(DATA_DERIVES);
                let vs = variants.iter().map(|(id, ty, extra)| {
                    let id = ident(id);
                    let t = self.ty(ty, from, true);
                    let attrs = if self.opts.schemars && !extra.is_empty() {
                        let pairs = extra.iter().map(|(k, v)| {
                            let v = json_tokens(v);
                            quote!(#k = #v)
                        });
                        quote!(#[schemars(extend(#(#pairs),*))])
                    } else {
                        quote!()
                    };
                    quote!(#attrs #id(#t),)
                });
                quote! {
                    #doc
                    #derives
                    #deprecated
                    #[serde(untagged)]
                    #[allow(clippy::large_enum_variant)]
                    pub enum #name { #(#vs)* }
                }
            }
            Def::Pending => quote!(),
        }
    }

    /// A struct field, and the default function it needs (if any).
    fn field(&self, owner: &str, f: &Field, from: &[String]) -> (TokenStream, TokenStream) {
        let id = ident(&f.ident);
        let doc = Self::doc(&f.doc);
        let deprecated = if f.deprecated {
            quote!(#[deprecated])
        } else {
            quote!()
        };
        let rename = if f.ident != f.json && !f.flatten {
            let j = &f.json;
            quote!(#[serde(rename = #j)])
        } else {
            quote!()
        };
        if f.flatten {
            let t = self.ty(&f.ty, from, true);
            return (quote!(#doc #[serde(flatten)] pub #id: #t,), quote!());
        }
        let time = self.opts.datetime == DateTimeCrate::Time;
        let is_dt = |t: &Ty| matches!(t, Ty::DateTime);
        let already_optional = matches!(f.ty, Ty::Option(_));
        if !f.required {
            if let Some(default) = f
                .default
                .as_ref()
                .filter(|_| !already_optional && default_literal(&f.ty, &Value::Null).is_some())
                && let Some(lit) = default_literal(&f.ty, default)
            {
                let schemars = self.schemars_field(f, false, false);
                let t = self.ty(&f.ty, from, false);
                let fn_name = format_ident!("default_{}", f.ident.trim_start_matches("r#"));
                let path = format!("{owner}::{fn_name}");
                return (
                    quote!(#doc #rename #[serde(default = #path)] #schemars #deprecated pub #id: #t,),
                    quote!(fn #fn_name() -> #t { #lit }),
                );
            }
            let inner = match &f.ty {
                Ty::Option(t) => (**t).clone(),
                t => t.clone(),
            };
            let t = self.ty(&Ty::Option(Box::new(inner.clone())), from, false);
            // Absent is not null: unless the schema allows null, the schema of the field is the value's.
            let value_schema =
                (!already_optional).then(|| self.ty(&inner, from, false).to_string());
            let schemars = self.schemars_field(f, false, false);
            let schemars = match value_schema {
                Some(v) if self.opts.schemars => quote!(#[schemars(with = #v)] #schemars),
                _ => schemars,
            };
            let with = if time && is_dt(&inner) {
                quote!(#[serde(with = "time::serde::rfc3339::option")])
            } else {
                quote!()
            };
            return (
                quote!(#doc #rename #with #[serde(default, skip_serializing_if = "Option::is_none")] #schemars #deprecated pub #id: #t,),
                quote!(),
            );
        }
        let t = self.ty(&f.ty, from, false);
        // Required but nullable: serde would read a missing field as None; make it required.
        let required_nullable =
            if already_optional && !(time && matches!(&f.ty, Ty::Option(i) if is_dt(i))) {
                let supers = "super::".repeat(from.len());
                let path = format!("{supers}deserialize_required_option");
                quote!(#[serde(deserialize_with = #path)])
            } else {
                quote!()
            };
        let schemars = self.schemars_field(f, already_optional, true);
        let with = match &f.ty {
            Ty::DateTime if time => quote!(#[serde(with = "time::serde::rfc3339")]),
            Ty::Option(inner) if time && is_dt(inner) => {
                quote!(#[serde(with = "time::serde::rfc3339::option")])
            }
            _ => quote!(),
        };
        (
            quote!(#doc #rename #with #required_nullable #schemars #deprecated pub #id: #t,),
            quote!(),
        )
    }

    /// `#[schemars(...)]` for a field: the source's validation keywords, and
    /// `required` for a required property that may be null.
    fn schemars_field(&self, f: &Field, nullable: bool, required: bool) -> TokenStream {
        if !self.opts.schemars {
            return quote!();
        }
        let _ = (nullable, required);
        let mut parts: Vec<TokenStream> = Vec::new();
        if !f.extra.is_empty() {
            let pairs = f.extra.iter().map(|(k, v)| {
                let v = json_tokens(v);
                quote!(#k = #v)
            });
            parts.push(quote!(extend(#(#pairs),*)));
        }
        if parts.is_empty() {
            quote!()
        } else {
            quote!(#[schemars(#(#parts),*)])
        }
    }
}

/// A JSON value as tokens schemars' `extend` accepts (json!-like).
fn json_tokens(v: &Value) -> TokenStream {
    match v {
        Value::Null => quote!(null),
        Value::Bool(b) => quote!(#b),
        Value::Number(n) => n.to_string().parse().unwrap_or_else(|_| quote!(null)),
        Value::String(s) => quote!(#s),
        Value::Array(a) => {
            let items = a.iter().map(json_tokens);
            quote!([#(#items),*])
        }
        Value::Object(m) => {
            let pairs = m.iter().map(|(k, v)| {
                let v = json_tokens(v);
                quote!(#k: #v)
            });
            quote!({#(#pairs),*})
        }
    }
}

/// A Rust expression for a scalar default of type `ty` (a probe with `Null` asks only whether the type allows one).
fn default_literal(ty: &Ty, v: &Value) -> Option<TokenStream> {
    match (ty, v) {
        (Ty::String, Value::Null)
        | (Ty::Bool, Value::Null)
        | (Ty::Int(_), Value::Null)
        | (Ty::F64, Value::Null) => Some(quote!()),
        (Ty::String, Value::String(s)) => Some(quote!(#s.to_owned())),
        (Ty::Bool, Value::Bool(b)) => Some(quote!(#b)),
        (Ty::Int(w), Value::Number(n)) => {
            let lit = n
                .as_i64()
                .map(|i| i.to_string())
                .or_else(|| n.as_u64().map(|u| u.to_string()))?;
            let lit: TokenStream = format!("{lit}{w}").parse().ok()?;
            Some(lit)
        }
        (Ty::F64, Value::Number(n)) => {
            let f = Literal::f64_suffixed(n.as_f64()?);
            Some(quote!(#f))
        }
        _ => None,
    }
}

/// Groups items into nested `pub mod` blocks.
#[derive(Default)]
pub(crate) struct ModTree {
    items: Vec<TokenStream>,
    children: BTreeMap<String, ModTree>,
}

impl ModTree {
    pub fn add(&mut self, module: &[String], item: TokenStream) {
        match module.split_first() {
            None => self.items.push(item),
            Some((first, rest)) => self
                .children
                .entry(first.clone())
                .or_default()
                .add(rest, item),
        }
    }

    pub fn tokens(&self) -> TokenStream {
        let items = &self.items;
        let children = self.children.iter().map(|(name, tree)| {
            let n = ident(name);
            let inner = tree.tokens();
            quote! {
                pub mod #n {
                    #inner
                }
            }
        });
        quote! {
            #(#items)*
            #(#children)*
        }
    }
}

/// The name of the `AnyEvent` variant for a routing key.
pub(crate) fn any_variant(key: &str) -> Ident {
    ident(&crate::names::camel(key))
}

/// A module name for a queue or service.
pub(crate) fn mod_name(s: &str) -> Ident {
    ident(&snake(s))
}

/// The serializer call that writes one listed scalar.
fn write_scalar(v: &Value) -> TokenStream {
    match v {
        Value::String(x) => quote!(s.serialize_str(#x)),
        Value::Bool(b) => quote!(s.serialize_bool(#b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => quote!(s.serialize_i64(#i)),
            (None, Some(u), _) => quote!(s.serialize_u64(#u)),
            (_, _, Some(f)) => quote!(s.serialize_f64(#f)),
            _ => quote!(s.serialize_unit()),
        },
        _ => quote!(s.serialize_unit()),
    }
}

/// A test that the deserialized `v: serde_json::Value` is one listed scalar
/// (numbers compare by value, as JSON Schema's `enum` does: `1.0` reads as `1`).
fn read_scalar(v: &Value) -> TokenStream {
    match v {
        Value::String(x) => quote!(v.as_str() == Some(#x)),
        Value::Bool(b) => quote!(v.as_bool() == Some(#b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let f = i as f64;
                quote!(v.as_i64() == Some(#i) || v.as_f64() == Some(#f))
            }
            (None, Some(u), _) => quote!(v.as_u64() == Some(#u)),
            (_, _, Some(f)) => quote!(v.as_f64() == Some(#f)),
            _ => quote!(false),
        },
        _ => quote!(false),
    }
}
