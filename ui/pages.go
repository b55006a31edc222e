package ui

import "time"

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
}

// SignIn is the sign-in page.
type SignIn struct {
	Page
	Email       string
	RedirectURL string
}

// SignUp is the sign-up page.
type SignUp struct {
	Page
	Email       string
	Name        string
	RedirectURL string
	MinLength   int
}

// Verify asks for the code mailed at sign-up.
type Verify struct {
	Page
	Email       string // masked, such as "a***@example.com"
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
}

// UserView is the signed-in user as pages show it.
type UserView struct {
	ID            string
	Email         string
	Name          string
	Initials      string
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
	Active    bool
}

// DevMail is the dev outbox.
type DevMail struct {
	Page
	Messages []DevMessage
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
	Base       string
	Initials   string
	Name       string
	Email      string
	ProfileURL string
	Accounts   []AccountView
}
