//! The hosted pages' languages: English and Simplified Chinese, chosen from `ui_locales`
//! (OIDC Core §3.1.2.1) first, then `Accept-Language`. Page templates carry `{{msg:key}}`
//! placeholders; the worker's own messages (errors on the login page) come from here too.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    ZhCn,
}

impl Locale {
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }
}

fn parse_tag(tag: &str) -> Option<Locale> {
    let t = tag.trim().to_ascii_lowercase();
    if t == "en" || t.starts_with("en-") {
        Some(Locale::En)
    } else if t == "zh" || t.starts_with("zh-cn") || t.starts_with("zh-hans") || t == "zh-sg" {
        Some(Locale::ZhCn)
    } else {
        None
    }
}

/// `ui_locales` is space-separated in preference order; `Accept-Language` is comma-separated
/// with q-values (RFC 9110 §12.5.4).
pub fn negotiate(ui_locales: Option<&str>, accept_language: Option<&str>) -> Locale {
    if let Some(l) = ui_locales.and_then(|u| u.split(' ').find_map(parse_tag)) {
        return l;
    }
    let mut ranked: Vec<(f32, Locale)> = accept_language
        .unwrap_or("")
        .split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let loc = parse_tag(it.next()?)?;
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            Some((q, loc))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    ranked.first().map(|(_, l)| *l).unwrap_or(Locale::En)
}

/// A message by key; `{app}` and `{minutes}` are filled by the caller.
pub fn msg(locale: Locale, key: &str) -> &'static str {
    let (en, zh) = match key {
        "sign_in_title" => ("Sign in to {app}", "登录 {app}"),
        "login_label" => ("Username, email or phone", "用户名、邮箱或手机号"),
        "password_label" => ("Password", "密码"),
        "sign_in_button" => ("Sign in", "登录"),
        "consent_title" => (
            "{app} wants to access your account",
            "{app} 请求访问你的账号",
        ),
        "signed_in_as" => ("Signed in as", "当前登录账号"),
        "will_allow" => ("This will allow {app} to:", "授权后 {app} 将可以："),
        "client_uri" => ("About this application", "关于此应用"),
        "policy_uri" => ("Privacy policy", "隐私政策"),
        "tos_uri" => ("Terms of service", "服务条款"),
        "allow" => ("Allow", "允许"),
        "deny" => ("Deny", "拒绝"),
        "withdraw_note" => (
            "You can withdraw this permission at any time.",
            "你可以随时撤销此授权。",
        ),
        "error_heading" => ("Something went wrong", "出错了"),
        "error_code_label" => ("Error code:", "错误代码："),
        "logout_title" => ("Sign out of {app}?", "退出 {app}？"),
        "sign_out" => ("Sign out", "退出登录"),
        "stay_signed_in" => ("Stay signed in", "保持登录"),
        "logged_out_title" => ("You are signed out.", "你已退出登录。"),
        "close_window" => ("You can close this window.", "你可以关闭此窗口。"),
        "wrong_password" => ("Incorrect username or password.", "用户名或密码错误。"),
        "enter_credentials" => ("Enter your username and password.", "请输入用户名和密码。"),
        "blocked" => (
            "This account is blocked. Contact your administrator.",
            "此账号已被禁用，请联系管理员。",
        ),
        "locked" => (
            "Too many failed attempts. Try again in {minutes} minutes.",
            "失败次数过多，请在 {minutes} 分钟后重试。",
        ),
        "scope_openid" => ("Sign you in with your account", "使用你的账号登录"),
        "scope_profile" => (
            "See your name, nickname, picture and other profile details",
            "查看你的姓名、昵称、头像等个人资料",
        ),
        "scope_email" => ("See your email address", "查看你的邮箱地址"),
        "scope_phone" => ("See your phone number", "查看你的手机号"),
        "scope_address" => ("See your postal address", "查看你的邮寄地址"),
        "scope_offline_access" => (
            "Stay signed in and access your data while you are away",
            "在你离开时保持登录并访问你的数据",
        ),
        "invalid_request_title" => ("The sign-in request is not valid", "登录请求无效"),
        "mfa_title" => ("Two-step verification", "两步验证"),
        "mfa_intro" => (
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
            "请输入身份验证器应用中的 6 位验证码，或一个恢复码。",
        ),
        "code_label" => ("Code", "验证码"),
        "verify_button" => ("Verify", "验证"),
        "wrong_code" => ("That code is not right.", "验证码不正确。"),
        "replayed_code" => (
            "That code was already used. Wait for the next one.",
            "该验证码已被使用，请等待下一个。",
        ),
        "enrol_title" => ("Set up an authenticator app", "设置身份验证器应用"),
        "enrol_intro" => (
            "{app} asks for a second step at sign-in. Scan this code with an authenticator app, or enter the key by hand, then type the 6-digit code it shows.",
            "{app} 要求登录时进行第二步验证。请用身份验证器应用扫描此二维码或手动输入密钥，然后输入其显示的 6 位验证码。",
        ),
        "enrol_key" => ("Key", "密钥"),
        "recovery_title" => ("Save your recovery codes", "保存你的恢复码"),
        "recovery_intro" => (
            "Each code signs you in once if you lose your authenticator app. They are shown only now: keep them somewhere safe.",
            "如果你丢失了身份验证器应用，每个恢复码可登录一次。它们仅显示这一次，请妥善保存。",
        ),
        "continue_button" => ("Continue", "继续"),
        "account_title" => ("Your account", "你的账号"),
        "password_section" => ("Password", "密码"),
        "current_password" => ("Current password", "当前密码"),
        "new_password" => ("New password", "新密码"),
        "change_password" => ("Change password", "修改密码"),
        "password_changed" => (
            "Your password was changed. Your other sessions were ended.",
            "密码已修改，你的其他会话已结束。",
        ),
        "password_rules" => ("A password has 8 to 256 characters.", "密码长度为 8 到 256 个字符。"),
        "authenticator_section" => ("Authenticator app", "身份验证器应用"),
        "authenticator_on" => ("An authenticator app is set up.", "已设置身份验证器应用。"),
        "authenticator_off" => ("No authenticator app is set up.", "尚未设置身份验证器应用。"),
        "set_up" => ("Set up", "设置"),
        "remove" => ("Remove", "移除"),
        "recovery_left" => ("Recovery codes left: {n}", "剩余恢复码：{n}"),
        "regenerate_codes" => ("New recovery codes", "生成新的恢复码"),
        "mfa_off_pool" => (
            "Second factors are turned off for your organisation.",
            "你的组织已关闭第二因素。",
        ),
        "totp_removed" => ("The authenticator app was removed.", "身份验证器应用已移除。"),
        "passkeys_section" => ("Passkeys", "通行密钥"),
        "manage_passkeys" => ("Manage passkeys", "管理通行密钥"),
        "sessions_section" => ("Signed-in sessions", "已登录的会话"),
        "this_session" => ("this browser", "当前浏览器"),
        "end_session" => ("End", "结束"),
        "consents_section" => ("Applications you allowed", "你已授权的应用"),
        "withdraw" => ("Withdraw", "撤销"),
        "nothing_here" => ("None.", "无。"),
        "unknown_client_title" => ("Unknown application", "未知应用"),
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
    fn ui_locales_wins_then_accept_language_by_quality() {
        assert_eq!(negotiate(Some("fr zh-CN"), Some("en")), Locale::ZhCn);
        assert_eq!(negotiate(None, Some("en;q=0.5, zh-CN;q=0.9")), Locale::ZhCn);
        assert_eq!(negotiate(None, Some("de")), Locale::En);
        assert_eq!(negotiate(None, None), Locale::En);
    }

    #[test]
    fn every_key_has_both_languages() {
        for k in [
            "sign_in_title",
            "wrong_password",
            "locked",
            "scope_email",
            "allow",
            "mfa_title",
            "wrong_code",
            "enrol_intro",
            "recovery_intro",
        ] {
            assert!(!msg(Locale::En, k).is_empty() && !msg(Locale::ZhCn, k).is_empty());
        }
    }
}
