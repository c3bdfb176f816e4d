//! Client side of the passkey commands of the pool's `UserDirectory` (one command variant,
//! `DirectoryCommand::Passkey`, so the directory's own list stays as it was) and the
//! single-use ceremony challenges in the `GrantStore` shards.

use serde::{Deserialize, Serialize};
use worker::Env;

use super::directory::{Directory, DirectoryCommand};
use super::grants::{Grants, Kind};
use super::placement::Placement;
use super::tag_first::tagged_enum;
use super::StoreError;
use crate::oidc::webauthn::credential::{ChallengeRecord, PasskeyRecord};

tagged_enum! {
    #[derive(Debug)]
    pub enum PasskeyCommand by "passkey_op" as "PasskeyCommand" {
        /// Stores a new passkey (answers [`Created`]).
        Create {
            passkey: PasskeyRecord,
        },
        /// The passkey with this credential id (base64url), whoever holds it.
        Find {
            credential_id: String,
        },
        List {
            user_id: String,
        },
        /// Records a sign-in: the new counter and backup state, and when.
        Used {
            credential_id: String,
            sign_count: u32,
            backed_up: bool,
            now: u64,
        },
        /// Renames one of the user's passkeys; answers whether it was theirs.
        Rename {
            user_id: String,
            credential_id: String,
            name: String,
        },
        /// Removes one of the user's passkeys and answers it (`null` when it was not theirs).
        Delete {
            user_id: String,
            credential_id: String,
        },
    }
}

/// What `Create` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Created {
    Created,
    /// The credential id is registered already, to this user or another (§7.1 step 26).
    Taken,
    /// The user holds the most passkeys one may.
    Full,
    /// The user is gone (a session can outlive a deleted user for a moment).
    NoUser,
}

pub struct Passkeys<'a> {
    dir: Directory<'a>,
}

impl<'a> Passkeys<'a> {
    pub fn new(env: &'a Env, pool: &str, at: Placement) -> Self {
        Passkeys {
            dir: Directory::new(env, pool, at),
        }
    }

    /// The passkeys kept by this directory (the pool's, at its placement).
    pub fn from_directory(dir: &Directory<'a>) -> Self {
        Passkeys { dir: dir.clone() }
    }

    /// The passkeys of an application's pool.
    pub fn of_app(env: &'a Env, app: &crate::oidc::model::Application) -> Self {
        Passkeys {
            dir: Directory::of_app(env, app),
        }
    }

    async fn call<R: serde::de::DeserializeOwned>(
        &self,
        cmd: PasskeyCommand,
    ) -> Result<R, StoreError> {
        self.dir.call(DirectoryCommand::Passkey(cmd)).await
    }

    pub async fn create(&self, passkey: PasskeyRecord) -> Result<Created, StoreError> {
        self.call(PasskeyCommand::Create { passkey }).await
    }

    pub async fn find(&self, credential_id: &str) -> Result<Option<PasskeyRecord>, StoreError> {
        self.call(PasskeyCommand::Find {
            credential_id: credential_id.to_string(),
        })
        .await
    }

    pub async fn list(&self, user_id: &str) -> Result<Vec<PasskeyRecord>, StoreError> {
        self.call(PasskeyCommand::List {
            user_id: user_id.to_string(),
        })
        .await
    }

    pub async fn used(
        &self,
        credential_id: &str,
        sign_count: u32,
        backed_up: bool,
        now: u64,
    ) -> Result<(), StoreError> {
        let _: serde_json::Value = self
            .call(PasskeyCommand::Used {
                credential_id: credential_id.to_string(),
                sign_count,
                backed_up,
                now,
            })
            .await?;
        Ok(())
    }

    pub async fn rename(
        &self,
        user_id: &str,
        credential_id: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        self.call(PasskeyCommand::Rename {
            user_id: user_id.to_string(),
            credential_id: credential_id.to_string(),
            name: name.to_string(),
        })
        .await
    }

    pub async fn delete(
        &self,
        user_id: &str,
        credential_id: &str,
    ) -> Result<Option<PasskeyRecord>, StoreError> {
        self.call(PasskeyCommand::Delete {
            user_id: user_id.to_string(),
            credential_id: credential_id.to_string(),
        })
        .await
    }
}

/// Stores a challenge under `id` until it expires.
pub async fn put_challenge(
    env: &Env,
    at: Placement,
    id: &str,
    rec: &ChallengeRecord,
) -> Result<(), StoreError> {
    Grants::new(env, at)
        .put(Kind::PasskeyChallenge, id, rec, rec.expires_at)
        .await
}

/// Takes a challenge: the one call that reads it also deletes it, so two responses racing
/// with the same challenge cannot both find it. An expired one counts as none.
pub async fn take_challenge(
    env: &Env,
    at: Placement,
    id: &str,
    now: u64,
) -> Result<Option<ChallengeRecord>, StoreError> {
    let rec: Option<ChallengeRecord> = Grants::new(env, at)
        .take(Kind::PasskeyChallenge, id)
        .await?;
    Ok(rec.filter(|r| r.expires_at > now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_outcomes_read_back_as_they_were_written() {
        for c in [
            Created::Created,
            Created::Taken,
            Created::Full,
            Created::NoUser,
        ] {
            let v = serde_json::to_value(c).unwrap();
            assert_eq!(serde_json::from_value::<Created>(v).unwrap(), c);
        }
        assert_eq!(serde_json::to_value(Created::NoUser).unwrap(), "no_user");
    }

    #[test]
    fn the_command_nests_inside_the_directorys_envelope() {
        let cmd = DirectoryCommand::Passkey(PasskeyCommand::Find {
            credential_id: "AQ".into(),
        });
        let text = serde_json::to_string(&cmd).unwrap();
        assert_eq!(
            text,
            r#"{"op":"passkey","passkey_op":"find","credential_id":"AQ"}"#
        );
        let back: DirectoryCommand = serde_json::from_str(&text).unwrap();
        assert!(matches!(
            back,
            DirectoryCommand::Passkey(PasskeyCommand::Find { .. })
        ));
    }
}
