package ui

// Methods says which sign-in methods a page offers.
type Methods struct {
	Password  bool
	Passkey   bool
	EmailCode bool
	MagicLink bool
	SMSCode   bool
}

// Passwordless reports whether any emailed or texted method is on.
func (m Methods) Passwordless() bool { return m.EmailCode || m.MagicLink || m.SMSCode }

// PasswordOn reports whether the page offers a password. A zero Methods
// (a page rendered without them) offers the password alone, as before
// methods were configurable.
func (m Methods) PasswordOn() bool { return m.Password || m == Methods{} }

// Code asks for a one-time code sent by email or SMS.
type Code struct {
	Page
	// To is the masked address the code went to.
	To string
	// Channel is "email" or "phone".
	Channel string
	// TTL says how long the code works, such as "10 minutes".
	TTL string
	// Digits is the length of the code.
	Digits int
	// Action and ResendAction are the form targets.
	Action       string
	ResendAction string
	// BackURL leads to the other methods ("Use another method").
	BackURL  string
	BackText string
}

// Phone asks for a phone number to text a code to.
type Phone struct {
	Page
	Phone       string
	Name        string
	SignUp      bool
	RedirectURL string
	Methods     Methods
}

// LinkSent tells the browser that asked for a magic link to check its
// mail; it refreshes itself until the link is used.
type LinkSent struct {
	Page
	To  string
	TTL string
	// Elsewhere is set once the link was used on another device: the page
	// offers to continue here.
	Elsewhere bool
	// MatchCode, set when the link may be used on another device, is the
	// code to enter there.
	MatchCode string
	BackURL   string
}

// LinkConfirm is the page a magic link opens: a button whose POST uses
// the link, so that a mail scanner's GET does not.
type LinkConfirm struct {
	Page
	To    string
	Token string
	// Requester describes the device that asked, when it is not this
	// browser.
	Requester string
	// Blocked is set when the link only works in the browser that asked.
	Blocked bool
	// MatchDigits, set when the link was asked for on another device that
	// shows a code, is the length of that code, which this page asks for.
	MatchDigits int
}

// IdentifierView is one email address or phone number of the user.
type IdentifierView struct {
	ID       string
	Kind     string
	Value    string
	Verified bool
	Primary  bool
	// Base and NeedsPassword repeat the page's, for the row's forms.
	Base          string
	NeedsPassword bool
}

// Identifiers is the profile's list of email addresses and phone numbers.
type Identifiers struct {
	Emails []IdentifierView
	Phones []IdentifierView
	// Pending is the masked address being verified, if any.
	Pending string
	// CanAddPhone is set when SMS codes are on.
	CanAddPhone bool
	// NeedsPassword asks for the password to confirm a change.
	NeedsPassword bool
}
