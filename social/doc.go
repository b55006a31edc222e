// Package social signs users in through OAuth 2.0 and OpenID Connect
// providers: Google, Microsoft, Apple, GitLab, GitHub, Discord, and any
// OpenID Connect provider found by its issuer URL (Keycloak, Authentik,
// Dex, Zitadel and the like).
//
// It speaks the protocols only, with golang.org/x/oauth2 and
// github.com/coreos/go-oidc/v3: it builds the authorization URL of the
// authorization code flow with PKCE (S256), a state and a nonce
// ([Provider.Begin]), exchanges the code and verifies the ID token
// (issuer, audience, expiry, signature, nonce) or, for plain OAuth 2.0
// providers, reads the profile API ([Provider.Exchange]), and refreshes
// stored tokens ([Provider.Refresh]). It keeps nothing: the caller keeps
// a [Start] in the browser's server-side session until the provider sends
// the browser back, and decides what a [Profile] means for its accounts.
//
// # Verified email
//
// A [Profile]'s Email is whatever the provider says; EmailVerified is set
// only when the provider vouches for it: the email_verified claim of an
// OpenID Connect provider, a primary verified address from GitHub's
// /user/emails, Discord's verified flag. Microsoft's email claim is not
// verified by Microsoft unless the xms_edov claim says so, and is
// reported unverified otherwise. Never link accounts on an unverified
// email.
package social
