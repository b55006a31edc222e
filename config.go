package auth

import (
	"github.com/embedauth/auth/config"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/password"
	"github.com/embedauth/auth/social"
	"github.com/embedauth/auth/token"
)

// CreateUserParams describes a user created by the app's back end.
type CreateUserParams = core.CreateUserParams

// UserMetadata replaces the metadata objects that are not nil.
type UserMetadata = core.UserMetadata

// User is an account. See [core.User].
type User = core.User

// Session is one signed-in device. See [core.Session].
type Session = core.Session

// Config configures an [Auth]. The zero value is a working, secure
// development setup: an SQLite file embedauth.db in the working directory,
// BaseURL http://localhost:8080, mail captured in the dev outbox at
// /auth/dev/mail. Every field's comment gives its default. [New] never
// changes the caller's Config.
//
// Its fields and their defaults are documented at [config.Config].
type Config = config.Config

// Argon2Params are argon2id costs: Memory in KiB, Time iterations, Threads.
type Argon2Params = password.Params

// SessionMode chooses how many accounts one browser may be signed in to.
type SessionMode = config.SessionMode

const (
	// SessionSingle allows one account per browser (the default).
	SessionSingle = config.SessionSingle
	// SessionMulti allows several accounts signed in at once in one browser,
	// with one active and the others a switch away.
	SessionMulti = config.SessionMulti
)

// RateLimits caps requests per client IP per minute, per group of
// endpoints. Zero means the default; negative disables the limit.
//
// Its fields and their defaults are documented at [config.RateLimits].
type RateLimits = config.RateLimits

// Appearance themes pages and mail with CSS colors and a logo.
//
// Its fields and their defaults are documented at [config.Appearance].
type Appearance = config.Appearance

// TokensConfig configures the JWTs embedauth mints: session tokens for the
// app's own API (GET Path+"/api/token", accepted as "Authorization:
// Bearer" by Middleware) and JWT templates for other services. The zero
// value works.
//
// Its fields and their defaults are documented at [config.TokensConfig].
type TokensConfig = config.TokensConfig

// JWTTemplate describes a JWT for another service: see [token.Template].
type JWTTemplate = token.Template

// JWTClaimsInput is what a template's Func computes claims from: the
// user, the session and its active organization.
type JWTClaimsInput = token.Input

// TokenClaims are the claims of a verified token.
type TokenClaims = token.Claims

// MFAPolicy says who must use two-step verification.
type MFAPolicy = config.MFAPolicy

const (
	// MFAOptional lets each user choose (the default). Organizations may
	// still require it of their members (see [Org].RequireMFA).
	MFAOptional = config.MFAOptional
	// MFARequired makes every user set up two-step verification before
	// their session can be used: until then Middleware leaves requests
	// signed out, RequireUser sends browsers to the setup page and answers
	// API clients 403 "mfa_enrollment_required", and no tokens are minted.
	MFARequired = config.MFARequired
)

// MFAConfig configures two-step verification and reverification. The zero
// value makes two-step verification optional, offers the SMS code as a
// second factor when SMS codes are on, and asks users to confirm it's
// them before sensitive changes when their last proof is older than 10
// minutes.
//
// Its fields and their defaults are documented at [config.MFAConfig].
type MFAConfig = config.MFAConfig

// DefaultReverificationAge is the window RequireReverification uses when
// given a maxAge of zero or less.
const (
	DefaultReverificationAge = config.DefaultReverificationAge
)

// Org is an organization. See [core.Org].
type Org = core.Org

// OrgRole is a role in organizations: a key like "org:billing", a name and
// the permissions it holds. See [core.Role].
type OrgRole = core.Role

// OrgPermission is a permission roles may hold, with a key like
// "org:invoices:write". See [core.Permission].
type OrgPermission = core.Permission

// OrgMembership is a user's membership of an organization. See
// [core.Membership].
type OrgMembership = core.Membership

// OrganizationsConfig configures organizations. The zero value lets every
// user create organizations without limit, with the roles org:admin and
// org:member; users without an organization keep a personal account
// (use [Auth.RequireOrg] where the app needs one).
//
// Its fields and their defaults are documented at [config.OrganizationsConfig].
type OrganizationsConfig = config.OrganizationsConfig

// PasskeyConfig configures passkeys (WebAuthn). The zero value turns them
// on for BaseURL, with user verification required and no attestation.
//
// Its fields and their defaults are documented at [config.PasskeyConfig].
type PasskeyConfig = config.PasskeyConfig

// PasskeyMode turns passkeys on or off.
type PasskeyMode = config.PasskeyMode

const (
	// PasskeysOptional lets users add passkeys and sign in with them (the
	// default).
	PasskeysOptional = config.PasskeysOptional
	// PasskeysRequired is PasskeysOptional, and after each sign-in users
	// without a passkey are asked to add one.
	PasskeysRequired = config.PasskeysRequired
	// PasskeysDisabled hides every passkey page, button and script, and
	// answers the passkey API with 404.
	PasskeysDisabled = config.PasskeysDisabled
)

// PasskeyAttestation is the attestation conveyance registrations ask for.
type PasskeyAttestation = config.PasskeyAttestation

const (
	// PasskeyAttestationNone asks for no attestation (the default).
	PasskeyAttestationNone = config.PasskeyAttestationNone
	// PasskeyAttestationIndirect lets the browser anonymise the statement.
	PasskeyAttestationIndirect = config.PasskeyAttestationIndirect
	// PasskeyAttestationDirect asks for the authenticator's own statement.
	PasskeyAttestationDirect = config.PasskeyAttestationDirect
)

// PasskeyUserVerification says whether ceremonies require user
// verification.
type PasskeyUserVerification = config.PasskeyUserVerification

const (
	// PasskeyUVRequired refuses passkeys that did not verify the user (the
	// default).
	PasskeyUVRequired = config.PasskeyUVRequired
	// PasskeyUVPreferred asks for user verification but accepts presence.
	PasskeyUVPreferred = config.PasskeyUVPreferred
)

// Method is a way to sign in or sign up that the pages and the API offer.
type Method = config.Method

// The methods. Config.Methods lists the enabled ones.
const (
	// MethodPassword: email and password, with the email verified by code
	// at sign-up.
	MethodPassword = config.MethodPassword
	// MethodPasskey: a WebAuthn passkey.
	MethodPasskey = config.MethodPasskey
	// MethodEmailCode: a one-time code mailed to the address.
	MethodEmailCode = config.MethodEmailCode
	// MethodMagicLink: a one-time link mailed to the address, confirmed on
	// a page whose POST uses it.
	MethodMagicLink = config.MethodMagicLink
	// MethodSMSCode: a one-time code texted to a phone number. It needs
	// Config.SMS outside dev mode.
	MethodSMSCode = config.MethodSMSCode
)

// DefaultMethods are the methods enabled when Config.Methods is nil.
var (
	DefaultMethods = config.DefaultMethods
)

// PasswordlessConfig sets the rules of magic links and one-time codes.
// Zero fields get the defaults given; negative caps disable a cap.
//
// Its fields and their defaults are documented at [config.PasswordlessConfig].
type PasswordlessConfig = config.PasswordlessConfig

// SocialProvider configures sign-in through one OAuth 2.0 or OpenID
// Connect provider: a "Continue with <Name>" button on the sign-in and
// sign-up pages, and a "Connect" button on the profile. Register
// BaseURL+Path+"/oauth/"+ID+"/callback" as the redirect URI at the
// provider.
//
// Its fields and their defaults are documented at [config.SocialProvider].
type SocialProvider = config.SocialProvider

// SocialKind names a provider preset.
type SocialKind = social.Kind

// The provider presets of SocialProvider.Kind.
const (
	SocialOIDC      = config.SocialOIDC
	SocialGoogle    = config.SocialGoogle
	SocialMicrosoft = config.SocialMicrosoft
	SocialApple     = config.SocialApple
	SocialGitLab    = config.SocialGitLab
	SocialGitHub    = config.SocialGitHub
	SocialDiscord   = config.SocialDiscord
)

// SocialLinking decides what happens when someone signs in through a
// provider for the first time with the email of an existing account.
// Whatever it says, an email the provider did not verify never joins an
// existing account.
type SocialLinking = config.SocialLinking

const (
	// SocialLinkAfterSignIn (the default) never joins accounts by email
	// alone: the person is asked to sign in to the existing account the
	// usual way, and once they do, in the same browser within 10 minutes,
	// the provider identity is connected to it.
	SocialLinkAfterSignIn = config.SocialLinkAfterSignIn
	// SocialLinkVerifiedEmail joins the provider identity to the account
	// when the provider verified the email and the account holds that
	// address, and signs the person in (after their second factor, if
	// they have one). An account whose address was never verified loses
	// its password and sessions, since whoever set them never proved the
	// address. Use it only with providers you trust to verify emails.
	SocialLinkVerifiedEmail = config.SocialLinkVerifiedEmail
)

// WebhookEndpoint is a receiver of webhooks, as the API shows it. Its
// secret is read with [Auth.WebhookSecret].
type WebhookEndpoint = core.WebhookEndpoint

// WebhookEndpointParams describe a new endpoint.
type WebhookEndpointParams = core.WebhookEndpointParams

// WebhookEndpointUpdate lists the fields to change; nil ones stay.
type WebhookEndpointUpdate = core.WebhookEndpointUpdate

// WebhookAttempt is one delivery attempt in the log.
type WebhookAttempt = core.WebhookAttempt

// WebhookDelivery is one event's delivery to one endpoint, with its
// attempts.
type WebhookDelivery = core.WebhookDelivery

// WebhooksConfig configures webhook delivery. Endpoints themselves are
// managed by administrators through the API and the admin page (see
// Config.IsAdmin). The zero value works.
//
// Its fields and their defaults are documented at [config.WebhooksConfig].
type WebhooksConfig = config.WebhooksConfig
