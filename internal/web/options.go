package web

import (
	"github.com/embedauth/auth/config"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/token"
)

// The configuration types, under the names this package has always used.

type (
	Config                  = config.Config
	Argon2Params            = config.Argon2Params
	SessionMode             = config.SessionMode
	RateLimits              = config.RateLimits
	Appearance              = config.Appearance
	TokensConfig            = config.TokensConfig
	JWTTemplate             = config.JWTTemplate
	MFAPolicy               = config.MFAPolicy
	MFAConfig               = config.MFAConfig
	PasskeyConfig           = config.PasskeyConfig
	PasskeyMode             = config.PasskeyMode
	PasskeyAttestation      = config.PasskeyAttestation
	PasskeyUserVerification = config.PasskeyUserVerification
	Method                  = config.Method
	PasswordlessConfig      = config.PasswordlessConfig
	SocialProvider          = config.SocialProvider
	SocialKind              = config.SocialKind
	SocialLinking           = config.SocialLinking
	WebhooksConfig          = config.WebhooksConfig
	OrganizationsConfig     = config.OrganizationsConfig
)

const (
	SessionSingle              = config.SessionSingle
	SessionMulti               = config.SessionMulti
	MFAOptional                = config.MFAOptional
	MFARequired                = config.MFARequired
	PasskeysOptional           = config.PasskeysOptional
	PasskeysRequired           = config.PasskeysRequired
	PasskeysDisabled           = config.PasskeysDisabled
	PasskeyAttestationNone     = config.PasskeyAttestationNone
	PasskeyAttestationIndirect = config.PasskeyAttestationIndirect
	PasskeyAttestationDirect   = config.PasskeyAttestationDirect
	PasskeyUVRequired          = config.PasskeyUVRequired
	PasskeyUVPreferred         = config.PasskeyUVPreferred
	MethodPassword             = config.MethodPassword
	MethodPasskey              = config.MethodPasskey
	MethodEmailCode            = config.MethodEmailCode
	MethodMagicLink            = config.MethodMagicLink
	MethodSMSCode              = config.MethodSMSCode
	SocialOIDC                 = config.SocialOIDC
	SocialGoogle               = config.SocialGoogle
	SocialMicrosoft            = config.SocialMicrosoft
	SocialApple                = config.SocialApple
	SocialGitLab               = config.SocialGitLab
	SocialGitHub               = config.SocialGitHub
	SocialDiscord              = config.SocialDiscord
	SocialLinkAfterSignIn      = config.SocialLinkAfterSignIn
	SocialLinkVerifiedEmail    = config.SocialLinkVerifiedEmail
	DefaultReverificationAge   = config.DefaultReverificationAge
)

var (
	DefaultMethods = config.DefaultMethods
)

// TokenClaims are the verified claims of a bearer token.
type TokenClaims = token.Claims

// The Go API's parameter and result types.
type (
	CreateUserParams      = core.CreateUserParams
	UserMetadata          = core.UserMetadata
	WebhookEndpoint       = core.WebhookEndpoint
	WebhookEndpointParams = core.WebhookEndpointParams
	WebhookEndpointUpdate = core.WebhookEndpointUpdate
	WebhookAttempt        = core.WebhookAttempt
	WebhookDelivery       = core.WebhookDelivery
)
