//! The `UserDirectory`'s second-factor commands (`store::factors::FactorCommand`): one JSON row
//! per user in the `factors` table, changed by the runtime-free rules of `oidc::factors`
//! inside the object's input gate, so a code's step or a recovery code is spent exactly once
//! even when two sign-ins race.

use serde_json::{json, Value};

use super::{s, UserDirectory, R};
use crate::oidc::factors::{FactorCounts, FactorSummary, TotpFactor, UserFactors};
use crate::store::factors::{check_keys, FactorCommand};

impl UserDirectory {
    pub(crate) fn load_factors(&self, user_id: &str) -> R<UserFactors> {
        #[derive(serde::Deserialize)]
        struct Row {
            data: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT data FROM factors WHERE user_id = ?",
            vec![s(user_id)],
        )?;
        Ok(match rows.into_iter().next() {
            Some(r) => serde_json::from_str(&r.data)?,
            None => UserFactors::default(),
        })
    }

    fn save_factors(&self, user_id: &str, f: &UserFactors) -> R<()> {
        if f.is_empty() {
            self.sql
                .exec("DELETE FROM factors WHERE user_id = ?", vec![s(user_id)])?;
        } else {
            self.sql.exec(
                "REPLACE INTO factors (user_id, data) VALUES (?, ?)",
                vec![s(user_id), s(&serde_json::to_string(f)?)],
            )?;
        }
        Ok(())
    }

    /// What a sign-in needs to know of a user's factors: the one-time factors and how many
    /// passkeys.
    pub(crate) fn factor_summary(&self, user_id: &str) -> R<FactorSummary> {
        let mut summary = self.load_factors(user_id)?.summary();
        summary.passkeys = Some(self.passkey_count(user_id)?);
        Ok(summary)
    }

    pub(super) fn run_factors(&self, cmd: FactorCommand) -> R<Value> {
        use FactorCommand as F;
        Ok(match cmd {
            F::Summary {
                user_id,
                with_passkeys,
            } => match with_passkeys {
                true => serde_json::to_value(self.factor_summary(&user_id)?)?,
                false => serde_json::to_value(self.load_factors(&user_id)?.summary())?,
            },
            F::BeginCheck { user_id, ip, now } => {
                let keys = check_keys(&user_id, &ip);
                let gate = self.charge(&keys, now)?;
                let factors = if gate.allowed {
                    Some(self.load_factors(&user_id)?)
                } else {
                    None
                };
                json!({"gate": gate, "keys": keys, "factors": factors})
            }
            F::AcceptStep { user_id, step, now } => {
                let mut f = self.load_factors(&user_id)?;
                let ok = f.accept_step(step, now);
                if ok {
                    self.save_factors(&user_id, &f)?;
                }
                Value::Bool(ok)
            }
            F::UseRecovery { user_id, hash } => {
                let mut f = self.load_factors(&user_id)?;
                let ok = f.use_recovery(&hash);
                if ok {
                    self.save_factors(&user_id, &f)?;
                }
                Value::Bool(ok)
            }
            F::EnrolTotp {
                user_id,
                sealed_secret,
                step,
                now,
            } => {
                let mut f = self.load_factors(&user_id)?;
                f.totp = Some(TotpFactor {
                    sealed_secret,
                    created_at: now,
                    last_step: step,
                    last_used_at: Some(now),
                });
                self.save_factors(&user_id, &f)?;
                Value::Bool(true)
            }
            F::RemoveTotp { user_id } => {
                let mut f = self.load_factors(&user_id)?;
                let had = f.totp.take().is_some();
                self.save_factors(&user_id, &f)?;
                Value::Bool(had)
            }
            F::SetRecovery {
                user_id,
                hashes,
                now,
            } => {
                let mut f = self.load_factors(&user_id)?;
                f.recovery_hashes = hashes;
                f.recovery_created_at = Some(now);
                self.save_factors(&user_id, &f)?;
                Value::Bool(true)
            }
            F::Import { user_id, factors } => {
                if self.load_factors(&user_id)?.is_empty() {
                    self.save_factors(&user_id, &factors)?;
                }
                Value::Null
            }
            F::Reset { user_id } => {
                let had = !self.load_factors(&user_id)?.is_empty();
                self.sql
                    .exec("DELETE FROM factors WHERE user_id = ?", vec![s(&user_id)])?;
                Value::Bool(had)
            }
            F::Counts => {
                #[derive(serde::Deserialize)]
                struct Row {
                    data: String,
                }
                #[derive(serde::Deserialize)]
                struct N {
                    n: i64,
                }
                let rows: Vec<Row> = self.rows("SELECT data FROM factors", vec![])?;
                let users: Vec<N> = self.rows("SELECT COUNT(*) AS n FROM users", vec![])?;
                let mut c = FactorCounts {
                    users: users.first().map(|n| n.n as u64).unwrap_or(0),
                    ..Default::default()
                };
                for r in rows {
                    let f: UserFactors = serde_json::from_str(&r.data)?;
                    c.totp += u64::from(f.totp.is_some());
                    c.recovery_codes += u64::from(!f.recovery_hashes.is_empty());
                }
                let with_passkeys: Vec<N> =
                    self.rows("SELECT COUNT(DISTINCT user_id) AS n FROM passkeys", vec![])?;
                c.passkeys = with_passkeys.first().map(|n| n.n as u64).unwrap_or(0);
                serde_json::to_value(c)?
            }
        })
    }
}
