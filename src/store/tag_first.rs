//! Durable Object commands read with their tag first. A command travels as serde's internally
//! tagged JSON (`{"op": "get_user", "id": "…"}`), which this release and the ones before write
//! with `serde_json::to_string`; serde always writes the tag as the first member. serde's own
//! reading of that shape cannot count on it: it buffers the whole command into its private
//! `Content` tree first and then reads every variant out of that tree, so each command enum
//! carries a second copy of every field's deserializer (for `UserDirectory`'s commands alone,
//! a quarter of a megabyte of wasm). `tagged_enum!` reads the tag, then the variant's fields
//! straight from the same JSON map: the same text on the wire, 283 KiB less wasm, and no
//! tree built per command.
//!
//! The price is the rule the writers already keep: the tag must come first. A command whose
//! tag is elsewhere (a hand-built `serde_json::Value`, whose map sorts its keys) is refused
//! with an error that says so, never misread. Runtime-free; tested natively below.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, value::MapAccessDeserializer, DeserializeSeed, EnumAccess, IgnoredAny, IntoDeserializer,
    MapAccess, VariantAccess, Visitor,
};
use serde::Deserializer;

/// Defines a command enum that is written internally tagged (`#[serde(tag = …)]`, snake_case
/// variant names) and read tag first. The body is written once; the macro derives
/// `Serialize` on the enum and, for reading, an externally tagged twin (`remote`) whose
/// enum access `TagFirst` feeds from the map. Fields keep their serde attributes.
///
/// ```ignore
/// tagged_enum! {
///     #[derive(Debug)]
///     pub enum VaultCommand by "op" as "VaultCommand" { Get { id: String }, List }
/// }
/// ```
macro_rules! tagged_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident by $tag:tt as $remote:tt { $($body:tt)* }
    ) => {
        $(#[$meta])*
        #[derive(serde::Serialize)]
        #[serde(tag = $tag, rename_all = "snake_case")]
        $vis enum $name { $($body)* }

        const _: () = {
            /// The enum's reading twin: the same variants, externally tagged, fed tag first.
            #[derive(serde::Deserialize)]
            #[serde(remote = $remote, rename_all = "snake_case")]
            #[allow(dead_code)]
            enum TagFirstShape { $($body)* }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    TagFirstShape::deserialize($crate::store::tag_first::TagFirst::new(d, $tag))
                }
            }
        };
    };
}
pub(crate) use tagged_enum;

/// A deserializer whose enums are maps led by `tag`: what `tagged_enum!`'s twin reads from.
/// Everything but an enum goes to the deserializer it wraps.
pub struct TagFirst<D> {
    inner: D,
    tag: &'static str,
}

impl<D> TagFirst<D> {
    pub fn new(inner: D, tag: &'static str) -> Self {
        TagFirst { inner, tag }
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for TagFirst<D> {
    type Error = D::Error;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(LedByTag {
            visitor,
            tag: self.tag,
            marker: PhantomData,
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

/// Reads the map's first member as the tag and hands the rest to the variant.
struct LedByTag<'de, V> {
    visitor: V,
    tag: &'static str,
    marker: PhantomData<&'de ()>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for LedByTag<'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a command: a JSON object whose first member is \"{}\"",
            self.tag
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == self.tag => {}
            Some(key) => {
                return Err(de::Error::custom(format_args!(
                    "the command's first member must be its tag \"{}\", not \"{key}\"",
                    self.tag
                )))
            }
            None => return Err(de::Error::missing_field(self.tag)),
        }
        let variant: String = map.next_value()?;
        self.visitor.visit_enum(Rest { map, variant })
    }
}

/// The variant named by the tag, and the map's members after it.
struct Rest<A> {
    map: A,
    variant: String,
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Rest<A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), A::Error> {
        let name: de::value::StrDeserializer<'_, A::Error> =
            self.variant.as_str().into_deserializer();
        let value = seed.deserialize(name)?;
        Ok((value, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Rest<A> {
    type Error = A::Error;

    /// A variant without fields ignores any other members, as serde's tagged reading does.
    fn unit_variant(mut self) -> Result<(), A::Error> {
        while self.map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    /// A variant wrapping one struct or enum: its members are the rest of this map (a nested
    /// command enum reads its own tag first from there).
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        seed.deserialize(MapAccessDeserializer::new(self.map))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(de::Error::custom(
            "a tagged command cannot have a tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.map)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    tagged_enum! {
        /// A nested command, as `PasskeyCommand` sits inside `DirectoryCommand`.
        #[derive(Debug, PartialEq, Clone)]
        pub enum Inner by "inner_op" as "Inner" {
            Find { credential_id: String },
            Count,
        }
    }

    tagged_enum! {
        #[derive(Debug, PartialEq, Clone)]
        pub enum Command by "op" as "Command" {
            GetUser { id: String },
            BeginSignIn {
                login: String,
                now: u64,
                #[serde(default)]
                factors: bool,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                session: Option<Vec<String>>,
            },
            ListAccounts,
            Nested(Inner),
            Field { cmd: Inner, data: serde_json::Value },
        }
    }

    /// The same enums as serde reads and writes them natively: the release before.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "inner_op", rename_all = "snake_case")]
    enum OldInner {
        Find { credential_id: String },
        Count,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "op", rename_all = "snake_case")]
    enum OldCommand {
        GetUser {
            id: String,
        },
        BeginSignIn {
            login: String,
            now: u64,
            #[serde(default)]
            factors: bool,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            session: Option<Vec<String>>,
        },
        ListAccounts,
        Nested(OldInner),
        Field {
            cmd: OldInner,
            data: serde_json::Value,
        },
    }

    fn pairs() -> Vec<(Command, OldCommand)> {
        vec![
            (
                Command::GetUser { id: "u1".into() },
                OldCommand::GetUser { id: "u1".into() },
            ),
            (
                Command::BeginSignIn {
                    login: "ada".into(),
                    now: 7,
                    factors: true,
                    session: Some(vec!["k".into()]),
                },
                OldCommand::BeginSignIn {
                    login: "ada".into(),
                    now: 7,
                    factors: true,
                    session: Some(vec!["k".into()]),
                },
            ),
            (
                Command::BeginSignIn {
                    login: "ada".into(),
                    now: 7,
                    factors: false,
                    session: None,
                },
                OldCommand::BeginSignIn {
                    login: "ada".into(),
                    now: 7,
                    factors: false,
                    session: None,
                },
            ),
            (Command::ListAccounts, OldCommand::ListAccounts),
            (
                Command::Nested(Inner::Find {
                    credential_id: "AQ".into(),
                }),
                OldCommand::Nested(OldInner::Find {
                    credential_id: "AQ".into(),
                }),
            ),
            (
                Command::Nested(Inner::Count),
                OldCommand::Nested(OldInner::Count),
            ),
            (
                Command::Field {
                    cmd: Inner::Count,
                    data: serde_json::json!({"b": [1, {"c": null}], "a": "x"}),
                },
                OldCommand::Field {
                    cmd: OldInner::Count,
                    data: serde_json::json!({"b": [1, {"c": null}], "a": "x"}),
                },
            ),
        ]
    }

    #[test]
    fn the_wire_text_is_the_one_serde_writes_and_reads_both_ways() {
        for (new, old) in pairs() {
            let new_text = serde_json::to_string(&new).unwrap();
            let old_text = serde_json::to_string(&old).unwrap();
            assert_eq!(new_text, old_text);
            // A command of the release before reads here, and this one's reads there.
            assert_eq!(serde_json::from_str::<Command>(&old_text).unwrap(), new);
            assert_eq!(serde_json::from_str::<OldCommand>(&new_text).unwrap(), old);
            // The object's fetch entry reads bytes.
            assert_eq!(
                serde_json::from_slice::<Command>(old_text.as_bytes()).unwrap(),
                new
            );
        }
    }

    #[test]
    fn defaults_and_unknown_members_are_read_as_serde_reads_them() {
        let c: Command =
            serde_json::from_str(r#"{"op":"begin_sign_in","login":"a","now":1,"later":true}"#)
                .unwrap();
        assert_eq!(
            c,
            Command::BeginSignIn {
                login: "a".into(),
                now: 1,
                factors: false,
                session: None
            }
        );
        let c: Command =
            serde_json::from_str(r#"{"op":"list_accounts","extra":{"x":[1]}}"#).unwrap();
        assert_eq!(c, Command::ListAccounts);
    }

    #[test]
    fn malformed_commands_are_errors_that_say_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"id":"u1","op":"get_user"}"#,
                "first member must be its tag \"op\", not \"id\"",
            ),
            (r#"{}"#, "missing field `op`"),
            (r#"{"op":"drop_tables"}"#, "unknown variant `drop_tables`"),
            (r#"{"op":"get_user"}"#, "missing field `id`"),
            (r#"{"op":"get_user","id":5}"#, "invalid type"),
            (r#"{"op":7}"#, "invalid type"),
            (
                r#"{"op":"nested","credential_id":"AQ"}"#,
                "first member must be its tag \"inner_op\"",
            ),
            (
                r#"{"op":"field","cmd":{"inner_op":"nope"},"data":1}"#,
                "unknown variant `nope`",
            ),
            (r#"["get_user","u1"]"#, "invalid type: sequence"),
            (r#""list_accounts""#, "invalid type: string"),
            (r#"{"op":"get_user","id":"u1""#, "EOF"),
        ];
        for (text, want) in cases {
            let err = serde_json::from_str::<Command>(text).expect_err(text);
            assert!(err.to_string().contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn a_command_built_as_a_value_is_refused_unless_its_tag_sorts_first() {
        // serde_json's map sorts its keys: a Value-built command leads with "id" here.
        let v = serde_json::json!({"op": "get_user", "id": "u1"});
        assert!(serde_json::from_value::<Command>(v).is_err());
        let v = serde_json::json!({"op": "list_accounts"});
        assert_eq!(
            serde_json::from_value::<Command>(v).unwrap(),
            Command::ListAccounts
        );
    }
}
