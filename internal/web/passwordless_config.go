package web

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/embedauth/auth/mail"
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

var allMethods = []Method{MethodPassword, MethodPasskey, MethodEmailCode, MethodMagicLink, MethodSMSCode}

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
	// SameDeviceLinks makes a magic link work only in the browser that
	// asked for it. Default off: a link opened on another device signs
	// that device in, and the asking browser, which waits on a page that
	// refreshes itself, can continue signed in too.
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

// passwordlessDefaults fills the passwordless settings and reports every
// problem.
func (s *settings) passwordlessDefaults() []error {
	var errs []error
	if s.Methods == nil {
		s.Methods = slices.Clone(DefaultMethods)
	} else {
		s.Methods = slices.Clone(s.Methods)
	}
	for _, m := range s.Methods {
		if !slices.Contains(allMethods, m) {
			errs = append(errs, fmt.Errorf("Methods: unknown method %q", m))
		}
	}
	if len(s.Methods) == 0 {
		errs = append(errs, errors.New("Methods: enable at least one method"))
	}
	if slices.Contains(s.Methods, MethodSMSCode) && s.SMS == nil && !s.dev {
		errs = append(errs, errors.New("SMS is required for MethodSMSCode outside dev mode (texts would go nowhere)"))
	}
	p := &s.Passwordless
	if p.CodeLength == 0 {
		p.CodeLength = 6
	}
	if p.CodeLength != 6 && p.CodeLength != 8 {
		errs = append(errs, fmt.Errorf("Passwordless.CodeLength %d must be 6 or 8", p.CodeLength))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&p.CodeTTL, 10*time.Minute)
	def(&p.LinkTTL, 15*time.Minute)
	if p.CodeTTL < 0 || p.LinkTTL < 0 {
		errs = append(errs, errors.New("Passwordless.CodeTTL and LinkTTL must be positive"))
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	defInt(&p.MaxCodeAttempts, 5)
	defInt(&p.MaxSendsPerFlow, 5)
	defInt(&p.EmailsPerAddressPerHour, 10)
	defInt(&p.SMSPerNumberPerDay, 10)
	defInt(&p.SMSPerIPPerDay, 20)
	defInt(&p.SMSPerDay, 1000)
	defInt(&p.SMSRetries, 3)
	if _, err := mail.NewSMSTemplate(p.SMSTemplate); err != nil {
		errs = append(errs, fmt.Errorf("Passwordless.SMSTemplate: %w", err))
	}
	return errs
}

// enabled reports whether method m is on.
func (a *Server) enabled(m Method) bool { return slices.Contains(a.s.Methods, m) }

// Methods returns the enabled sign-in methods, in the order pages offer
// them.
func (a *Server) Methods() []Method { return slices.Clone(a.s.Methods) }
