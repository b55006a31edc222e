// Package config holds embedauth's options: [Config] and the structs it
// nests. Apps use them through the root package's aliases (auth.Config,
// auth.MFAConfig, ...), so most never import this package; it exists so
// that every field is documented where `go doc` finds it.
//
// The zero value of every struct is a working, secure setup; each field's
// comment gives its default, filled in by auth.New, which never changes
// the caller's Config.
//
// # Operating an app
//
// [SignUpConfig] says who may create an account (public, restricted to
// invited addresses, or a waitlist; allow and block lists; disposable
// email domains refused) until an administrator saves other settings at
// run time. [RateLimits].SignUpsPerHour caps new accounts per client IP.
// [BotProtection] adds a Cloudflare Turnstile or hCaptcha challenge to the
// sign-in and sign-up forms. [ImpersonationConfig] bounds how long an
// administrator ([Config].IsAdmin) may act as a user, and whether other
// administrators may be impersonated.
package config
