// Package browsertest drives a real Chromium for end-to-end tests of
// embedauth's pages. One browser is started per test binary, lazily, the
// first time a test asks for it; each test gets a fresh tab in its own
// browser context (like an incognito window: no cookies shared with other
// tests). Wire it up once per package:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
//	func TestSignIn(t *testing.T) {
//		tab := browsertest.Browser(t) // skips when no Chromium is installed
//		tab.Navigate(baseURL + "/auth/sign-in")
//		tab.Fill("#email", "ann@example.com")
//		tab.ClickAndWait(`button[type="submit"]`)
//		tab.Screenshot("sign-in.png")
//	}
//
// Every helper runs one step with its own timeout (Tab.Timeout) derived
// from the tab's context, and fails the test with t.Fatal, the tab's URL and
// a screenshot in the artifacts directory when the step fails.
//
// Environment:
//
//   - EMBEDAUTH_CHROMIUM: the browser to run (a path, or a name looked up in
//     PATH). When unset: /usr/lib/chromium/chromium, /usr/bin/chromium,
//     chromium, google-chrome.
//   - EMBEDAUTH_BROWSER=required: fail, rather than skip, when no browser is
//     found. CI sets it so that a missing browser cannot pass silently.
//   - EMBEDAUTH_ARTIFACTS: where screenshots go. Default testdata/artifacts
//     in the package directory (git-ignored).
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Environment variables read by the package.
const (
	EnvChromium  = "EMBEDAUTH_CHROMIUM"
	EnvBrowser   = "EMBEDAUTH_BROWSER"
	EnvArtifacts = "EMBEDAUTH_ARTIFACTS"
)

// DefaultTimeout bounds each step of a Tab unless Tab.Timeout says otherwise.
const DefaultTimeout = 15 * time.Second

// startTimeout bounds starting the browser and opening a tab. A cold start
// on a busy 2-core machine takes a few seconds; this only catches a hang.
const startTimeout = 60 * time.Second

// candidates are tried in order when EMBEDAUTH_CHROMIUM is unset.
// /usr/lib/chromium/chromium comes first: it is Debian's binary without the
// wrapper script and its stderr noise.
var candidates = []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium", "chromium", "google-chrome"}

// The viewport of every tab, so screenshots are the same on every machine.
const (
	ViewportWidth  = 1280
	ViewportHeight = 800
)

// shared is the browser of this test binary.
var shared struct {
	mu        sync.Mutex
	mainInUse bool // Main is running the tests
	started   bool // start ran
	closed    bool

	path      string // "" when no browser was found
	lookedFor string // what was tried, for the skip or fatal message
	err       error  // the browser was found but did not start

	allocCancel   context.CancelFunc
	browserCtx    context.Context
	browserCancel context.CancelFunc
	dirs          []string // removed by close
	output        *limitedBuffer
}

// Main runs the package's tests and then closes the shared browser (if a
// test started it) and removes its temporary directories. Call it from
// TestMain; it does not return.
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.mainInUse = true
	shared.mu.Unlock()
	code := m.Run()
	if err := closeBrowser(); err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
	}
	os.Exit(code)
}

// FindChromium returns the browser to run and a description of what was
// tried. An explicit EMBEDAUTH_CHROMIUM is used alone: when it names nothing
// runnable the result is "" (it is not silently replaced by another browser).
func FindChromium() (path, tried string) {
	if v := strings.TrimSpace(os.Getenv(EnvChromium)); v != "" {
		return lookPath(v), EnvChromium + "=" + v
	}
	for _, c := range candidates {
		if p := lookPath(c); p != "" {
			return p, strings.Join(candidates, ", ")
		}
	}
	return "", strings.Join(candidates, ", ")
}

// lookPath returns the executable that name refers to, or "".
func lookPath(name string) string {
	if !strings.ContainsRune(name, filepath.Separator) {
		p, err := exec.LookPath(name)
		if err != nil {
			return ""
		}
		return p
	}
	fi, err := os.Stat(name)
	if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return ""
	}
	return name
}

// start starts the shared browser once. It never fails the test itself:
// callers decide between skip and fatal.
func start() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.started {
		return
	}
	shared.started = true
	shared.path, shared.lookedFor = FindChromium()
	if shared.path == "" {
		return
	}
	shared.err = launch()
}

// launch starts the browser at shared.path; shared.mu is held.
func launch() error {
	profile, err := os.MkdirTemp("", "embedauth-chromium-profile-")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "embedauth-chromium-tmp-")
	if err != nil {
		os.RemoveAll(profile)
		return err
	}
	shared.dirs = []string{profile, tmp}
	shared.output = &limitedBuffer{max: 64 << 10}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(shared.path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(ViewportWidth, ViewportHeight),
		// Otherwise Chromium leaves /tmp/org.chromium.Chromium.* behind.
		chromedp.Env("TMPDIR="+tmp),
		chromedp.CombinedOutput(shared.output),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	// The first Run starts the browser and binds its life to this context,
	// so it gets no timeout; a watchdog bounds the start instead.
	browserCtx, browserCancel := chromedp.NewContext(allocCtx)
	shared.allocCancel, shared.browserCtx, shared.browserCancel = allocCancel, browserCtx, browserCancel
	if err := withWatchdog(browserCtx, browserCancel, startTimeout, func() error { return chromedp.Do(browserCtx) }); err != nil {
		browserCancel()
		allocCancel()
		shared.browserCtx = nil
		out := strings.TrimSpace(shared.output.String())
		if out != "" {
			out = "\nbrowser output:\n" + out
		}
		return fmt.Errorf("start %s: %w%s", shared.path, err, out)
	}
	return nil
}

// withWatchdog runs fn, which uses ctx, and cancels ctx when fn takes
// longer than d.
func withWatchdog(ctx context.Context, cancel context.CancelFunc, d time.Duration, fn func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- fn() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-errc:
		return err
	case <-timer.C:
		cancel()
		<-errc
		return fmt.Errorf("no answer within %v", d)
	case <-ctx.Done():
		return <-errc
	}
}

// closeBrowser closes the shared browser and removes its directories.
func closeBrowser() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.closed {
		return nil
	}
	shared.closed = true
	var errs []error
	if shared.browserCtx != nil {
		ctx, cancel := context.WithTimeout(shared.browserCtx, 10*time.Second)
		if err := chromedp.Cancel(ctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, fmt.Errorf("close browser: %w", err))
		}
		cancel()
		shared.browserCancel()
	}
	if shared.allocCancel != nil {
		shared.allocCancel() // waits for the process to exit
	}
	for _, d := range shared.dirs {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Required reports whether EMBEDAUTH_BROWSER=required.
func Required() bool { return strings.EqualFold(strings.TrimSpace(os.Getenv(EnvBrowser)), "required") }

// Tab is one browser tab in a browser context of its own, for one test.
type Tab struct {
	t   testing.TB
	ctx context.Context

	// Timeout bounds each step. Default DefaultTimeout.
	Timeout time.Duration
}

// Browser returns a new tab for t, in a fresh browser context of the shared
// browser, which it starts on first use. The tab is closed when t ends.
// Without a browser, Browser skips t, or fails it when
// EMBEDAUTH_BROWSER=required.
func Browser(t testing.TB) *Tab {
	t.Helper()
	shared.mu.Lock()
	mainInUse, closed := shared.mainInUse, shared.closed
	shared.mu.Unlock()
	if !mainInUse {
		t.Fatal("browsertest: call browsertest.Main(m) from TestMain, so the shared browser is closed and its temporary directories are removed")
	}
	if closed {
		t.Fatal("browsertest: the shared browser is already closed")
	}
	start()
	shared.mu.Lock()
	path, tried, err, bctx := shared.path, shared.lookedFor, shared.err, shared.browserCtx
	shared.mu.Unlock()
	switch {
	case path == "" && Required():
		t.Fatalf("browsertest: no Chromium found (tried %s) and %s=required; install chromium or point %s at a browser", tried, EnvBrowser, EnvChromium)
	case path == "":
		t.Skipf("no Chromium found; set %s=required to make this a failure (tried %s)", EnvBrowser, tried)
	case err != nil:
		t.Fatalf("browsertest: %v", err)
	}

	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel) // closes the tab and disposes of its browser context
	// The first Run opens the tab, whose event loop lives as long as the
	// context of that Run: no timeout here either.
	if err := withWatchdog(ctx, cancel, startTimeout, func() error { return chromedp.Do(ctx) }); err != nil {
		t.Fatalf("browsertest: open a tab in %s: %v", path, err)
	}
	tab := &Tab{t: t, ctx: ctx, Timeout: DefaultTimeout}
	// The window size alone leaves the viewport to the browser's frame;
	// a fixed viewport makes screenshots the same everywhere.
	tab.Do("set the viewport", chromedp.EmulateViewport(ViewportWidth, ViewportHeight))
	return tab
}

// Context returns the tab's chromedp context, for actions the helpers do
// not cover. It has no deadline: derive one per step.
func (p *Tab) Context() context.Context { return p.ctx }

// step runs fn with a per-step timeout derived from the tab's context and
// fails the test, with what it was doing, when fn fails.
func (p *Tab) step(what string, fn func(ctx context.Context) error) {
	p.t.Helper()
	d := p.Timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	if err := fn(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %v: %w", d, err)
		}
		p.fail(what, err)
	}
}

// fail reports a failed step with the page's URL and a screenshot.
func (p *Tab) fail(what string, err error) {
	p.t.Helper()
	loc := "unknown"
	shot := ""
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	if l, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil {
		loc = l
	}
	if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		name := "FAILED-" + safeName(p.t.Name()) + ".png"
		if dir, derr := artifactsDir(); derr == nil {
			path := filepath.Join(dir, name)
			if os.WriteFile(path, png, 0o644) == nil {
				shot = "\n  screenshot: " + path
			}
		}
	}
	p.t.Fatalf("browsertest: %s: %v\n  page: %s%s", what, err, loc, shot)
}

// Do runs chromedp actions as one step.
func (p *Tab) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.step(what, func(ctx context.Context) error { return chromedp.Do(ctx, actions...) })
}

// Navigate loads url, waits for the page to load and returns the HTTP
// status of the document (after redirects).
func (p *Tab) Navigate(url string) int {
	p.t.Helper()
	var status int
	p.step("navigate to "+url, func(ctx context.Context) error {
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
		if resp != nil {
			status = int(resp.Status)
		}
		return err
	})
	return status
}

// Fill replaces the value of the field that the CSS selector matches by
// typing value into it (real key events).
func (p *Tab) Fill(sel, value string) {
	p.t.Helper()
	// chromedp.SetValue(sel, "") sets "undefined": an empty argument is
	// dropped on the way to the page. Clear the field in the page instead.
	clear := onElement(sel, `el.value = ""; el.dispatchEvent(new Event("input", {bubbles: true}))`)
	p.Do("fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), clear, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// onElement runs the JavaScript body with el bound to the first element
// that the CSS selector matches.
func onElement(sel, body string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(sel)
	return discard(chromedp.Evaluate[bool](`(() => { const el = document.querySelector(` + string(q) + `);
		if (!el) throw new Error("no element matches " + ` + string(q) + `);
		` + body + `; return true })()`))
}

// Click clicks the element that the CSS selector matches, once it is
// visible, and does not wait for any navigation. For a link or submit
// button use ClickAndWait.
func (p *Tab) Click(sel string) {
	p.t.Helper()
	p.Do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// ClickAndWait clicks the element that the CSS selector matches and waits
// for the page it leads to to load (following redirects). It returns the
// HTTP status of the new document.
func (p *Tab) ClickAndWait(sel string) int {
	p.t.Helper()
	return p.loadAfter("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// Submit submits the form of the element that the CSS selector matches (a
// form, or a field or button in one) as pressing its submit button would,
// with the form's validation and submit event, and waits for the next page.
// It returns the HTTP status of the new document.
func (p *Tab) Submit(sel string) int {
	p.t.Helper()
	submit := onElement(sel, `const f = el instanceof HTMLFormElement ? el : el.form || el.closest("form");
		if (!f) throw new Error("the element is in no form");
		f.requestSubmit()`)
	return p.loadAfter("submit "+sel, chromedp.WaitReady(chromedp.CSS(sel)), submit)
}

func (p *Tab) loadAfter(what string, actions ...chromedp.Action[chromedp.Void]) int {
	p.t.Helper()
	var status int
	p.step(what, func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, actions...)
		if resp != nil {
			status = int(resp.Status)
		}
		return err
	})
	return status
}

// discard turns an action with a result into one without.
func discard[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// Text returns the visible text (innerText) of the element that the CSS
// selector matches, waiting for it to exist.
func (p *Tab) Text(sel string) string {
	p.t.Helper()
	var s string
	p.step("read text of "+sel, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		return err
	})
	return s
}

// WaitVisible waits until the element that the CSS selector matches is
// visible.
func (p *Tab) WaitVisible(sel string) {
	p.t.Helper()
	p.Do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// URL returns the tab's current URL.
func (p *Tab) URL() string {
	p.t.Helper()
	var s string
	p.step("read location", func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Location())
		return err
	})
	return s
}

// Path returns the path and query of the tab's current URL, such as
// "/auth/sign-in?redirect_url=%2Fdashboard".
func (p *Tab) Path() string {
	p.t.Helper()
	raw := p.URL()
	u, err := url.Parse(raw)
	if err != nil {
		p.t.Fatalf("browsertest: location %q: %v", raw, err)
	}
	return u.RequestURI()
}

// PreferColorScheme emulates the user's color scheme preference, "light"
// or "dark" ("" restores the default), for the rest of the tab's life.
func (p *Tab) PreferColorScheme(scheme string) {
	p.t.Helper()
	p.step("prefer color scheme "+scheme, func(ctx context.Context) error {
		params := emulation.SetEmulatedMediaParams{}
		if scheme != "" {
			params.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
		}
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, params)
		return err
	})
}

// Screenshot saves a full-page PNG of the tab as name in the artifacts
// directory and returns its path, which it logs.
func (p *Tab) Screenshot(name string) string {
	p.t.Helper()
	dir := ArtifactsDir(p.t)
	if filepath.Ext(name) == "" {
		name += ".png"
	}
	path := filepath.Join(dir, filepath.Base(name))
	p.step("screenshot "+name, func(ctx context.Context) error {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return err
		}
		return os.WriteFile(path, png, 0o644)
	})
	p.t.Logf("screenshot: %s", path)
	return path
}

// ArtifactsDir returns the directory for screenshots and other artifacts,
// creating it: $EMBEDAUTH_ARTIFACTS, else testdata/artifacts in the
// package directory (git-ignored).
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir, err := artifactsDir()
	if err != nil {
		t.Fatalf("browsertest: artifacts directory: %v", err)
	}
	return dir
}

func artifactsDir() (string, error) {
	dir := os.Getenv(EnvArtifacts)
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return dir, os.MkdirAll(dir, 0o755)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// limitedBuffer keeps the first max bytes written to it: the browser's
// output, shown when it fails to start.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

var _ io.Writer = (*limitedBuffer)(nil)

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
