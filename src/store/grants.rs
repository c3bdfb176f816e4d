//! Client side of the `GrantStore` Durable Object: codes, refresh-token families, SSO sessions,
//! pending interactions and revoked token ids. Records are sharded over many objects by their
//! (random) key, so no index is needed and no single object takes every request (an object
//! serves about 1,000 requests/s); `shards` says which object holds a key.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use worker::Env;

use super::placement::Placement;
use super::shards::{self, token_key};
use super::tag_first::tagged_enum;
use super::{rpc, StoreError};
use crate::oidc::records::{
    CodeRecord, CodeTake, Issued, IssuedJti, RefreshFamily, RefreshRotation, RotationRequest,
};

pub const BINDING: &str = "GRANTS";

tagged_enum! {
    /// Commands the object understands.
    #[derive(Debug)]
    pub enum GrantCommand by "op" as "GrantCommand" {
        Put {
            key: String,
            /// The record's JSON text, carried and stored as written (no `Value` tree on
            /// either side).
            value: Box<RawValue>,
            expires_at: u64,
            /// Only if no live record holds the key; answers whether it was written.
            #[serde(default)]
            create_only: bool,
        },
        /// `Put`, and in the same commit the record `ends` goes (a sign-in spent as its code is
        /// stored beside it).
        PutEnding {
            key: String,
            value: Box<RawValue>,
            expires_at: u64,
            ends: String,
        },
        Get {
            key: String,
            now: u64,
        },
        Delete {
            key: String,
        },
        TakeCode {
            key: String,
            /// The client redeeming it: a code of another client is left untouched.
            client_id: String,
            now: u64,
            /// What the caller will issue, recorded in the same write that consumes the code.
            issue: Issued,
        },
        RotateRefresh {
            key: String,
            request: RotationRequest,
        },
        RevokeFamily {
            key: String,
            /// A missing family is written as revoked until then, so it can never be created.
            tombstone_until: u64,
        },
    }
}

/// The kinds of record, each with its own key prefix.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Code,
    Family,
    Session,
    Interaction,
    Revoked,
    AdminSession,
    /// A client assertion's `jti`, spent until the assertion expires.
    AssertionJti,
    /// A WebAuthn ceremony's challenge (`store::passkeys`), single use.
    PasskeyChallenge,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Code => "code",
            Kind::Family => "rtf",
            Kind::Session => "ses",
            Kind::Interaction => "ia",
            Kind::Revoked => "rev",
            Kind::AdminSession => "adm",
            Kind::AssertionJti => "aj",
            Kind::PasskeyChallenge => "pkc",
        }
    }
}

impl Kind {
    /// The kind a key prefix names (the debug probes take kinds by prefix).
    pub fn from_prefix(prefix: &str) -> Option<Kind> {
        [
            Kind::Code,
            Kind::Family,
            Kind::Session,
            Kind::Interaction,
            Kind::Revoked,
            Kind::AdminSession,
            Kind::AssertionJti,
            Kind::PasskeyChallenge,
        ]
        .into_iter()
        .find(|k| k.prefix() == prefix)
    }

    /// The kind of the sessions a pool's directory indexes: the administrators' pool holds
    /// console sessions, every other pool SSO sessions.
    pub fn session_of_pool(pool: &str) -> Kind {
        if pool == crate::oidc::model::ADMIN_POOL {
            Kind::AdminSession
        } else {
            Kind::Session
        }
    }
}

fn object_name(kind: Kind, id: &str) -> String {
    super::shards::object_name(kind.prefix(), id)
}

fn key(kind: Kind, id: &str) -> String {
    format!("{}:{id}", kind.prefix())
}

/// The object and key of a code's record (`shards::code_object`): beside its sign-in in an
/// interaction object, or, minted before, in the `code` object its hash names. Only the
/// code's hash is ever stored.
fn code_place(code: &str) -> (String, String) {
    let hashed = token_key(code);
    let object = match shards::code_object(code) {
        Some(c) => format!("{}.{c}", Kind::Interaction.prefix()),
        None => object_name(Kind::Code, &hashed),
    };
    (object, key(Kind::Code, &hashed))
}

/// A new authorization code, placed in the object of the pending sign-in `ending` (an
/// interaction id), so [`Grants::put_code`] ends the one and stores the other in one commit.
pub fn new_code(ending: Option<&str>) -> Result<String, getrandom::Error> {
    Ok(shards::placed_code(
        &crate::crypto::random::grant_token()?,
        ending,
    ))
}

pub struct Grants<'a> {
    env: &'a Env,
    at: Placement,
}

impl<'a> Grants<'a> {
    /// The shards of the pool placed at `at` (`Placement::of_app` for an issuer's requests).
    pub fn new(env: &'a Env, at: Placement) -> Self {
        Grants { env, at }
    }

    async fn call<R: DeserializeOwned>(
        &self,
        kind: Kind,
        id: &str,
        cmd: GrantCommand,
    ) -> Result<R, StoreError> {
        rpc::call(self.env, BINDING, self.at, &object_name(kind, id), &cmd).await
    }

    /// `get` over the objects' `fetch` entry, as workers of the previous release call them
    /// (the debug probe `debug/fetch-grant`).
    pub async fn get_over_fetch(
        &self,
        kind: Kind,
        id: &str,
        now: u64,
    ) -> Result<Value, StoreError> {
        let cmd = GrantCommand::Get {
            key: key(kind, id),
            now,
        };
        rpc::call_by(
            rpc::Transport::Fetch,
            self.env,
            BINDING,
            self.at,
            &object_name(kind, id),
            &cmd,
        )
        .await
    }

    pub async fn put<T: Serialize>(
        &self,
        kind: Kind,
        id: &str,
        value: &T,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        let value = serde_json::value::to_raw_value(value)?;
        let _written: bool = self
            .call(
                kind,
                id,
                GrantCommand::Put {
                    key: key(kind, id),
                    value,
                    expires_at,
                    create_only: false,
                },
            )
            .await?;
        Ok(())
    }

    /// Writes only if the key holds no live record; returns whether it wrote.
    pub async fn create<T: Serialize>(
        &self,
        kind: Kind,
        id: &str,
        value: &T,
        expires_at: u64,
    ) -> Result<bool, StoreError> {
        let value = serde_json::value::to_raw_value(value)?;
        self.call(
            kind,
            id,
            GrantCommand::Put {
                key: key(kind, id),
                value,
                expires_at,
                create_only: true,
            },
        )
        .await
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        kind: Kind,
        id: &str,
        now: u64,
    ) -> Result<Option<T>, StoreError> {
        // Straight from the answer's text into `T`: no `Value` in between (nor its copy of
        // `T`'s deserializer in the wasm).
        self.call(
            kind,
            id,
            GrantCommand::Get {
                key: key(kind, id),
                now,
            },
        )
        .await
    }

    /// Deletes a record and answers what it held, in one call to the object (single use).
    pub async fn take<T: DeserializeOwned>(
        &self,
        kind: Kind,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        self.call(kind, id, GrantCommand::Delete { key: key(kind, id) })
            .await
    }

    pub async fn delete(&self, kind: Kind, id: &str) -> Result<(), StoreError> {
        let _: Option<Value> = self
            .call(kind, id, GrantCommand::Delete { key: key(kind, id) })
            .await?;
        Ok(())
    }

    /// Stores a new code's record (its hash the key). `ending`: the pending sign-in the code
    /// ends, deleted in the same commit when the code was placed beside it ([`new_code`]),
    /// by a call of its own otherwise (an interaction of the spread layout).
    pub async fn put_code(
        &self,
        code: &str,
        record: &CodeRecord,
        ending: Option<&str>,
    ) -> Result<(), StoreError> {
        let (object, key) = code_place(code);
        let value = serde_json::value::to_raw_value(record)?;
        let expires_at = record.expires_at;
        let beside = ending.filter(|uid| object == object_name(Kind::Interaction, uid));
        let cmd = match beside {
            Some(uid) => GrantCommand::PutEnding {
                key,
                value,
                expires_at,
                ends: self::key(Kind::Interaction, uid),
            },
            None => GrantCommand::Put {
                key,
                value,
                expires_at,
                create_only: false,
            },
        };
        let stored = rpc::call::<_, bool>(self.env, BINDING, self.at, &object, &cmd);
        match ending.filter(|_| beside.is_none()) {
            Some(apart) => {
                let (stored, ended) =
                    futures_util::future::join(stored, self.delete(Kind::Interaction, apart)).await;
                stored?;
                ended
            }
            None => stored.await.map(|_| ()),
        }
    }

    /// Takes a code (the code as presented; only its hash is stored), recording in the same
    /// write what the caller is about to issue, so a replay — even one racing this very
    /// redemption — finds it and revokes it.
    pub async fn take_code(
        &self,
        code: &str,
        client_id: &str,
        now: u64,
        issue: Issued,
    ) -> Result<CodeTake, StoreError> {
        let (object, key) = code_place(code);
        let cmd = GrantCommand::TakeCode {
            key,
            client_id: client_id.to_string(),
            now,
            issue,
        };
        rpc::call(self.env, BINDING, self.at, &object, &cmd).await
    }

    pub async fn rotate_refresh(
        &self,
        family_id: &str,
        request: RotationRequest,
    ) -> Result<RefreshRotation, StoreError> {
        self.call(
            Kind::Family,
            family_id,
            GrantCommand::RotateRefresh {
                key: key(Kind::Family, family_id),
                request,
            },
        )
        .await
    }

    /// Revokes a family; returns it if it was live. A family that does not exist yet is
    /// tombstoned until `tombstone_until`, so a racing creation fails.
    pub async fn revoke_family(
        &self,
        family_id: &str,
        tombstone_until: u64,
    ) -> Result<Option<RefreshFamily>, StoreError> {
        self.call(
            Kind::Family,
            family_id,
            GrantCommand::RevokeFamily {
                key: key(Kind::Family, family_id),
                tombstone_until,
            },
        )
        .await
    }

    /// Puts access-token ids on the revocation list until they expire.
    /// The ids may live in different shards; the calls go out together, not one after another.
    pub async fn revoke_jtis(&self, jtis: &[IssuedJti]) -> Result<(), StoreError> {
        let puts = jtis
            .iter()
            .map(|j| self.put(Kind::Revoked, &j.jti, &true, j.exp));
        for done in futures_util::future::join_all(puts).await {
            done?;
        }
        Ok(())
    }

    pub async fn is_revoked(&self, jti: &str, now: u64) -> Result<bool, StoreError> {
        Ok(self.get::<bool>(Kind::Revoked, jti, now).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::GrantCommand;
    use crate::oidc::records::Issued;

    /// A record travels as its JSON text: a `Put` of the release before (whose record was a
    /// `Value`) reads, and the object stores the record's text exactly as the worker wrote it.
    #[test]
    fn a_put_carries_its_record_as_written_and_reads_the_release_befores() {
        let record =
            r#"{"client_id":"c","request":{"scope":"openid","nested":[1,2.5,"é"]},"expires_at":9}"#;
        let before = format!(
            r#"{{"op":"put","key":"int:abc","value":{record},"expires_at":9,"create_only":false}}"#
        );
        for text in [
            before.clone(),
            serde_json::to_string(&GrantCommand::Put {
                key: "int:abc".into(),
                value: serde_json::value::RawValue::from_string(record.into()).unwrap(),
                expires_at: 9,
                create_only: false,
            })
            .unwrap(),
        ] {
            assert_eq!(text, before, "the wire text is the release before's");
            match serde_json::from_str::<GrantCommand>(&text).unwrap() {
                GrantCommand::Put {
                    key,
                    value,
                    expires_at,
                    create_only,
                } => {
                    assert_eq!(
                        (key.as_str(), expires_at, create_only),
                        ("int:abc", 9, false)
                    );
                    assert_eq!(serde_json::to_string(&value).unwrap(), record);
                }
                other => panic!("read as {other:?}"),
            }
        }
        // The other commands around it still read (a field after the record).
        let ending =
            r#"{"op":"put_ending","key":"k","value":{"a":[{}]},"expires_at":1,"ends":"int:x"}"#;
        assert!(matches!(
            serde_json::from_str::<GrantCommand>(ending).unwrap(),
            GrantCommand::PutEnding { ends, .. } if ends == "int:x"
        ));
        let take = GrantCommand::TakeCode {
            key: "k".into(),
            client_id: "c".into(),
            now: 1,
            issue: Issued::default(),
        };
        let text = serde_json::to_string(&take).unwrap();
        assert!(matches!(
            serde_json::from_str::<GrantCommand>(&text).unwrap(),
            GrantCommand::TakeCode { .. }
        ));
    }
}
