package config

import (
	"context"
	"database/sql"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/embedauth/auth/captcha"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/password"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/social"
	"github.com/embedauth/auth/token"
)

// Config configures an auth.Auth. The zero value is a working, secure
// development setup: an SQLite file embedauth.db in the working directory,
// BaseURL http://localhost:8080, mail captured in the dev outbox at
// /auth/dev/mail. Every field's comment gives its default. auth.New never
// changes the caller's Config.
type Config struct {
	// DatabasePath is the SQLite file, created and migrated on first start.
	// Default "embedauth.db". Ignored when DB or DatabaseURL is set.
	DatabasePath string
	// DatabaseURL selects PostgreSQL instead of SQLite: a URL such as
	// "postgres://user:pass@host:5432/db?sslmode=verify-full" (or any
	// connection string pgx accepts; pool_max_conns sizes the pool,
	// search_path chooses the schema). The tables are created and migrated
	// on first start. Several app instances may share one database: they
	// share users, sessions, rate limits and the mail and webhook queues.
	// EncryptionKey is required with it, the same in every instance.
	// The program must link PostgreSQL with
	// import _ "github.com/embedauth/auth/postgres" (without it, New
	// refuses the URL with an error naming that import).
	// Default: none (SQLite).
	DatabaseURL string
	// DB is a pool the app opened itself with store.DSN, to keep its own
	// tables in the same file. The app closes it.
	DB *sql.DB

	// BaseURL is the app's public origin, such as "https://example.com".
	// Every link in mail and every redirect is built from it, never from a
	// request's Host. It must be https unless its host is localhost.
	// Default "http://localhost:8080".
	BaseURL string
	// Path is where Handler is mounted. Default "/auth".
	Path string
	// AllowedRedirectOrigins are other origins (scheme://host[:port]) that
	// redirect_url may point to. The BaseURL origin is always allowed.
	AllowedRedirectOrigins []string

	// AppName is shown on pages and in mail. Default "embedauth".
	AppName string
	// Appearance themes the pages and mail.
	Appearance Appearance
	// Templates overrides page templates by file name (see package ui).
	Templates fs.FS

	// DevMode shows the dev outbox at Path+"/dev/mail" (to loopback clients
	// only) and keeps mail bodies there. Default: on exactly when BaseURL's
	// host is localhost.
	DevMode *bool
	// SMTP sends mail through an SMTP server. Default: none, so mail goes to
	// the dev outbox in dev mode; outside dev mode one of SMTP or Mailer is
	// required.
	SMTP *mail.SMTPConfig
	// Mailer sends mail through any Sender; it takes precedence over SMTP.
	Mailer mail.Sender
	// MailTemplates overrides mail templates by file name (see package mail).
	MailTemplates fs.FS

	// DefaultLanguage is the language (a BCP 47 tag) of pages, mail, text
	// messages and error messages when neither the user's saved choice
	// nor the request's Accept-Language names one embedauth has. It must
	// be one of the shipped languages (en, de, fr, es, pt-BR, ja, ar), a
	// close variant of one ("de-AT" is German), or one that Translations
	// adds. Default "en".
	DefaultLanguage string
	// Translations overrides messages and adds languages: files named
	// TAG.json (such as "de.json" or "it.json") at the root of the fs.FS,
	// each a JSON object from a message's English text to its
	// translation (see README, "Languages"). A key that is not one of
	// embedauth's messages is an error at New. Optional.
	Translations fs.FS

	// EncryptionKey (32 bytes) seals mail bodies and other secrets at rest.
	// Keep it outside the database file. Default: read from, or created at,
	// DatabasePath+".key" with a warning outside dev mode. Required with DB.
	EncryptionKey []byte

	// PasswordMinLength is the shortest password accepted, in characters.
	// Default 15 (NIST SP 800-63B-4); it cannot be set below 8.
	PasswordMinLength int
	// PasswordMaxLength is the longest, in characters. Default 1024.
	PasswordMaxLength int
	// PasswordHashing sets the argon2id cost. Default m=19 MiB, t=2, p=1.
	PasswordHashing Argon2Params
	// PasswordHashConcurrency bounds the hashes running at once. Default
	// GOMAXPROCS. A request that waits longer than PasswordHashWait for a
	// slot gets 429 with Retry-After. Default wait 2 s.
	PasswordHashConcurrency int
	PasswordHashWait        time.Duration

	// SessionMode is SessionSingle (default) or SessionMulti.
	SessionMode SessionMode
	// SessionIdleTimeout ends a session after this long without a request.
	// Default 7 days.
	SessionIdleTimeout time.Duration
	// SessionLifetime ends a session this long after sign-in, whatever its
	// activity. Default 30 days.
	SessionLifetime time.Duration
	// SessionCacheTTL bounds how long Middleware trusts its in-process cache
	// of a session. Revocations in this process take effect at once; this
	// bounds how late another process sharing the file sees them. Default
	// 30 s; negative disables the cache.
	SessionCacheTTL time.Duration

	// LockoutThreshold is how many failed passwords within LockoutDuration
	// lock password sign-in to an address. The first lock lasts a minute,
	// each one that follows within LockoutDuration twice as long as the
	// last, up to LockoutDuration; failures older than LockoutDuration are
	// forgotten, and a right password clears the count and the locks.
	// Addresses without an account lock by the same rule, with the same
	// answers. Default 10. A locked account can still reset its password
	// or sign in with a passkey.
	LockoutThreshold int
	// LockoutDuration is how long a failed password counts and the
	// longest a lock lasts. Default 1 hour.
	LockoutDuration time.Duration
	// VerificationCodeTTL is how long an email verification code is valid.
	// Default 10 minutes.
	VerificationCodeTTL time.Duration
	// ResetTokenTTL is how long a password reset link is valid. Default 30
	// minutes.
	ResetTokenTTL time.Duration
	// SecurityLogRetention is how long entries of a user's security log
	// (sign-ins, failures, factor changes, revocations) are kept. Default
	// 90 days.
	SecurityLogRetention time.Duration
	// DisableNewDeviceEmails stops the mail a user gets when their account
	// signs in from a device it has not used before. Default false: the
	// mail is sent.
	DisableNewDeviceEmails bool
	// VerifyNewDevices holds a sign-in from a device the account has not
	// used before, after every other factor, until the user enters a
	// 6-digit code mailed to their primary email (texted to the primary
	// phone of an account without an email). Default false.
	VerifyNewDevices bool
	// RateLimits caps requests per client IP per minute.
	RateLimits RateLimits
	// ClientIP returns the client's address for rate limits and the session
	// list. Default: the host of r.RemoteAddr. Behind a proxy, supply one
	// that reads the header your proxy sets.
	ClientIP func(r *http.Request) string

	// Methods are the ways to sign in and sign up that pages and the API
	// offer, in the order pages show them. Default DefaultMethods
	// (password, passkey, email code, magic link).
	Methods []Method
	// Passwordless sets the rules of magic links and one-time codes.
	Passwordless PasswordlessConfig
	// SMS sends the text messages of MethodSMSCode (mail.TwilioSender, or
	// any mail.SMSSender). Default: in dev mode, the dev outbox.
	SMS mail.SMSSender

	// Organizations configures teams with roles and permissions,
	// invitations and verified domains.
	Organizations OrganizationsConfig

	// Passkeys configures WebAuthn passkeys: on by default for BaseURL
	// (see PasskeyConfig).
	Passkeys PasskeyConfig

	// Social lists the OAuth 2.0 and OpenID Connect providers people can
	// sign in, sign up and connect their account with ("Continue with
	// Google"). Default none.
	Social []SocialProvider
	// SocialLinking decides whether a provider identity whose verified
	// email belongs to an existing account joins it by itself
	// (SocialLinkVerifiedEmail) or only once the person has signed in to
	// that account and connected the provider from the profile
	// (SocialLinkAfterSignIn, the default).
	SocialLinking SocialLinking
	// StoreProviderTokens keeps each provider's access and refresh tokens,
	// sealed with EncryptionKey, so the app can call the provider's API for
	// the user with [Auth.ProviderToken]. Default false: tokens are used
	// once to read the profile and dropped.
	StoreProviderTokens bool

	// Tokens configures the JWTs of GET Path+"/api/token" (session tokens,
	// accepted by Middleware as "Authorization: Bearer", and JWT templates
	// for other services) and their signing keys.
	Tokens TokensConfig
	// Webhooks configures the delivery of events to webhook endpoints.
	Webhooks WebhooksConfig
	// MFA configures two-step verification (who must use it) and
	// reverification before sensitive changes.
	MFA MFAConfig
	// IsAdmin reports whether a signed-in user administers this app: may
	// manage users, webhook endpoints, JWT templates and signing keys
	// through the API and the admin pages (Path+"/admin/users",
	// Path+"/admin/webhooks"). Users granted administration in the database
	// (Auth.SetAdmin, "embedauth admin grant") are administrators too.
	// Default nil: only those, so with none granted the admin pages answer
	// 404 and the admin API 403.
	IsAdmin func(core.User) bool

	// SignUp restricts who may create an account. The zero value lets
	// anyone sign up, except with an address at a disposable-email domain.
	// Administrators may change the mode and lists at run time
	// (Path+"/admin/sign-up", [Auth.UpdateSignUpSettings]); what they
	// save overrides these.
	SignUp SignUpConfig
	// BotProtection puts a challenge (Cloudflare Turnstile or hCaptcha) on
	// the sign-in and sign-up forms, verified on the server. Default off.
	BotProtection BotProtection
	// Impersonation lets administrators act as a user. It is available to
	// users IsAdmin accepts; the zero value is a one-hour limit and no
	// impersonation of other administrators.
	Impersonation ImpersonationConfig

	// Logger receives errors and warnings. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Argon2Params are argon2id costs: Memory in KiB, Time iterations, Threads.
type Argon2Params = password.Params

// SessionMode chooses how many accounts one browser may be signed in to.
type SessionMode int

const (
	// SessionSingle allows one account per browser (the default).
	SessionSingle SessionMode = iota
	// SessionMulti allows several accounts signed in at once in one browser,
	// with one active and the others a switch away.
	SessionMulti
)

// RateLimits caps requests per client IP per minute, per group of
// endpoints. Zero means the default; negative disables the limit.
type RateLimits struct {
	SignIn int // default 30
	SignUp int // default 10
	Codes  int // verification code attempts and resends; default 30
	Reset  int // forgot-password requests; default 10
	// SignUpsPerHour caps the accounts started per client IP per hour,
	// on every way of signing up (password, passkey, email code, magic
	// link, text message, social sign-in). Default 20.
	SignUpsPerHour int
}

// Appearance themes pages and mail with CSS colors and a logo.
type Appearance struct {
	// PrimaryColor is the color of buttons and links: "#rgb", "#rrggbb"
	// or "rgb(r, g, b)". Default "#4f46e5". Links, focus rings and button
	// labels use shades of it that meet WCAG AA contrast in light and dark
	// mode.
	PrimaryColor string
	// Radius is the corner radius of cards and inputs. Default "10px".
	Radius string
	// FontFamily is the font stack. Default the system UI stack.
	FontFamily string
	// LogoURL is shown above forms and in mail. Default none.
	LogoURL string
}

// TokensConfig configures the JWTs embedauth mints: session tokens for the
// app's own API (GET Path+"/api/token", accepted as "Authorization:
// Bearer" by Middleware) and JWT templates for other services. The zero
// value works.
type TokensConfig struct {
	// Algorithm is the algorithm of the signing keys: token.ES256
	// (default), token.RS256 or token.EdDSA. A key is generated on first
	// start; when the current key has another algorithm, New rotates to a
	// new key of this one.
	Algorithm string
	// SessionTokenLifetime is how long a session token lives. Default 60 s,
	// at most 10 minutes: a revoked session's tokens are refused by other
	// services only when they expire.
	SessionTokenLifetime time.Duration
	// Templates are named JWT templates for other services, minted by
	// GET Path+"/api/token?template=NAME". Administrators may store more
	// through the API, under other names. A template with a problem (an
	// unknown shortcode, a registered claim, a short secret) makes New fail.
	Templates []JWTTemplate
}

// JWTTemplate describes a JWT for another service: see [token.Template].
type JWTTemplate = token.Template

// MFAPolicy says who must use two-step verification.
type MFAPolicy int

const (
	// MFAOptional lets each user choose (the default). Organizations may
	// still require it of their members (see [Org].RequireMFA).
	MFAOptional MFAPolicy = iota
	// MFARequired makes every user set up two-step verification before
	// their session can be used: until then Middleware leaves requests
	// signed out, RequireUser sends browsers to the setup page and answers
	// API clients 403 "mfa_enrollment_required", and no tokens are minted.
	MFARequired
)

// MFAConfig configures two-step verification and reverification. The zero
// value makes two-step verification optional, offers the SMS code as a
// second factor when SMS codes are on, and asks users to confirm it's
// them before sensitive changes when their last proof is older than 10
// minutes.
type MFAConfig struct {
	// Policy is MFAOptional (default) or MFARequired.
	Policy MFAPolicy
	// ReverificationWindow is how long a proof of the user's factors (at
	// sign-in, or at the reverification page) allows sensitive changes:
	// changing email addresses, phone numbers or the password, adding or
	// removing passkeys and factors, deleting the account, deleting an
	// organization and changing members' roles. Default 10 minutes.
	ReverificationWindow time.Duration
	// DisableSMS stops offering a text message code as a second factor to
	// users with a verified phone number. (It is offered only when
	// Config.Methods includes MethodSMSCode and an SMS sender is set.)
	DisableSMS bool
}

// DefaultReverificationAge is the window RequireReverification uses when
// given a maxAge of zero or less.
const DefaultReverificationAge = 10 * time.Minute

// PasskeyConfig configures passkeys (WebAuthn). The zero value turns them
// on for BaseURL, with user verification required and no attestation.
type PasskeyConfig struct {
	// Mode is PasskeysOptional (default), PasskeysRequired or
	// PasskeysDisabled.
	Mode PasskeyMode
	// UserVerification is PasskeyUVRequired (default: the authenticator
	// checks a PIN or biometrics, so a passkey alone is a multi-factor
	// sign-in) or PasskeyUVPreferred (security keys without a PIN work
	// too).
	UserVerification PasskeyUserVerification
	// Attestation is PasskeyAttestationNone (default: registrations ask
	// for no attestation statement), PasskeyAttestationIndirect or
	// PasskeyAttestationDirect (the authenticator's statement is verified
	// and its format recorded; it is not checked against a trust store).
	Attestation PasskeyAttestation
	// RPID is the WebAuthn relying party id, the domain passkeys belong
	// to. Default: the host of BaseURL. Set the parent domain, such as
	// "example.com", when the app runs on a subdomain and passkeys should
	// work across its siblings. It cannot be an IP address.
	RPID string
	// Origins are the exact origins ceremonies may come from, each on RPID
	// or a subdomain of it. Default: the BaseURL origin. The origin a
	// browser reports is checked against this list only, never against a
	// request's Host.
	Origins []string
}

// PasskeyMode turns passkeys on or off.
type PasskeyMode int

const (
	// PasskeysOptional lets users add passkeys and sign in with them (the
	// default).
	PasskeysOptional PasskeyMode = iota
	// PasskeysRequired is PasskeysOptional, and after each sign-in users
	// without a passkey are asked to add one.
	PasskeysRequired
	// PasskeysDisabled hides every passkey page, button and script, and
	// answers the passkey API with 404.
	PasskeysDisabled
)

// PasskeyAttestation is the attestation conveyance registrations ask for.
type PasskeyAttestation int

const (
	// PasskeyAttestationNone asks for no attestation (the default).
	PasskeyAttestationNone PasskeyAttestation = iota
	// PasskeyAttestationIndirect lets the browser anonymise the statement.
	PasskeyAttestationIndirect
	// PasskeyAttestationDirect asks for the authenticator's own statement.
	PasskeyAttestationDirect
)

// PasskeyUserVerification says whether ceremonies require user
// verification.
type PasskeyUserVerification int

const (
	// PasskeyUVRequired refuses passkeys that did not verify the user (the
	// default).
	PasskeyUVRequired PasskeyUserVerification = iota
	// PasskeyUVPreferred asks for user verification but accepts presence.
	PasskeyUVPreferred
)

// Method is a way to sign in or sign up that the pages and the API offer.
type Method string

// The methods. Config.Methods lists the enabled ones.
const (
	// MethodPassword: email and password, with the email verified by code
	// at sign-up.
	MethodPassword Method = "password"
	// MethodPasskey: a WebAuthn passkey.
	MethodPasskey Method = "passkey"
	// MethodEmailCode: a one-time code mailed to the address.
	MethodEmailCode Method = "email_code"
	// MethodMagicLink: a one-time link mailed to the address, confirmed on
	// a page whose POST uses it.
	MethodMagicLink Method = "magic_link"
	// MethodSMSCode: a one-time code texted to a phone number. It needs
	// Config.SMS outside dev mode.
	MethodSMSCode Method = "sms_code"
)

// DefaultMethods are the methods enabled when Config.Methods is nil.
var DefaultMethods = []Method{MethodPassword, MethodPasskey, MethodEmailCode, MethodMagicLink}

// PasswordlessConfig sets the rules of magic links and one-time codes.
// Zero fields get the defaults given; negative caps disable a cap.
type PasswordlessConfig struct {
	// CodeLength is the number of digits of email and SMS codes, 6 or 8.
	// Default 6.
	CodeLength int
	// CodeTTL is how long a code works. Default 10 minutes.
	CodeTTL time.Duration
	// LinkTTL is how long a magic link works. Default 15 minutes.
	LinkTTL time.Duration
	// CrossDeviceLinks lets a magic link be completed on another device
	// than the browser that asked for it (a phone, say): that device signs
	// in, and the asking browser, which waits on a page that refreshes
	// itself, can continue signed in too. So that a person who opens a link
	// someone else asked for cannot sign that someone in with a blind
	// click, the asking browser shows a 2-digit code that must be entered
	// on the device that opens the link; three wrong codes end the flow.
	// Default off: a link works only in the browser that asked for it, and
	// elsewhere says so.
	CrossDeviceLinks bool
	// SameDeviceLinks is what links do unless CrossDeviceLinks is set.
	//
	// Deprecated: same-device links are the default; setting this changes
	// nothing, and setting it with CrossDeviceLinks is an error.
	SameDeviceLinks bool
	// MaxCodeAttempts is the number of wrong entries one code allows.
	// Default 5. Wrong codes also count towards LockoutThreshold per
	// address (across codes, flows and resends), which locks the address
	// for LockoutDuration.
	MaxCodeAttempts int
	// MaxSendsPerFlow is the number of codes or links one flow may send
	// (the first and its resends). Default 5.
	MaxSendsPerFlow int
	// EmailsPerAddressPerHour caps the codes and links mailed to one
	// address. Default 10.
	EmailsPerAddressPerHour int
	// SMSPerNumberPerDay, SMSPerIPPerDay and SMSPerDay cap the text
	// messages sent to one number, for one client IP, and in all, per UTC
	// day. SMS costs money. Defaults 10, 20 and 1000.
	SMSPerNumberPerDay int
	SMSPerIPPerDay     int
	SMSPerDay          int
	// SMSTemplate is the text/template of SMS codes (see mail.SMSData).
	// Default mail.DefaultSMSTemplate.
	SMSTemplate string
	// SMSRetries is how many times a failed SMS is retried (after 5 s,
	// 30 s, 2 min, ...) before it is given up. Default 3.
	SMSRetries int
}

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

// WebhooksConfig configures webhook delivery. Endpoints themselves are
// managed by administrators through the API and the admin page (see
// Config.IsAdmin). The zero value works.
type WebhooksConfig struct {
	// AllowedNetworks are internal networks that endpoints may point to,
	// as CIDR prefixes or single addresses, such as "127.0.0.1" for a
	// receiver on the same host or "10.0.0.0/8". Webhooks never reach
	// loopback, private, link-local (cloud metadata) or other special
	// addresses otherwise, neither when an endpoint is saved nor when a
	// connection is made. Plain http is accepted only to these networks.
	// Default none.
	AllowedNetworks []string
	// LookupIP resolves endpoint host names. Default the system resolver.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// Poll is how often the dispatcher looks for new events. Default 1 s.
	Poll time.Duration
	// LogRetention is how long delivered and failed messages, with their
	// delivery log, are kept. Default 30 days.
	LogRetention time.Duration
}

// OrganizationsConfig configures organizations. The zero value lets every
// user create organizations without limit, with the roles org:admin and
// org:member; users without an organization keep a personal account
// (use [Auth.RequireOrg] where the app needs one).
type OrganizationsConfig struct {
	// Roles are roles every organization has besides org:admin and
	// org:member, such as {Key: "org:billing", Name: "Billing",
	// Permissions: []string{"org:invoices:read"}}. A role keyed org:member
	// replaces the member role's name and permissions (default: read the
	// member list). Organizations may define more roles at run time.
	Roles []core.Role
	// Permissions are the permissions roles may hold, such as
	// {Key: "org:invoices:write", Name: "Write invoices"}. The system
	// permissions (org:sys_profile:manage, org:sys_memberships:manage, ...)
	// always exist.
	Permissions []core.Permission
	// MaxPerUser is how many organizations one user may create. Default 0:
	// no limit.
	MaxPerUser int
	// MaxMembers is how many members, counting pending invitations, one
	// organization may have. Default 0: no limit.
	MaxMembers int
	// InvitationTTL is how long an invitation can be accepted. Default 7
	// days.
	InvitationTTL time.Duration
	// DefaultRole is the role of people who join through a verified
	// domain. Default org:member.
	DefaultRole string
}

// SignUpConfig restricts who may create an account: the mode, allowlist
// and blocklist in force until an administrator saves others, and the
// refusal of disposable-email domains. Every way of signing up obeys it.
type SignUpConfig struct {
	// Mode is who may sign up: core.SignUpPublic (anyone, the default),
	// core.SignUpRestricted (invited addresses only: a sign-up invitation,
	// a pending organization invitation, or the allowlist) or
	// core.SignUpWaitlist (the same, and everyone else may join a
	// waitlist at Path+"/waitlist"; approving an entry mails an
	// invitation).
	Mode core.SignUpMode
	// Allowlist holds addresses ("ada@example.com") and domains
	// ("example.com", subdomains included) that may sign up in every mode
	// and are never taken for disposable.
	Allowlist []string
	// Blocklist holds addresses and domains that may never sign up.
	Blocklist []string
	// AllowDisposable lets addresses at disposable-email domains sign up.
	// Default false: they are refused with the code "email_disposable".
	AllowDisposable bool
	// DisposableDomains are refused besides the list shipped in package
	// signup (see signup.DisposableDomains).
	DisposableDomains []string
	// ReplaceDisposableDomains makes DisposableDomains the whole list,
	// instead of additions to the shipped one.
	ReplaceDisposableDomains bool
	// InvitationTTL is how long an invitation to sign up (an approved
	// waitlist entry, [Auth.InviteToSignUp]) lasts. Default 14 days.
	InvitationTTL time.Duration
}

// Bot-protection providers.
const (
	BotProtectionTurnstile = "turnstile"
	BotProtectionHCaptcha  = "hcaptcha"
)

// BotProtection puts a challenge on the sign-in and sign-up forms (password
// sign-in and sign-up, passkey sign-up, email code, magic link and text
// message code requests, the waitlist). Browsers show the provider's
// widget; JSON API clients send the solved token in the field
// "captcha_token". Every token is verified on the server with the
// provider's siteverify endpoint. Off while Provider is empty.
type BotProtection struct {
	// Provider is "turnstile" (Cloudflare Turnstile) or "hcaptcha".
	Provider string
	// SiteKey is the public key the widget is shown with. Required with
	// Provider.
	SiteKey string
	// SecretKey is the secret key the server verifies tokens with.
	// Required with Provider.
	SecretKey string
	// VerifyURL replaces the provider's siteverify endpoint, for tests
	// against a local server. Default the provider's.
	VerifyURL string
	// Hostnames are the hostnames a challenge may be solved on. Default
	// BaseURL's host.
	Hostnames []string
	// Verifier replaces the provider's verifier (another provider, or a
	// test double); the widget is still Provider's.
	Verifier captcha.Verifier
}

// ImpersonationConfig configures administrators acting as users.
type ImpersonationConfig struct {
	// MaxDuration is how long an impersonation lasts at most. Default 1
	// hour; at most 12 hours.
	MaxDuration time.Duration
	// AllowAdmins lets an administrator impersonate another
	// administrator. Default false.
	AllowAdmins bool
	// Disabled turns impersonation off.
	Disabled bool
}
