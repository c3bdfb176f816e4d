//! Client side of the second factors kept in the pool's `UserDirectory` (one row per user,
//! `oidc::factors::UserFactors`): the commands, sent as `DirectoryCommand::Factors`, and what
//! they answer. Attempts are throttled with the directory's own counters, under a key of
//! their own per user, so a right password does not reset the count of wrong codes.

use serde::{Deserialize, Serialize};

use super::directory::{AttemptGate, Directory, DirectoryCommand};
use super::tag_first::tagged_enum;
use super::StoreError;
use crate::oidc::factors::{FactorSummary, UserFactors};

tagged_enum! {
    #[derive(Debug)]
    pub enum FactorCommand by "factor_op" as "FactorCommand" {
        Summary {
            user_id: String,
            /// Also count the user's passkeys (`FactorSummary::passkeys`): what a sign-in needs
            /// to know about a user's factors, in one call.
            #[serde(default)]
            with_passkeys: bool,
        },
        /// Starts a throttled second-factor attempt; the factors are handed out only when the
        /// attempt may go ahead. Ended by `DirectoryCommand::EndAttempt` with the same keys.
        BeginCheck {
            user_id: String,
            ip: String,
            now: u64,
        },
        /// Records an accepted TOTP step (false: that step or a later one was used already).
        AcceptStep {
            user_id: String,
            step: u64,
            now: u64,
        },
        /// Spends a recovery code by its hash (false: unknown or already spent).
        UseRecovery {
            user_id: String,
            hash: String,
        },
        /// Enrols (or replaces) the authenticator app; `step` is the step of the code that
        /// confirmed it, so that code cannot be used again to sign in.
        EnrolTotp {
            user_id: String,
            sealed_secret: String,
            step: u64,
            now: u64,
        },
        RemoveTotp {
            user_id: String,
        },
        /// Replaces the recovery codes with these hashes.
        SetRecovery {
            user_id: String,
            hashes: Vec<String>,
            now: u64,
        },
        /// Removes every second factor of the user (an administrator's "reset MFA").
        Reset {
            user_id: String,
        },
        /// How many users hold each factor.
        Counts,
        /// Stores the factors of a user brought in by a pool import (the app's secret sealed
        /// under this deployment's key), replacing none: the user was created by the import.
        Import {
            user_id: String,
            factors: UserFactors,
        },
    }
}

/// What `BeginCheck` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckStart {
    pub gate: AttemptGate,
    pub keys: Vec<String>,
    pub factors: Option<UserFactors>,
}

/// The throttle keys of a second-factor attempt: the user's own second-factor counter and
/// the address (shared with passwords: one address guessing is one address).
pub fn check_keys(user_id: &str, ip: &str) -> Vec<String> {
    vec![format!("mfa:id:{user_id}"), format!("ip:{ip}")]
}

impl Directory<'_> {
    pub async fn factors(&self, cmd: FactorCommand) -> Result<serde_json::Value, StoreError> {
        self.call(DirectoryCommand::Factors { cmd }).await
    }

    pub async fn call_factors<R: serde::de::DeserializeOwned>(
        &self,
        cmd: FactorCommand,
    ) -> Result<R, StoreError> {
        self.call(DirectoryCommand::Factors { cmd }).await
    }

    pub async fn factor_summary(&self, user_id: &str) -> Result<FactorSummary, StoreError> {
        self.summary(user_id, false).await
    }

    /// The summary with the number of the user's passkeys (`FactorSummary::passkeys`).
    pub async fn factors_with_passkeys(&self, user_id: &str) -> Result<FactorSummary, StoreError> {
        self.summary(user_id, true).await
    }

    async fn summary(
        &self,
        user_id: &str,
        with_passkeys: bool,
    ) -> Result<FactorSummary, StoreError> {
        self.call(DirectoryCommand::Factors {
            cmd: FactorCommand::Summary {
                user_id: user_id.to_string(),
                with_passkeys,
            },
        })
        .await
    }
}
