//! Authentication context: the `acr` class (OIDC Core §2) and `amr` methods (RFC 8176) that
//! Doorward's id_tokens state. Doorward signs users in with a password only, so there is one
//! class and one method; every id_token carries both, whatever `acr_values` asked for (that
//! parameter requests `acr` as a voluntary claim, OIDC Core §3.1.2.1). Runtime-free.

/// The one class Doorward authenticates at: a password, one factor. A URN of Doorward's own:
/// no registry names password-only sign-in, and a level number ("0", "1") would mean nothing
/// to a relying party that has not read this file.
pub const ACR_PASSWORD: &str = "urn:doorward:acr:pwd";

/// RFC 8176 §2: `pwd`, password-based authentication.
pub const AMR_PASSWORD: &str = "pwd";

/// What discovery lists as `acr_values_supported`.
pub const ACR_VALUES_SUPPORTED: &[&str] = &[ACR_PASSWORD];

/// The `acr` of every sign-in Doorward performs.
pub fn achieved() -> &'static str {
    ACR_PASSWORD
}

/// The `amr` of every sign-in Doorward performs.
pub fn methods() -> &'static [&'static str] {
    &[AMR_PASSWORD]
}

pub fn is_supported(acr: &str) -> bool {
    ACR_VALUES_SUPPORTED.contains(&acr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_achieved_class_is_the_one_advertised() {
        assert!(is_supported(achieved()));
        assert!(!is_supported("urn:mace:incommon:iap:silver"));
        assert_eq!(methods(), ["pwd"]);
    }
}
