package web

import (
	"fmt"

	"github.com/embedauth/auth/social"
)

// SocialProvider configures sign-in through one OAuth 2.0 or OpenID
// Connect provider: a "Continue with <Name>" button on the sign-in and
// sign-up pages, and a "Connect" button on the profile. Register
// BaseURL+Path+"/oauth/"+ID+"/callback" as the redirect URI at the
// provider.
type SocialProvider struct {
	// Kind is the preset: SocialGoogle, SocialMicrosoft, SocialApple,
	// SocialGitLab, SocialGitHub, SocialDiscord, or SocialOIDC for any
	// OpenID Connect provider found by IssuerURL (Keycloak, Authentik,
	// Dex, Zitadel...).
	Kind SocialKind
	// ID names the provider in URLs and in stored accounts: lower-case
	// letters, digits and "-". Default: the Kind ("google"); required for
	// SocialOIDC. Changing it later disconnects every account linked under
	// the old ID.
	ID string
	// Name is the button's label. Default: the preset's name ("Google"),
	// or the ID for SocialOIDC.
	Name string
	// ClientID and ClientSecret are the app's credentials at the
	// provider. For Apple, ClientSecret is the client-secret JWT the app
	// signs with its key.
	ClientID     string
	ClientSecret string
	// Scopes replace the preset's scopes ("openid profile email" for
	// OpenID Connect, "read:user user:email" for GitHub, "identify email"
	// for Discord).
	Scopes []string
	// IssuerURL is the issuer of a SocialOIDC provider, such as
	// "https://sso.example.com/realms/app", or the base URL of a
	// self-hosted GitLab (default https://gitlab.com). The discovery
	// document at IssuerURL+"/.well-known/openid-configuration" is read
	// on first use and must name the same issuer. For SocialApple it
	// replaces Apple's issuer, for a local provider in tests.
	IssuerURL string
	// Tenant is the Microsoft Entra tenant id or domain. Default "common"
	// (any work, school or personal account).
	Tenant string
	// AuthURL, TokenURL and APIURL override endpoints: GitHub Enterprise's
	// or Discord's, or a SocialOIDC provider's authorization page when it
	// is on another origin than IssuerURL (pages must allow that origin
	// as a form target).
	AuthURL, TokenURL, APIURL string
	// FormPost makes the provider send its answer as a form POST to the
	// callback (response_mode=form_post) instead of a redirect. SocialApple
	// always does (Apple requires it to share the email and name); set it
	// for a SocialOIDC provider that needs it. The callback turns the POST
	// into the usual redirect, so the browser's session cookie (SameSite
	// Lax) comes along.
	FormPost bool
}

// SocialKind names a provider preset.
type SocialKind = social.Kind

// The provider presets of SocialProvider.Kind.
const (
	SocialOIDC      = social.KindOIDC
	SocialGoogle    = social.KindGoogle
	SocialMicrosoft = social.KindMicrosoft
	SocialApple     = social.KindApple
	SocialGitLab    = social.KindGitLab
	SocialGitHub    = social.KindGitHub
	SocialDiscord   = social.KindDiscord
)

// SocialLinking decides what happens when someone signs in through a
// provider for the first time with the email of an existing account.
// Whatever it says, an email the provider did not verify never joins an
// existing account.
type SocialLinking int

const (
	// SocialLinkAfterSignIn (the default) never joins accounts by email
	// alone: the person is asked to sign in to the existing account the
	// usual way, and once they do, in the same browser within 10 minutes,
	// the provider identity is connected to it.
	SocialLinkAfterSignIn SocialLinking = iota
	// SocialLinkVerifiedEmail joins the provider identity to the account
	// when the provider verified the email and the account holds that
	// address, and signs the person in (after their second factor, if
	// they have one). An account whose address was never verified loses
	// its password and sessions, since whoever set them never proved the
	// address. Use it only with providers you trust to verify emails.
	SocialLinkVerifiedEmail
)

var socialNames = map[SocialKind]string{
	SocialGoogle: "Google", SocialMicrosoft: "Microsoft", SocialApple: "Apple", SocialGitLab: "GitLab",
	SocialGitHub: "GitHub", SocialDiscord: "Discord",
}

// checkSocial fills the providers' defaults and reports what is wrong.
func (s *settings) checkSocial() []error {
	var errs []error
	s.Social = append([]SocialProvider(nil), s.Social...)
	seen := map[string]bool{}
	for i := range s.Social {
		p := &s.Social[i]
		p.Scopes = append([]string(nil), p.Scopes...)
		if p.ID == "" && p.Kind != SocialOIDC {
			p.ID = string(p.Kind)
		}
		if p.Name == "" {
			p.Name = socialNames[p.Kind]
		}
		if p.Name == "" {
			p.Name = p.ID
		}
		if seen[p.ID] {
			errs = append(errs, fmt.Errorf("the provider id %q is used twice in Social", p.ID))
		}
		seen[p.ID] = true
	}
	if s.SocialLinking != SocialLinkAfterSignIn && s.SocialLinking != SocialLinkVerifiedEmail {
		errs = append(errs, fmt.Errorf("SocialLinking %d is unknown", s.SocialLinking))
	}
	return errs
}
