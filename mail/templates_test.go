package mail_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/embedauth/auth/mail"
)

var testData = mail.Data{
	Brand:     mail.Brand{AppName: "Acme", LogoURL: "https://acme.test/logo.png", Color: "#ff0066", BaseURL: "https://acme.test"},
	Code:      "123456",
	Link:      "https://acme.test/action?token=t0k3n&x=1",
	ExpiresIn: 10 * time.Minute,
	Name:      "Zoë",
	Device:    "Chrome on macOS",
	IP:        "203.0.113.7",
	Time:      time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC),
	Method:    "Password and authenticator app",
}

func mustTemplates(t *testing.T) *mail.Templates {
	t.Helper()
	tpl, err := mail.NewTemplates(nil)
	if err != nil {
		t.Fatalf("NewTemplates: %v", err)
	}
	return tpl
}

func TestRenderEveryMessage(t *testing.T) {
	tpl := mustTemplates(t)
	want := map[string][]string{ // in both Text and HTML
		mail.MsgVerifyEmail: {
			"Your verification code is 123456. It expires in 10 minutes.",
			"If you didn't try to sign up, ignore this mail.",
		},
		mail.MsgSignupExistingAccount: {
			"already has an account", "https://acme.test/action?token=t0k3n", "valid for 10 minutes",
			"If this wasn't you, you can ignore it.",
		},
		mail.MsgResetPassword: {
			"https://acme.test/action?token=t0k3n", "The link expires in 10 minutes.",
			"If you didn't ask for this, ignore this mail. Your password has not changed.",
		},
		mail.MsgPasswordChanged: {
			"password of your Acme account was changed", "4 March 2026 at 05:06 UTC",
			"Chrome on macOS", "203.0.113.7", "https://acme.test/action?token=t0k3n", "valid for 10 minutes",
		},
		mail.MsgAccountDeleted: {
			"Your Acme account was deleted on 4 March 2026 at 05:06 UTC",
		},
		mail.MsgAppInvitation: {
			"invited you to create an account on Acme", "https://acme.test/action?token=t0k3n",
		},
		mail.MsgOrgInvitation: {
			"to join", "https://acme.test/action?token=t0k3n", "The invitation expires in 10 minutes",
		},
		mail.MsgMFAEnabled:     {"Two-step verification was turned on for your Acme account", "Chrome on macOS", "203.0.113.7"},
		mail.MsgMFADisabled:    {"Two-step verification was turned off for your Acme account", "Chrome on macOS"},
		mail.MsgMFABackupCodes: {"New backup codes were created for your Acme account", "The old codes no longer work."},
		mail.MsgNewDeviceSignIn: {
			"signed in to from a device it hasn't used before", "4 March 2026 at 05:06 UTC", "Chrome on macOS", "203.0.113.7",
			"Password and authenticator app", "https://acme.test/action?token=t0k3n",
		},
		mail.MsgDeviceVerificationCode: {
			"To let this device in, enter this code:", "123456", "It expires in 10 minutes.", "Chrome on macOS", "203.0.113.7",
			"Password and authenticator app",
		},
		mail.MsgOrgDomainCode: {
			"Your domain verification code is 123456. It expires in 10 minutes.",
		},
		mail.MsgPasskeyAdded:          {"A passkey was added to your Acme account", "Chrome on macOS"},
		mail.MsgPasskeyRemoved:        {"A passkey was removed from your Acme account", "Chrome on macOS"},
		mail.MsgPasskeyCloneSuspected: {"because its signature counter went backwards"},
		mail.MsgAccountConnected:      {"Chrome on macOS account", "was connected to your Acme account"},
		mail.MsgAccountDisconnected:   {"Chrome on macOS account", "was disconnected from your Acme account"},
		mail.MsgSignUpInvitation: {
			"You're invited to create an account on Acme.", "https://acme.test/action?token=t0k3n", "The invitation expires in 10 minutes",
		},
	}
	if got := tpl.Names(); strings.Join(got, ",") != "account_connected,account_deleted,account_disconnected,app_invitation,device_verification_code,identifier_added,identifier_removed,magic_link,magic_link_sign_up,mfa_backup_codes,mfa_disabled,mfa_enabled,new_device_sign_in,org_domain_code,org_invitation,passkey_added,passkey_clone_suspected,passkey_removed,password_changed,primary_changed,reset_password,reverify_code,sign_in_code,sign_up_code,signup_existing_account,signup_invitation,verify_email,verify_identifier" {
		t.Errorf("Names() = %v", got)
	}
	for name, phrases := range want {
		t.Run(name, func(t *testing.T) {
			m, err := tpl.Render(name, "zoe@example.com", testData)
			if err != nil {
				t.Fatal(err)
			}
			if m.To != "zoe@example.com" || m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("To %q, Subject %q", m.To, m.Subject)
			}
			if !strings.Contains(m.Subject, "Acme") {
				t.Errorf("Subject %q lacks the app name", m.Subject)
			}
			html := strings.ReplaceAll(m.HTML, "&amp;", "&")
			html = strings.ReplaceAll(html, "&#39;", "'")
			for _, p := range append(phrases, "Hi Zoë,") {
				if !strings.Contains(m.Text, p) {
					t.Errorf("Text lacks %q:\n%s", p, m.Text)
				}
				if !strings.Contains(html, p) {
					t.Errorf("HTML lacks %q", p)
				}
			}
			for _, p := range []string{
				`max-width:560px`, `-apple-system`, `You received this because`,
				`<img src="https://acme.test/logo.png" alt="Acme"`, `<title>` + m.Subject + `</title>`,
			} {
				if !strings.Contains(m.HTML, p) {
					t.Errorf("HTML lacks %q", p)
				}
			}
			if testData.Link != "" && strings.Contains(m.Text, testData.Link) && !strings.Contains(name, "deleted") {
				if !strings.Contains(m.HTML, `background-color:#ff0066`) {
					t.Errorf("HTML button does not use Brand.Color")
				}
			}
			if strings.Contains(m.HTML, "<style") || strings.Contains(m.HTML, "<script") {
				t.Error("HTML must use inline styles only")
			}
			if strings.Contains(m.Text, "\n\n\n") || !strings.HasSuffix(m.Text, "\n") {
				t.Errorf("untidy text:\n%q", m.Text)
			}
		})
	}
}

func TestRenderDefaultsAndEscaping(t *testing.T) {
	tpl := mustTemplates(t)
	m, err := tpl.Render(mail.MsgResetPassword, "a@example.com", mail.Data{
		Brand:     mail.Brand{BaseURL: "https://login.acme.test/", Color: "red;background:url(https://evil.test/)"},
		Link:      "javascript:alert(1)",
		Name:      `<script>alert("x")</script>`,
		ExpiresIn: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Reset your login.acme.test password" {
		t.Errorf("AppName default from BaseURL: Subject %q", m.Subject)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, `href="javascript:`) {
		t.Errorf("HTML not escaped:\n%s", m.HTML)
	}
	if strings.Contains(m.HTML, "evil.test") || !strings.Contains(m.HTML, "background-color:#4f46e5") {
		t.Errorf("unsafe Brand.Color not replaced by the default")
	}
	if !strings.Contains(m.Text, "The link expires in 1 hour.") {
		t.Errorf("Text:\n%s", m.Text)
	}
	if _, err := tpl.Render("no_such_message", "a@example.com", testData); err == nil {
		t.Error("unknown message rendered")
	}
	if _, err := tpl.Render(mail.MsgVerifyEmail, "", testData); err == nil {
		t.Error("empty recipient rendered")
	}
	if _, err := tpl.Render(mail.MsgVerifyEmail, "a@example.com\r\nBcc: x@evil.test", testData); err == nil {
		t.Error("recipient with a line break rendered")
	}
}

func TestTemplateOverrides(t *testing.T) {
	overrides := fstest.MapFS{
		"verify_email.subject.txt": {Data: []byte("Code for {{.Brand.AppName}}: {{.Code}} ({{duration .ExpiresIn}})\n")},
		"verify_email.html":        {Data: []byte(`{{define "reason"}}custom reason{{end}}<p>Custom {{.Code}}, {{.Name}}</p>`)},
		"README.md":                {Data: []byte("ignored")},
		"welcome.subject.txt":      {Data: []byte("Welcome to {{.Brand.AppName}}")},
		"welcome.txt":              {Data: []byte("Welcome, {{.Name}}!")},
		"welcome.html":             {Data: []byte("<p>Welcome, {{.Name}}!</p>")},
	}
	tpl, err := mail.NewTemplates(overrides)
	if err != nil {
		t.Fatalf("NewTemplates: %v", err)
	}
	m, err := tpl.Render(mail.MsgVerifyEmail, "a@example.com", testData)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Code for Acme: 123456 (10 minutes)" {
		t.Errorf("overridden Subject = %q", m.Subject)
	}
	if !strings.Contains(m.HTML, "<p>Custom 123456, Zoë</p>") || !strings.Contains(m.HTML, "You received this because custom reason.") {
		t.Errorf("overridden HTML:\n%s", m.HTML)
	}
	if !strings.Contains(m.HTML, "max-width:560px") {
		t.Error("overridden HTML lost the layout")
	}
	if !strings.Contains(m.Text, "Your verification code is 123456. It expires in 10 minutes.") {
		t.Errorf("embedded text template not kept:\n%s", m.Text)
	}
	m, err = tpl.Render("welcome", "a@example.com", testData)
	if err != nil || m.Text != "Welcome, Zoë!\n" {
		t.Errorf("added message: %+v, %v", m, err)
	}
	// Other messages are untouched.
	m, err = tpl.Render(mail.MsgResetPassword, "a@example.com", testData)
	if err != nil || m.Subject != "Reset your Acme password" {
		t.Errorf("reset_password: %q, %v", m.Subject, err)
	}
}

func TestBrokenOverridesFail(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"parse error text":   {"verify_email.txt": {Data: []byte("{{.Code")}},
		"parse error html":   {"reset_password.html": {Data: []byte("{{if .Link}}unclosed")}},
		"unknown field":      {"verify_email.subject.txt": {Data: []byte("{{.Cdoe}}")}},
		"unknown func":       {"password_changed.txt": {Data: []byte("{{nosuchfunc .Code}}")}},
		"misspelt file name": {"verify_emial.html": {Data: []byte("<p>{{.Code}}</p>")}},
		"broken layout":      {"layout.html": {Data: []byte(`<html>{{template "nonexistent" .}}</html>`)}},
		"html in bad place":  {"verify_email.html": {Data: []byte(`<a href="{{.Link}}`)}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := mail.NewTemplates(fsys); err == nil {
				t.Error("NewTemplates accepted a broken override")
			} else {
				t.Log(err)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Minute:                "10 minutes",
		30 * time.Minute:                "30 minutes",
		time.Minute:                     "1 minute",
		time.Hour:                       "1 hour",
		2 * time.Hour:                   "2 hours",
		90 * time.Minute:                "1 hour and 30 minutes",
		24 * time.Hour:                  "1 day",
		7 * 24 * time.Hour:              "7 days",
		36 * time.Hour:                  "1 day and 12 hours",
		24*time.Hour + 5*time.Minute:    "1 day",
		45 * time.Second:                "45 seconds",
		10*time.Minute + 30*time.Second: "10 minutes",
	} {
		if got := mail.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
