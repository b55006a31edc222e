package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/internal/smtptest"
	"github.com/embedauth/auth/mail"
)

var (
	invitationLink = regexp.MustCompile(`http://localhost:\d+/auth/orgs/invitation\?token=[A-Za-z0-9_-]+`)
	domainCode     = regexp.MustCompile(`domain verification code is (\d{6})`)
)

// orgBrowser is one person's browser in the organizations journey.
type orgBrowser struct {
	t    *testing.T
	tab  *browsertest.Tab
	base string
	smtp *smtptest.Server
}

func (b *orgBrowser) ok(what string, status int) {
	b.t.Helper()
	if status != http.StatusOK {
		b.t.Fatalf("%s: HTTP status %d, want 200 (page %s)", what, status, b.tab.URL())
	}
}

// code waits for the verification mail to email and returns its code.
func (b *orgBrowser) code(email string) string {
	b.t.Helper()
	m := codePattern.FindStringSubmatch(b.smtp.Wait(b.t, email, 10*time.Second).Text)
	if m == nil {
		b.t.Fatalf("no verification code in the mail to %s", email)
	}
	return m[1]
}

// signUp creates an account through the pages, from the page the tab is
// on (a sign-up form; the invitation page's has the address filled in),
// and verifies the address with the mailed code.
func (b *orgBrowser) signUp(name, email, password string, fillEmail bool) {
	b.t.Helper()
	b.tab.Fill("#name", name)
	if fillEmail {
		b.tab.Fill("#email", email)
	}
	b.tab.Fill("#password", password)
	b.ok("sign up", b.tab.Submit("#password"))
	b.tab.Fill("#code", b.code(email))
	b.ok("verify", b.tab.ClickAndWait(`form[action="/auth/verify"] button[type="submit"]`))
}

// openSwitcher opens the organization switcher of the app's layout.
func (b *orgBrowser) openSwitcher() {
	b.t.Helper()
	b.tab.Click(".ea-orgswitcher summary")
	b.tab.WaitVisible(".ea-orgswitcher .ea-menu")
}

func (b *orgBrowser) wantOrg(want string) {
	b.t.Helper()
	if got := b.tab.Text("#org-name"); !strings.Contains(got, want) {
		b.t.Fatalf("dashboard says %q, want %q", got, want)
	}
}

func (b *orgBrowser) selectValue(sel, value string) {
	b.t.Helper()
	b.tab.Do("choose "+value+" in "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// TestBrowserOrganizations walks organizations in Chromium with two (then
// three) people, each in a browser context of their own: Ann creates an
// organization and invites Bob; Bob signs up through the invitation mail,
// sees the organization's notes, and switches between it and his personal
// notes in the switcher; Ann makes him a moderator (he may now delete
// notes) and then removes him (he loses the organization at his next
// page). Then Ann verifies the company's domain with automatic
// invitation, and Carol, signing up with an address there, joins from
// the switcher with one click.
func TestBrowserOrganizations(t *testing.T) {
	annTab := browsertest.Browser(t)
	smtp := smtptest.Start(t)
	key := make([]byte, 32)
	rand.Read(key)
	base := startExample(t, func(c *auth.Config) {
		c.SMTP = &mail.SMTPConfig{Host: smtp.Host(), Port: smtp.Port(), From: "Notes <no-reply@example.com>", TLS: mail.TLSNone}
		devMode := false
		c.DevMode = &devMode
		c.EncryptionKey = key
		c.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	})
	ann := &orgBrowser{t: t, tab: annTab, base: base, smtp: smtp}

	// Ann signs up and creates Acme from the switcher.
	ann.ok("sign-up page", annTab.Navigate(base+"/auth/sign-up?redirect_url=/dashboard"))
	ann.signUp("Ann Admin", "ann@acme.test", "ann admin violet umbrella 7", true)
	ann.wantOrg("personal notes")
	ann.openSwitcher()
	annTab.Screenshot("org-switcher-personal.png")
	ann.ok("create organization page", annTab.ClickAndWait(".ea-orgswitcher .ea-menu-create"))
	annTab.Fill("#name", "Acme")
	annTab.Screenshot("org-create.png")
	ann.ok("create organization", annTab.Submit("#name"))
	if got := annTab.Path(); got != "/dashboard" {
		t.Fatalf("after creating: %s", got)
	}
	ann.wantOrg("Acme")
	annTab.Fill("#body", "Quarterly plan")
	ann.ok("add a note", annTab.ClickAndWait(`form[action="/notes"] button[type="submit"]`))

	// She invites Bob from the organization's profile.
	ann.openSwitcher()
	ann.ok("manage organization", annTab.ClickAndWait(".ea-orgswitcher .ea-menu-manage"))
	orgPath := annTab.Path()
	ann.ok("invitations tab", annTab.ClickAndWait("#tab-invitations"))
	annTab.Fill("#invite_email", "bob@example.com")
	ann.ok("invite", annTab.Submit("#invite_email"))
	if got := annTab.Text(".ea-alert-info"); !strings.Contains(got, "bob@example.com") {
		t.Fatalf("after inviting: %q", got)
	}
	annTab.Screenshot("org-invitations.png")

	// Bob, in his own browser context, follows the link in the mail and
	// signs up on the way.
	bob := &orgBrowser{t: t, tab: browsertest.Browser(t), base: base, smtp: smtp}
	msg := smtp.Wait(t, "bob@example.com", 10*time.Second)
	link := invitationLink.FindString(msg.Text)
	if link == "" || !strings.Contains(msg.Subject, "Acme") {
		t.Fatalf("invitation mail %q:\n%s", msg.Subject, msg.Text)
	}
	bob.ok("invitation link", bob.tab.Navigate(link))
	if got := bob.tab.Path(); got != "/auth/orgs/invitation" {
		t.Fatalf("the link's token stays in the address bar: %s", got)
	}
	if got := bob.tab.Text("#invite-org"); got != "Acme" {
		t.Fatalf("invitation page names %q", got)
	}
	bob.tab.Screenshot("org-invitation-sign-up.png")
	bob.signUp("Bob Member", "bob@example.com", "bob member tractor lemon 9", false)
	// Creating the account accepted the invitation: no second "Join".
	if got := bob.tab.Path(); got != "/" {
		t.Fatalf("after sign-up: %s", got)
	}
	bob.ok("dashboard", bob.tab.Navigate(base+"/dashboard"))
	bob.wantOrg("Acme")
	if got := bob.tab.Text(".note"); !strings.Contains(got, "Quarterly plan") || !strings.Contains(got, "Ann Admin") {
		t.Fatalf("bob sees notes %q", got)
	}
	if n := bob.count(".note form"); n != 0 {
		t.Fatalf("a member sees %d delete buttons", n)
	}

	// The switcher: to his personal notes and back.
	bob.openSwitcher()
	bob.tab.Screenshot("org-switcher.png")
	bob.ok("switch to personal", bob.tab.ClickAndWait(".ea-orgswitcher .ea-personal"))
	bob.wantOrg("personal notes")
	if n := bob.count(".note"); n != 0 {
		t.Fatalf("personal notes show %d org notes", n)
	}
	bob.openSwitcher()
	bob.ok("switch to Acme", bob.tab.ClickAndWait(`.ea-orgswitcher button[data-org="acme"]`))
	bob.wantOrg("Acme")

	// Ann makes him a moderator: the delete buttons appear.
	ann.ok("members tab", annTab.Navigate(base+orgPath+"?tab=members"))
	ann.selectValue(`li[data-user="bob@example.com"] select`, "org:moderator")
	ann.ok("change role", annTab.ClickAndWait(`li[data-user="bob@example.com"] form[action$="/members/role"] button`))
	if got := annTab.Text(`li[data-user="bob@example.com"] .ea-member-role`); got != "Moderator" {
		t.Fatalf("bob's role shows %q", got)
	}
	annTab.Screenshot("org-members.png")
	bob.ok("dashboard as moderator", bob.tab.Navigate(base+"/dashboard"))
	if n := bob.count(".note form"); n != 1 {
		t.Fatalf("a moderator sees %d delete buttons", n)
	}

	// Ann removes him: his next page has no organization.
	ann.ok("remove", annTab.ClickAndWait(`li[data-user="bob@example.com"] form[action$="/members/remove"] button`))
	bob.ok("dashboard after removal", bob.tab.Navigate(base+"/dashboard"))
	bob.wantOrg("personal notes")
	if got := bob.tab.Text(".ea-orgswitcher-name"); got != "Personal account" {
		t.Fatalf("switcher after removal: %q", got)
	}

	// Ann verifies acme.test with automatic invitation.
	ann.ok("domains tab", annTab.Navigate(base+orgPath+"?tab=domains"))
	annTab.Fill("#domain_name", "acme.test")
	ann.selectValue("#domain_enrollment_mode", "automatic_invitation")
	ann.ok("add domain", annTab.Submit("#domain_name"))
	annTab.Fill(`li[data-domain="acme.test"] input[name="email"]`, "it@acme.test")
	ann.ok("send code", annTab.Submit(`li[data-domain="acme.test"] input[name="email"]`))
	m := domainCode.FindStringSubmatch(smtp.Wait(t, "it@acme.test", 10*time.Second).Text)
	if m == nil {
		t.Fatal("no domain code")
	}
	annTab.Fill(`li[data-domain="acme.test"] input[name="code"]`, m[1])
	ann.ok("verify domain", annTab.Submit(`li[data-domain="acme.test"] input[name="code"]`))
	if got := annTab.Text(`li[data-domain="acme.test"]`); !strings.Contains(got, "Verified") {
		t.Fatalf("domain row: %q", got)
	}
	annTab.Screenshot("org-domains.png")

	// Carol signs up with an address there and joins from the switcher.
	carol := &orgBrowser{t: t, tab: browsertest.Browser(t), base: base, smtp: smtp}
	carol.ok("sign-up page", carol.tab.Navigate(base+"/auth/sign-up?redirect_url=/dashboard"))
	carol.signUp("Carol", "carol@acme.test", "carol joins by domain 123", true)
	carol.wantOrg("personal notes")
	carol.openSwitcher()
	if got := carol.tab.Text(".ea-orgswitcher .ea-suggestion"); !strings.Contains(got, "Join Acme") {
		t.Fatalf("suggestion reads %q", got)
	}
	carol.ok("join by domain", carol.tab.ClickAndWait(".ea-orgswitcher .ea-suggestion"))
	carol.wantOrg("Acme")
	if got := carol.tab.Text(".note"); !strings.Contains(got, "Quarterly plan") {
		t.Fatalf("carol sees notes %q", got)
	}
}

// count returns how many elements the CSS selector matches.
func (b *orgBrowser) count(sel string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab.Context(), browsertest.DefaultTimeout)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
