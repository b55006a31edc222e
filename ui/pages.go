package ui

import (
	"html/template"
	"time"
)

// Page is what every page shows around its form.
type Page struct {
	AppName string
	LogoURL string
	// Base is the path Handler is mounted at, such as "/auth".
	Base  string
	Title string
	// Notice is an informational message shown above the form.
	Notice string
	// Error is a message about the whole form.
	Error string
	// FieldErrors maps a field name to its message.
	FieldErrors map[string]string
	DevMode     bool
	// Passkeys is set when passkeys are enabled: pages offer them and load
	// static/passkey.js.
	Passkeys bool
	// Social lists the "Continue with ..." buttons of the sign-in and
	// sign-up pages, one per configured provider.
	Social []SocialButton
	// Captcha is the bot-protection widget of the sign-in and sign-up
	// forms, nil when bot protection is off or the page has no such form.
	Captcha *Captcha
	// Impersonation is set while an administrator acts as the signed-in
	// user: every page shows a banner with a way to stop.
	Impersonation *Impersonation
	// Lang is the BCP 47 tag of the language the page is written in
	// ("de", "pt-BR"); "" or a language the catalogs lack is the default.
	Lang string
}

// language is the page's language, for Render.
func (p Page) language() string { return p.Lang }

// SignIn is the sign-in page.
type SignIn struct {
	Page
	Email       string
	RedirectURL string
	Methods     Methods
}

// SignUp is the sign-up page.
type SignUp struct {
	Page
	// Mode is the sign-up mode in force: "public", "restricted" or
	// "waitlist"; the page says who may sign up.
	Mode        string
	Email       string
	Name        string
	RedirectURL string
	MinLength   int
	Methods     Methods
}

// Verify asks for the code mailed at sign-up.
type Verify struct {
	Page
	Email       string // the address typed at sign-up, in full
	RedirectURL string
	TTL         string
}

// Forgot asks for the email to send a reset link to.
type Forgot struct {
	Page
	Email string
}

// Reset asks for a new password; Valid is false when the link cannot be used.
type Reset struct {
	Page
	Valid     bool
	MinLength int
}

// Message is a page that only says something, with an optional link.
type Message struct {
	Page
	Heading  string
	Body     string
	LinkURL  string
	LinkText string
}

// Error is an error page.
type Error struct {
	Page
	Status  int
	Message string
}

// Profile is the account page.
type Profile struct {
	Page
	User      UserView
	Sessions  []SessionView
	MinLength int
	// Accounts lists the other accounts signed in in this browser (multi-session mode).
	Accounts []AccountView
	Multi    bool
	// Identifiers lists the user's email addresses and phone numbers.
	Identifiers Identifiers
	// PasskeyList is the passkey section, nil when passkeys are off.
	PasskeyList *PasskeyList
	// Connections is the connected-accounts section, nil when no social
	// provider is configured.
	Connections *Connections
	// Tab is the section shown: "" (the profile: picture, name,
	// addresses, the browser's accounts), "security" (password, passkeys,
	// two-step verification, deletion), "devices", "connections" or
	// "organizations". Tabs is the navigation between them.
	Tab  string
	Tabs []ProfileTab
	// Orgs and Invitations are the organizations section: the user's
	// organizations and the invitations waiting for them.
	Orgs        []OrgView
	Invitations []PendingInvitationView
	// MaxImageSize is the largest profile picture accepted, for people
	// ("2 MB").
	MaxImageSize string
	// Languages are the choices of the language select (profile
	// section), the user's own marked Selected.
	Languages []LanguageOption
}

// LanguageOption is one choice of the profile's language select.
type LanguageOption struct {
	// Value is the BCP 47 tag, "" for none (the browser's language).
	Value string
	// Label names the language in itself ("Deutsch").
	Label    string
	Selected bool
}

// ProfileTab is one section of the profile page's navigation.
type ProfileTab struct {
	Key    string
	Label  string
	Active bool
}

// UserView is the signed-in user as pages show it.
type UserView struct {
	ID       string
	Email    string
	Name     string
	Initials string
	// ImageURL is the user's profile picture, "" when they have none
	// (pages show their initials).
	ImageURL      string
	EmailVerified bool
	HasPassword   bool
	CreatedAt     time.Time
}

// SessionView is one signed-in device.
type SessionView struct {
	ID           string
	Device       string
	IP           string
	Method       string
	CreatedAt    time.Time
	LastActiveAt time.Time
	Current      bool
}

// AccountView is one account of a multi-session browser.
type AccountView struct {
	SessionID string
	Email     string
	Name      string
	Initials  string
	// ImageURL is the account's profile picture, "" for its initials.
	ImageURL string
	Active   bool
}

// DevMail is the dev outbox.
type DevMail struct {
	Page
	Messages []DevMessage
	// SMS lists the text messages, newest first.
	SMS []DevMessage
}

// DevMessage is one message of the dev outbox.
type DevMessage struct {
	ID        int64
	To        string
	Subject   string
	Text      string
	Links     []string
	Status    string
	Error     string
	CreatedAt time.Time
}

// UserButton is the avatar menu an app places in its own layout.
type UserButton struct {
	Base     string
	Initials string
	// ImageURL is the user's profile picture, "" to show the initials.
	ImageURL   string
	Name       string
	Email      string
	ProfileURL string
	Accounts   []AccountView
	// Impersonation is set while an administrator acts as the user.
	Impersonation *Impersonation
	// Lang is the language of the button (see [Page]).
	Lang string
}

func (b UserButton) language() string { return b.Lang }

// WebhookEndpoints is the admin page that lists webhook endpoints and adds
// one.
type WebhookEndpoints struct {
	Page
	Endpoints  []WebhookEndpointView
	EventTypes []WebhookEventType
	// URL and Description refill the form after an error.
	URL         string
	Description string
}

// WebhookEventType is one checkbox of the event types.
type WebhookEventType struct {
	Name    string
	Checked bool
}

// WebhookEndpointView is one endpoint as admin pages show it.
type WebhookEndpointView struct {
	ID                 string
	URL                string
	Description        string
	EventTypes         []string
	Enabled            bool
	DisabledReason     string
	FailingSince       *time.Time
	SecretRotatedUntil *time.Time
	CreatedAt          time.Time
}

// WebhookEndpoint is the admin page of one endpoint: its secret, state,
// replay forms and delivery log.
type WebhookEndpoint struct {
	Page
	Endpoint   WebhookEndpointView
	Secret     string
	Deliveries []WebhookDeliveryView
}

// WebhookDeliveryView is one message of the delivery log.
type WebhookDeliveryView struct {
	EventID       string
	EventType     string
	Status        string
	CreatedAt     time.Time
	NextAttemptAt *time.Time
	Attempts      []WebhookAttemptView
}

// WebhookAttemptView is one delivery attempt.
type WebhookAttemptView struct {
	Number     int
	At         time.Time
	DurationMS int64
	StatusCode int
	Response   string
	Error      string
}

// FactorTwo asks a user who gave their first factor for the second.
type FactorTwo struct {
	Page
	RedirectURL string
	// Method is the factor the form asks for: "totp", "sms" or
	// "backup_code".
	Method string
	// Factors lists the user's second factors, in the same terms, and
	// "passkey".
	Factors []string
	// Next is where the browser goes after a passkey verification.
	Next string
	// SMSSentTo is the masked phone number a text message code went to,
	// once sent (Method "sms"); SMSPhone the one it would go to, before.
	SMSSentTo string
	SMSPhone  string
}

// HasFactor reports whether the user can use the named second factor.
func (f FactorTwo) HasFactor(name string) bool {
	for _, x := range f.Factors {
		if x == name {
			return true
		}
	}
	return false
}

// MFA is the profile page of the user's second factors.
type MFA struct {
	Page
	// TOTP is true when an authenticator app is enrolled.
	TOTP bool
	// SMS is true when text message codes are on; SMSAvailable says they
	// may be (SMS is configured); Phone is the masked verified number
	// they go to, empty when the user has none.
	SMS          bool
	SMSAvailable bool
	Phone        string
	// On is true when any second factor is on.
	On bool
	// BackupCodesLeft counts unused backup codes.
	BackupCodesLeft int
	// HasPassword says whether the forms ask for the password (users
	// with one whose last proof is older than the reverification window).
	HasPassword bool
	// Pending is the enrolment waiting for its first code, if any.
	Pending *MFAEnrolment
	// Required says the user must use two-step verification: everyone
	// must (RequiredByPolicy, which also hides turning it off), or the
	// organizations named in RequiredBy do.
	Required         bool
	RequiredByPolicy bool
	RequiredBy       []string
	// RedirectURL is where to go once done (a checked URL, or empty).
	RedirectURL string
}

// MFAEnrolment shows a new TOTP secret: as a QR code image (a PNG data
// URI built by the caller), as an otpauth:// URI and as text.
type MFAEnrolment struct {
	QR     template.URL
	URL    string
	Secret string
}

// MFABackupCodes shows a new set of backup codes, once, with a text
// download (a data URI built by the caller).
type MFABackupCodes struct {
	Page
	Codes    []string
	Download template.URL
	// RedirectURL is where Done goes (a checked URL; empty for the MFA
	// page).
	RedirectURL string
}

// MFAReverify asks a signed-in user to prove their factors again before a
// sensitive action.
type MFAReverify struct {
	Page
	RedirectURL string
	// HasPassword and TOTP say which fields the form asks for.
	HasPassword bool
	TOTP        bool
	// Passkey offers confirming with one of the user's passkeys instead.
	Passkey bool
	// EmailCode offers a code mailed to the user's address (users without
	// a password); EmailSentTo is the masked address once one is sent.
	EmailCode   bool
	EmailSentTo string
	// SMS says the second step is a text message code (users whose only
	// second factor it is); SMSSentTo is the masked number once sent.
	SMS       bool
	SMSSentTo string
	// Providers are the user's connected accounts that can prove the
	// first factor again; FirstDone says one just did, so only the
	// second step is asked.
	Providers []SocialButton
	FirstDone bool
}
