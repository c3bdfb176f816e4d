//! The passkey pages' words, in the hosted pages' two languages (`i18n::Locale`), and the
//! dates they show. Kept beside the pages rather than in `i18n` so the shared message table
//! is not edited for every feature.

use crate::http::i18n::Locale;

pub fn t(locale: Locale, key: &str) -> &'static str {
    let (en, zh) = match key {
        "sign_in_with_passkey" => ("Sign in with a passkey", "使用通行密钥登录"),
        "or" => ("or", "或"),
        "use_passkey_instead" => ("Use a passkey instead", "改用通行密钥"),
        "passkey_failed" => (
            "That passkey could not be used. Try again, or sign in with your password.",
            "无法使用该通行密钥。请重试，或使用密码登录。",
        ),
        "passkey_expired" => (
            "The passkey request expired. Try again.",
            "通行密钥请求已过期，请重试。",
        ),
        "passkeys_title" => ("Your passkeys", "你的通行密钥"),
        "signed_in_as" => ("Signed in as", "当前登录账号"),
        "no_passkeys" => ("You have no passkeys yet.", "你还没有通行密钥。"),
        "created" => ("Created", "创建于"),
        "last_used" => ("Last used", "上次使用"),
        "never" => ("never", "从未"),
        "rename" => ("Rename", "重命名"),
        "remove" => ("Remove", "删除"),
        "name_label" => ("Name", "名称"),
        "add_passkey" => ("Add a passkey", "添加通行密钥"),
        "default_name" => ("Passkey", "通行密钥"),
        "not_signed_in" => ("You are not signed in.", "你尚未登录。"),
        "sign_in_link" => ("Sign in to your account", "登录你的账号"),
        "unsupported" => (
            "This browser cannot use passkeys.",
            "此浏览器不支持通行密钥。",
        ),
        _ => ("", ""),
    };
    match locale {
        Locale::En => en,
        Locale::ZhCn => zh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages() {
        for k in [
            "sign_in_with_passkey",
            "passkey_failed",
            "passkeys_title",
            "add_passkey",
            "not_signed_in",
        ] {
            assert!(!t(Locale::En, k).is_empty() && !t(Locale::ZhCn, k).is_empty());
        }
    }
}
