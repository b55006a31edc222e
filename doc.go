// Package auth adds accounts to a Go web app with nothing to host: sign-up
// with email verification, sign-in, sign-out, password reset, a profile
// page with signed-in devices, a JSON API and UI components, all stored in
// one embedded SQLite file.
//
// # Setup
//
// Create an [Auth] with [New], mount [Auth.Handler] at Config.Path (default
// "/auth/"), wrap the app in [Auth.Middleware] and protect routes with
// [Auth.RequireUser]:
//
//	a, err := auth.New(auth.Config{DatabasePath: "app.db", BaseURL: "https://example.com"})
//	if err != nil { ... }
//	defer a.Close()
//	mux := http.NewServeMux()
//	mux.Handle("/auth/", a.Handler())
//	mux.Handle("/app/", a.RequireUser(app))
//	http.ListenAndServe(":8080", a.Middleware(mux))
//
// Handlers read the signed-in user with [UserFrom] and the device session
// with [SessionFrom]. Templates place the user button with
// [Auth.Components].
//
// # Organizations
//
// Users create organizations and invite others with roles; the device
// session has an active organization, which handlers read with [OrgFrom]
// and check with [Has] and [HasRole] (no database read) or guard with
// [Auth.RequireOrg], [Auth.RequireRole] and [Auth.RequirePermission].
// Templates place the switcher with [Components.OrganizationSwitcher].
// See [OrganizationsConfig] and package orgs for the rules.
//
// # Social sign-in
//
// [Config].Social adds "Continue with Google" (GitHub, Microsoft, Apple,
// GitLab, Discord, or any OpenID Connect issuer) to the sign-in and
// sign-up pages and "Connected accounts" to the profile; see
// [SocialProvider] and [SocialLinking]. With Config.StoreProviderTokens,
// [Auth.ProviderToken] returns the provider's access token for the user,
// refreshed when needed. Package social holds the protocol side.
//
// # Two-step verification and reverification
//
// Users turn on an authenticator app, text message codes, or both, at
// Path+"/profile/mfa", and get backup codes; a sign-in then asks for a
// second factor (or a passkey) before any session exists. [MFAConfig]
// can require it of everyone ([MFARequired]); an organization can require
// it of its members ([Org].RequireMFA). Sensitive changes need a proof of
// the user's factors within MFAConfig.ReverificationWindow: past it, the
// user confirms at Path+"/reverify" and comes back.
// [Auth.RequireReverification] does the same for the app's own routes.
//
// # Security model
//
// Every link and redirect is built from Config.BaseURL, never from the
// request. Passwords follow NIST SP 800-63B-4 and are hashed with argon2id;
// sign-in failures are counted per account before the password is checked;
// answers never reveal whether an email has an account. Browser sessions
// are scs sessions in SQLite behind a __Host- cookie, renewed at every
// sign-in and privilege change, with idle and absolute timeouts; a revoked
// session or a banned user is signed out at the next request. Every
// state-changing route is protected by [net/http.CrossOriginProtection].
//
// Each user has a security log of sign-ins, failures, factor changes and
// revocations (Path+"/profile/security"). A sign-in from a device the
// account has not used before (a long-lived device cookie) is mailed to
// the user, and with Config.VerifyNewDevices it waits for a code sent to
// them before it gets a session.
//
// # Hot path
//
// [Auth.Middleware] runs on every request of the app. It reads the session
// cookie, hashes it and finds the session in an in-process cache that every
// sign-out, revocation, ban and user change clears at once; on a miss it
// makes one indexed read. See BENCHMARKS.md for figures.
package auth
