//! Bounds on what a request may carry, checked before anything else reads it: a body size,
//! a parameter count and a length per parameter. An identity provider reads its input before
//! the caller is authenticated, so without bounds anyone could make it parse, store or hash
//! megabytes (RFC 9700 §4.17 on resource exhaustion). Runtime-free.

use super::error::OAuthError;

/// A form or JSON body larger than this is refused with 413 before it is parsed.
pub const MAX_FORM_BODY: usize = 64 * 1024;
/// The admin API's JSON bodies (settings, users).
pub const MAX_JSON_BODY: usize = 256 * 1024;
/// More parameters than this in one request (query or body) is `invalid_request`.
pub const MAX_PARAMS: usize = 64;
/// The longest value of one parameter: room for signed JWTs (`id_token_hint`, assertions),
/// far more than any `state`, `nonce` or `scope` a client needs.
pub const MAX_VALUE: usize = 8 * 1024;
/// The longest parameter name.
pub const MAX_NAME: usize = 128;

/// Checks the count and sizes of a request's parameters.
pub fn check_params(pairs: &[(String, String)]) -> Result<(), OAuthError> {
    if pairs.len() > MAX_PARAMS {
        return Err(OAuthError::invalid_request(format!(
            "too many parameters (at most {MAX_PARAMS})"
        )));
    }
    for (k, v) in pairs {
        if k.len() > MAX_NAME {
            return Err(OAuthError::invalid_request(format!(
                "a parameter name is longer than {MAX_NAME} bytes"
            )));
        }
        if v.len() > MAX_VALUE {
            return Err(OAuthError::invalid_request(format!(
                "parameter `{k}` is longer than {MAX_VALUE} bytes"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(n: usize, len: usize) -> Vec<(String, String)> {
        (0..n).map(|i| (format!("p{i}"), "x".repeat(len))).collect()
    }

    #[test]
    fn counts_and_lengths_are_bounded() {
        assert!(check_params(&pairs(MAX_PARAMS, MAX_VALUE)).is_ok());
        assert!(check_params(&pairs(MAX_PARAMS + 1, 1)).is_err());
        assert!(check_params(&pairs(1, MAX_VALUE + 1)).is_err());
        assert!(check_params(&[("n".repeat(MAX_NAME + 1), String::new())]).is_err());
    }
}
