package web

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/embedauth/auth/mail"
)

var allMethods = []Method{MethodPassword, MethodPasskey, MethodEmailCode, MethodMagicLink, MethodSMSCode}

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
	//lint:ignore SA1019 the deprecated field is read only to refuse a contradiction
	if p.SameDeviceLinks && p.CrossDeviceLinks {
		errs = append(errs, errors.New("Passwordless.SameDeviceLinks and CrossDeviceLinks contradict each other: links are same-device unless CrossDeviceLinks is set"))
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
